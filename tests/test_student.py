"""The student edition (`make student`): solutions gone, try-first cells kept,
figures kept, nothing hidden, and a lesson runs from top to bottom."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import student
from course_utils.cells import is_solution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = sorted(p.name for p in (NOTEBOOKS / "en").glob("*.ipynb"))
YOUR_TURN = "# 你来试试 / Your turn"
MARKER = re.compile(r"(BEGIN|END) SOLUTION")


def cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def text(cell):
    return "".join(cell["source"])


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    written = student.build(out)
    assert len(written) == 2 * len(NAMES)
    return out


def solution_lines(lang, name):
    """Lines that appear only in solution cells of the instructor edition."""
    source = cells(NOTEBOOKS / lang / name)
    elsewhere = {line.strip() for c in source if not is_solution(c) for line in text(c).splitlines()}
    return {line.strip() for c in source if is_solution(c) for line in text(c).splitlines()
            if len(line.strip()) > 20 and not MARKER.search(line)
            and "NBVAL_" not in line and line.strip() not in elsewhere}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_solutions_are_removed_and_the_stub_speaks_the_language(edition, lang):
    total = 0
    for name in NAMES:
        secret = solution_lines(lang, name)
        total += len(secret)
        raw = (edition / lang / name).read_text(encoding="utf-8")
        assert not MARKER.search(raw), f"{lang}/{name}"
        shown = {line.strip() for c in cells(edition / lang / name) for line in text(c).splitlines()}
        leaked = sorted(secret & shown)
        assert not leaked, f"{lang}/{name} still shows: {leaked[:3]}"
        for cell in cells(edition / lang / name):
            if is_solution(cell):
                stub = student.TEXT_STUB if cell["cell_type"] == "markdown" else student.CODE_STUB
                assert text(cell).strip() == stub[lang]
    assert total > 50        # lesson 5's seven solutions were really there to remove


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_exercise_is_tried_first(edition, lang):
    name = "05-summary-exercises.ipynb"
    source = cells(NOTEBOOKS / lang / name)
    headings = [i for i, c in enumerate(source) if c["cell_type"] == "markdown"
                and re.match(r"## (练习|Exercise) \d", text(c))]
    assert len(headings) == 7
    for start, end in zip(headings, headings[1:] + [len(source)]):
        part = source[start:end]
        turns = [i for i, c in enumerate(part) if text(c).startswith(YOUR_TURN)]
        solutions = [i for i, c in enumerate(part) if is_solution(c)]
        assert len(turns) == 1 and solutions and turns[0] < min(solutions), text(part[0])[:40]
        assert "..." in text(part[turns[0]])               # a scaffold, not an answer
    kept = [text(c) for c in cells(edition / lang / name) if text(c).startswith(YOUR_TURN)]
    assert kept == [text(c) for c in source if text(c).startswith(YOUR_TURN)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_hidden_no_notes_only_figures(edition, lang):
    figures = 0
    for name in NAMES:
        source = {c["id"]: c for c in cells(NOTEBOOKS / lang / name)}
        for cell in cells(edition / lang / name):
            assert "jupyter" not in cell["metadata"], "a hidden-source flag survived"
            assert cell["metadata"].get("slideshow", {}).get("slide_type") != "notes"
            assert "<details" not in text(cell)
            assert "NBVAL_" not in text(cell)
            if cell["cell_type"] != "code":
                continue
            # a kept figure keeps its cell's number (nbval refuses unrun cells with outputs)
            assert cell["execution_count"] is None or cell["outputs"]
            for out in cell["outputs"]:
                assert out["output_type"] == "display_data"
                assert set(out["data"]) <= {"image/png", "image/svg+xml"}
            before = [o for o in source[cell["id"]]["outputs"]
                      if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
            expected = 0 if is_solution(source[cell["id"]]) else len(before)
            assert len(cell["outputs"]) == expected, f"{lang}/{name} {cell['id']}"
            figures += expected
        nb = json.loads((edition / lang / name).read_text(encoding="utf-8"))
        assert "widgets" not in nb["metadata"]
    assert figures == sum(
        1 for name in NAMES for c in cells(NOTEBOOKS / lang / name)
        if c["cell_type"] == "code" and not is_solution(c)
        for o in c["outputs"] if {"image/png", "image/svg+xml"} & set(o.get("data", {})))


def test_linked_pictures_travel_with_the_edition(edition):
    links = 0
    for path in edition.glob("*/*.ipynb"):
        for cell in cells(path):
            if cell["cell_type"] == "markdown":
                for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text(cell)):
                    if not re.match(r"^[a-z]+:", target):
                        links += 1
                        assert (path.parent / target).is_file(), f"{path.name}: {target}"
    assert links > 0


def test_a_student_notebook_runs_from_top_to_bottom(edition):
    # Lesson 5 is the quickest with exercises; every scaffold must run as handed out.
    env = dict(os.environ, COURSE_PROFILE="smoke")
    notebook = edition / "en" / "05-summary-exercises.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", str(notebook)],
        cwd=edition, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_rebuild_never_overwrites_a_notebook_the_student_changed(tmp_path, capsys):
    first = student.build(tmp_path, langs=["en"])
    mine, untouched = first[0], first[1]
    nb = json.loads(mine.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes"})
    mine.write_text(json.dumps(nb), encoding="utf-8")
    edited = mine.read_bytes()

    second = student.build(tmp_path, langs=["en"])
    assert mine.read_bytes() == edited, "the student's work was overwritten"
    beside = mine.with_name(mine.stem + ".new.ipynb")
    assert beside in second and beside.is_file()
    assert untouched in second                       # unchanged ones are simply rebuilt
    assert "was kept" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_autograders_hidden_tests_are_not_handed_out(edition, lang):
    name = "05-summary-exercises.ipynb"
    hidden = [text(c).split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
              for c in cells(NOTEBOOKS / lang / name) if "### BEGIN HIDDEN TESTS" in text(c)]
    assert len(hidden) == 7
    shown = {line.strip() for c in cells(edition / lang / name) for line in text(c).splitlines()}
    raw = (edition / lang / name).read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in raw
    assert not {line.strip() for h in hidden for line in h.splitlines() if line.strip()} & shown


def test_the_edition_says_how_to_install_what_it_needs(edition):
    readme = (edition / "README.md").read_text(encoding="utf-8")
    for needed in ("course_utils", "pip install", "d2l==1.0.3", "--no-deps", "Fashion-MNIST",
                   "download.pytorch.org/whl/cpu"):
        assert needed in readme, needed
    assert "BEGIN SOLUTION" not in readme
