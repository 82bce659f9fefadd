"""Grading lesson 5 with nbgrader's own commands, in a course folder of its own.

generate_assignment -> two submissions (as ``nbgrader collect`` would file them) ->
autograde -> the instructor's hand grades -> generate_feedback. A right submission
gets every point, a wrong one fewer; the release gives no solution away.
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
LANG = "en"
EXERCISES = 7

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


HIDDEN = re.compile(r"BEGIN HIDDEN|END HIDDEN")


def text(cell):
    return "".join(cell["source"])


def hidden_lines() -> list[str]:
    """The code lines of the hidden tests, from the instructor edition."""
    source = json.loads((ROOT / "notebooks" / LANG / f"{NAME}.ipynb").read_text(encoding="utf-8"))["cells"]
    tests = [text(c).split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
             for c in source if "### BEGIN HIDDEN TESTS" in text(c)]
    assert len(tests) == EXERCISES
    return [line.strip() for t in tests for line in t.splitlines() if line.strip()]


def points_in_the_lesson() -> float:
    source = json.loads((ROOT / "notebooks" / LANG / f"{NAME}.ipynb").read_text(encoding="utf-8"))["cells"]
    return sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in source)


def nbgrader(course, *args):
    """One nbgrader command in the course folder, with this checkout's course_utils."""
    def before(var, first):
        return os.pathsep.join(filter(None, [first, os.environ.get(var)]))

    # nbgrader runs its venv's `alembic` by name, as an activated venv would find it.
    env = dict(os.environ, PYTHONPATH=before("PYTHONPATH", str(ROOT)),
               PATH=before("PATH", str(Path(sys.executable).parent)), COURSE_PROFILE="smoke")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
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
            lines.append(answers[key] if key else line)
            used.add(key)
        cell.source = "\n".join(lines)
    assert set(answers) <= used, set(answers) - used
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "notebooks" / LANG).mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / LANG / f"{NAME}.ipynb", course / "notebooks" / LANG)
    nbgrader(course, "generate_assignment", LANG)
    release = course / "release" / LANG / f"{NAME}.ipynb"
    for student, answers in (("alice", RIGHT), ("bob", WRONG)):
        folder = course / "submitted" / student / LANG
        folder.mkdir(parents=True)
        nbformat.write(answered(release, answers), folder / f"{NAME}.ipynb")
        (folder / "timestamp.txt").write_text("2026-01-15 10:00:00.000000 UTC")
    nbgrader(course, "autograde", LANG)
    return course


def test_the_release_gives_nothing_away(course):
    source = json.loads((ROOT / "notebooks" / LANG / f"{NAME}.ipynb").read_text(encoding="utf-8"))["cells"]
    private = [c for c in source if is_solution(c) or is_notes(c)]
    elsewhere = {line.strip() for c in source if c not in private for line in text(c).splitlines()}
    secret = {line.strip() for c in private for line in text(c).splitlines()
              if len(line.strip()) > 20 and "###" not in line and line.strip() not in elsewhere}
    assert len(secret) > 50
    raw = (course / "release" / LANG / f"{NAME}.ipynb").read_text(encoding="utf-8")
    released = json.loads(raw)["cells"]
    shown = {line.strip() for c in released for line in text(c).splitlines()}
    assert not secret & shown, sorted(secret & shown)[:3]
    assert not any(line in shown for line in hidden_lines())
    assert not re.search(r"BEGIN (SOLUTION|HIDDEN)|NBVAL_", raw)
    assert all(c.get("outputs", []) == [] for c in released)
    assert not any(is_notes(c) for c in released)


def scores(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "vgg-course") as gb:
        nb = gb.find_submission_notebook(NAME, LANG, student)
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
    assert right == ["ex6-tests"] and len(right) == WRONG_RIGHT
    assert score == auto["ex6-tests"][1]
    log = (course / "autograded" / "bob" / LANG / f"{NAME}.ipynb").read_text(encoding="utf-8")
    assert "exercise 1 not passed" in log and "AssertionError" in log


def test_hand_grades_complete_the_score_and_feedback_shows_it(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "vgg-course") as gb:
        for student in ("alice", "bob"):
            nb = gb.find_submission_notebook(NAME, LANG, student)
            for grade in nb.grades:
                if grade.cell.cell_type == "markdown":     # the instructor reads each written answer
                    grade.manual_score = grade.max_score if student == "alice" else 0
                    grade.needs_manual_grade = False   # as the formgrader's save does
            gb.db.commit()
    _, alice, most, manual = scores(course, "alice")
    _, bob, _, _ = scores(course, "bob")
    assert not manual and alice == most == points_in_the_lesson() and bob < alice
    nbgrader(course, "generate_feedback", LANG)
    for student, score in (("alice", alice), ("bob", bob)):
        page = (course / "feedback" / student / LANG / f"{NAME}.html").read_text(encoding="utf-8")
        assert f"{NAME} (Score: {score:.1f} / {most:.1f})" in page, student
        plain = html.unescape(re.sub(r"<[^>]+>", "", page))      # the text a student reads
        assert not HIDDEN.search(plain) and not any(line in plain for line in hidden_lines())
    assert "exercise 1 not passed" in page           # bob's failed test still says why


def test_the_instructor_edition_passes_its_own_tests(course):
    # The solutions answer under other names than the "Your turn" cells; the hidden
    # tests must find them, or the lesson as taught would show a failing cell.
    done = nbgrader(course, "validate", f"notebooks/{LANG}/{NAME}.ipynb")
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]
