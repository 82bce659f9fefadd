"""Grading lesson 5 with nbgrader's own workflow, exchange included, in a course folder of its own.

The instructor runs generate_assignment -> release_assignment; two students, each in a
home of their own, fetch_assignment, answer (one right, one wrong) and submit; the
instructor collects and autogrades, adds the hand grades, generate_feedback ->
release_feedback, and each student fetch_feedback. The exchange is a temporary folder
given by $NBGRADER_EXCHANGE, the setting nbgrader_config.py reads. A right submission gets
every point, a wrong one what it earned; neither the release nor the feedback a student
fetches gives a solution or a hidden test away.

English runs the whole cycle; Chinese, to keep CI (2 cores) short, runs it up to the
autograded scores (release, exchange, collect and autograde included).
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils.cells import is_notes, is_solution

pytest.importorskip("nbgrader")
from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NAME = "05-summary-exercises"
LANGS = ("en", "zh")
FULL = "en"          # the language that runs the whole cycle, feedback included
EXERCISES = 7
STUDENTS = ("alice", "bob")      # alice answers right, bob wrong
COURSE_ID = "vgg-course"         # nbgrader_config.py's course id
EXCHANGE_ENV = "NBGRADER_EXCHANGE"   # the variable nbgrader_config.py reads the exchange from

# A student's answers, typed into the "Your turn" cells in place of each `x = ...` line.
RIGHT = {
    "weight_layers = ...": "weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in net.modules())",
    "macs_ratio = ...": (
        "def total_macs_of(model, size=224):\n"
        "    leaves = nn.Sequential(*[m for m in model.modules() if not list(m.children())])\n"
        "    return sum(r.macs for r in layer_table(leaves, (1, 1, size, size)))\n"
        "macs_ratio = total_macs_of(vgg(VGG11)) / total_macs_of(alexnet())"),
    "macs_224_over_96 = ...": (
        "macs_224_over_96 = total_macs_of(vgg(small_arch)) / total_macs_of(vgg(small_arch, input_size=96), 96)"),
    "vgg16_arch = ...": "vgg16_arch = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))",
    "conv_macs = ...": (
        "rows = layer_table(nn.Sequential(*layers), (1, 1, 224, 224))\n"
        "conv_macs = sum(r.macs for r, m in zip(rows, layers) if isinstance(m, nn.Conv2d))"),
    "fc_macs = ...": "fc_macs = sum(r.macs for r, m in zip(rows, layers) if isinstance(m, nn.Linear))",
    "head = ...": "head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))",
    "net_56 = ...": (
        "blocks, c_in = [], 1\n"
        "for n, c in scale_arch(VGG11, 4):\n"
        "    *convs, pool = vgg_block(n, c_in, c)\n"
        "    blocks.append(nn.Sequential(*convs, nn.Conv2d(c, c, kernel_size=1), nn.ReLU(), pool))\n"
        "    c_in = c\n"
        "side = feature_size(input_size, len(blocks))\n"
        "net_56 = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(c_in * side * side, 256),\n"
        "                       nn.ReLU(), nn.Linear(256, 10))"),
}
# The common mistakes (top-level count, VGG-19's column, a typo'd channel count), one
# right answer (exercise 6) and three left blank.
WRONG = {
    "weight_layers = ...": "weight_layers = len(list(net))",
    "vgg16_arch = ...": "vgg16_arch = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))",
    "conv_macs = ...": "conv_macs = 7.43e9",
    "fc_macs = ...": "fc_macs = 7.43e9",
    "head = ...": RIGHT["head = ..."],
}
WRONG_RIGHT = 1          # exercises WRONG answers correctly

# The lesson's one slow cell, not graded: it times 8 forward passes of three networks on a
# batch of 8 (about 30 s on 2 cores). The made-up students time one pass of one image, as
# a student may edit any cell that is not locked; autograde runs their notebooks as handed
# in, and `validate` still runs the instructor edition as it stands.
QUICK_TIMING = ("times = timed_passes(models)", "times = timed_passes(models, batch=1, rounds=1)")


HIDDEN = re.compile(r"BEGIN HIDDEN|END HIDDEN")


def text(cell):
    return "".join(cell["source"])


def instructor_cells(lang):
    return json.loads((ROOT / "notebooks" / lang / f"{NAME}.ipynb").read_text(encoding="utf-8"))["cells"]


def hidden_lines(lang) -> list[str]:
    """The code lines of the hidden tests, from the instructor edition."""
    source = instructor_cells(lang)
    tests = [text(c).split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
             for c in source if "### BEGIN HIDDEN TESTS" in text(c)]
    assert len(tests) == EXERCISES
    return [line.strip() for t in tests for line in t.splitlines() if line.strip()]


def points_in_the_lesson(lang) -> float:
    return sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in instructor_cells(lang))


def nbgrader(cwd, *args, home=None, exchange=None):
    """One nbgrader command run in ``cwd`` with this checkout's course_utils.

    ``home``: the user's home, whose Jupyter config and data (nbgrader's submit cache)
    are theirs alone, as on a server; ``exchange``: the folder $NBGRADER_EXCHANGE names.
    """
    def before(var, first):
        return os.pathsep.join(filter(None, [first, os.environ.get(var)]))

    # nbgrader runs its venv's `alembic` by name, as an activated venv would find it.
    env = dict(os.environ, PYTHONPATH=before("PYTHONPATH", str(ROOT)),
               PATH=before("PATH", str(Path(sys.executable).parent)), COURSE_PROFILE="smoke")
    env.pop(EXCHANGE_ENV, None)
    if exchange is not None:
        env[EXCHANGE_ENV] = str(exchange)
    if home is not None:
        env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
                   JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"))
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def answered(release: Path, answers: dict) -> nbformat.NotebookNode:
    nb = nbformat.read(release, as_version=4)
    used = set()
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "markdown":
            cell.source += "My reasoning, for the instructor to read."
        if cell.cell_type != "code":
            continue
        lines = []
        for line in cell.source.split("\n"):
            key = next((k for k in answers if line.startswith(k)), None)
            lines.append(answers[key] if key else line.replace(*QUICK_TIMING))
            used.add(key)
        cell.source = "\n".join(lines)
    assert set(answers) <= used, set(answers) - used
    return nb


def configured_exchange(monkeypatch, value):
    """Exchange.root as nbgrader_config.py sets it, with $NBGRADER_EXCHANGE set to ``value``."""
    from traitlets.config.loader import PyFileConfigLoader

    if value is None:
        monkeypatch.delenv(EXCHANGE_ENV, raising=False)
    else:
        monkeypatch.setenv(EXCHANGE_ENV, value)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert config.CourseDirectory.course_id == COURSE_ID
    return config.Exchange.root


def test_the_exchange_folder_is_the_instructors_to_choose(monkeypatch, tmp_path):
    assert configured_exchange(monkeypatch, str(tmp_path / "exchange")) == str(tmp_path / "exchange")
    # unset (or empty): nbgrader's own default, where students' nbgrader looks unconfigured
    from nbgrader.exchange.default import Exchange
    assert configured_exchange(monkeypatch, None) == Exchange.root.default() \
        == configured_exchange(monkeypatch, "") == "/usr/local/share/nbgrader/exchange"


class Course:
    """A course folder, its exchange and its students' homes, after one language's cycle
    up to autograde."""

    def __init__(self, base: Path, lang: str):
        self.lang, self.base = lang, base
        self.dir, self.exchange = base / "course", base / "exchange"
        self.homes = {student: base / "home" / student for student in STUDENTS}

    def instructor(self, *args):
        return nbgrader(self.dir, *args, home=self.base / "instructor", exchange=self.exchange)

    def student(self, student, *args):
        """A student's command, in their home, as that student (nbgrader's --student;
        without it nbgrader takes the login name, or $JUPYTERHUB_USER for `jovyan`)."""
        return nbgrader(self.homes[student], *args, f"--student={student}",
                        home=self.homes[student], exchange=self.exchange)

    def fetched(self, student) -> Path:
        return self.homes[student] / self.lang / f"{NAME}.ipynb"

    def run_to_autograde(self):
        lang = self.lang
        self.dir.mkdir()
        self.exchange.mkdir()          # nbgrader never creates it: the admin does, once
        shutil.copy(ROOT / "nbgrader_config.py", self.dir)
        (self.dir / "notebooks" / lang).mkdir(parents=True)
        shutil.copy(ROOT / "notebooks" / lang / f"{NAME}.ipynb", self.dir / "notebooks" / lang)
        for home in self.homes.values():
            # The students' side of the course config, as a hub installs it in /etc/jupyter.
            (home / ".jupyter").mkdir(parents=True)
            shutil.copy(ROOT / "nbgrader_config.py", home / ".jupyter")

        self.instructor("generate_assignment", lang)
        self.instructor("release_assignment", lang)
        for student, answers in zip(STUDENTS, (RIGHT, WRONG)):
            self.student(student, "fetch_assignment", lang)
            nbformat.write(answered(self.fetched(student), answers), self.fetched(student))
            self.student(student, "submit", lang)
        self.instructor("collect", lang)
        self.instructor("autograde", lang)
        return self


_built = {}


def built(lang, tmp_path_factory) -> Course:
    """One language's course, built once for all the tests that use it."""
    if lang not in _built:
        _built[lang] = Course(tmp_path_factory.mktemp(f"grading-{lang}"), lang).run_to_autograde()
    return _built[lang]


@pytest.fixture(scope="module", params=LANGS)
def course(request, tmp_path_factory):
    return built(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The language that goes on to hand grades and feedback."""
    return built(FULL, tmp_path_factory)


def test_the_exchange_is_the_configured_folder(course):
    # release_assignment wrote where $NBGRADER_EXCHANGE says, and collect read both
    # students' hand-ins from there into submitted/.
    outbound = course.exchange / COURSE_ID / "outbound" / course.lang / f"{NAME}.ipynb"
    assert outbound.read_bytes() == (course.dir / "release" / course.lang / f"{NAME}.ipynb").read_bytes()
    inbound = sorted(p.name.split("+")[0] for p in (course.exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(STUDENTS)
    for student in STUDENTS:
        submitted = course.dir / "submitted" / student / course.lang
        assert (submitted / "timestamp.txt").is_file()
        assert nbformat.read(submitted / f"{NAME}.ipynb", as_version=4) == \
            nbformat.read(course.fetched(student), as_version=4)


def test_the_release_gives_nothing_away(course):
    source = instructor_cells(course.lang)
    private = [c for c in source if is_solution(c) or is_notes(c)]
    elsewhere = {line.strip() for c in source if c not in private for line in text(c).splitlines()}
    secret = {line.strip() for c in private for line in text(c).splitlines()
              if len(line.strip()) > 20 and "###" not in line and line.strip() not in elsewhere}
    assert len(secret) > 50
    # what a student fetched from the exchange, before answering it
    raw = (course.exchange / COURSE_ID / "outbound" / course.lang / f"{NAME}.ipynb").read_text(encoding="utf-8")
    released = json.loads(raw)["cells"]
    shown = {line.strip() for c in released for line in text(c).splitlines()}
    assert not secret & shown, sorted(secret & shown)[:3]
    assert not any(line in shown for line in hidden_lines(course.lang))
    assert not re.search(r"BEGIN (SOLUTION|HIDDEN)|NBVAL_", raw)
    assert all(c.get("outputs", []) == [] for c in released)
    assert not any(is_notes(c) for c in released)


def scores(course, student):
    with Gradebook(f"sqlite:///{course.dir / 'gradebook.db'}", COURSE_ID) as gb:
        nb = gb.find_submission_notebook(NAME, course.lang, student)
        auto = {g.name: (g.auto_score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}
        return auto, nb.score, nb.max_score, nb.needs_manual_grade


def test_a_right_submission_gets_every_autograded_point(course):
    auto, score, max_score, manual = scores(course, "alice")
    assert len(auto) == EXERCISES and all(got == most > 0 for got, most in auto.values()), auto
    # the written answers wait for the instructor
    assert manual and score == sum(most for _, most in auto.values()) < max_score


def test_a_wrong_submission_gets_fewer(course):
    auto, score, _, _ = scores(course, "bob")
    right = [name for name, (got, most) in auto.items() if got == most]
    assert right == ["ex6-tests"] and len(right) == WRONG_RIGHT, auto
    assert score == auto["ex6-tests"][1]
    log = (course.dir / "autograded" / "bob" / course.lang / f"{NAME}.ipynb").read_text(encoding="utf-8")
    assert "exercise 1 not passed" in log and "AssertionError" in log


def test_hand_grades_complete_the_score_and_the_fetched_feedback_shows_it(full):
    with Gradebook(f"sqlite:///{full.dir / 'gradebook.db'}", COURSE_ID) as gb:
        for student in STUDENTS:
            nb = gb.find_submission_notebook(NAME, full.lang, student)
            for grade in nb.grades:
                if grade.cell.cell_type == "markdown":     # the instructor reads each written answer
                    grade.manual_score = grade.max_score if student == "alice" else 0
                    grade.needs_manual_grade = False   # as the formgrader's save does
            gb.db.commit()
    _, alice, most, manual = scores(full, "alice")
    _, bob, _, _ = scores(full, "bob")
    assert not manual and alice == most == points_in_the_lesson(full.lang) and bob < alice
    full.instructor("generate_feedback", full.lang)
    full.instructor("release_feedback", full.lang)
    for student, score in (("alice", alice), ("bob", bob)):
        full.student(student, "fetch_feedback", full.lang)
        # <home>/<assignment>/feedback/<submission's timestamp>/<notebook>.html, theirs only
        pages = list((full.homes[student] / full.lang / "feedback").glob(f"*/{NAME}.html"))
        assert len(pages) == 1, pages
        page = pages[0].read_text(encoding="utf-8")
        assert page == (full.dir / "feedback" / student / full.lang / f"{NAME}.html").read_text(encoding="utf-8")
        assert f"{NAME} (Score: {score:.1f} / {most:.1f})" in page, student
        plain = html.unescape(re.sub(r"<[^>]+>", "", page))      # the text a student reads
        assert not HIDDEN.search(plain) and not any(line in plain for line in hidden_lines(full.lang))
    assert "exercise 1 not passed" in page           # bob's failed test still says why


def test_the_instructor_edition_passes_its_own_tests(full):
    # The solutions answer under other names than the "Your turn" cells; the hidden
    # tests must find them, or the lesson as taught would show a failing cell.
    done = full.instructor("validate", f"notebooks/{full.lang}/{NAME}.ipynb")
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]
