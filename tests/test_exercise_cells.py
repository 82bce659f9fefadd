"""Every exercise of lesson 5 runs on its own after a kernel restart: its cells bring
their own imports and borrow nothing from the lesson or an earlier exercise (the
namespace is wiped before each exercise; a solution may use its "Your turn" cell)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05-summary-exercises.ipynb"


def exercises(nb) -> list[list]:
    """Each exercise's code cells: its "Your turn" cell and its solution (the
    autograder's cells read the student's answer, so they are left out)."""
    groups = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip("# ").startswith(("Exercise ", "练习 ")):
            groups.append([])
        elif groups and cell.cell_type == "code" and "BEGIN HIDDEN TESTS" not in cell.source:
            groups[-1].append(cell)
    return [g for g in groups if g]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_exercise_cell_runs_after_a_restart(lang, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path))
    path = ROOT / "notebooks" / lang / LESSON
    nb = nbformat.read(path, as_version=4)
    groups = exercises(nb)
    assert len(groups) == 7
    runner = nbformat.v4.new_notebook()
    for group in groups:
        runner.cells.append(nbformat.v4.new_code_cell("%reset -f"))
        runner.cells += [nbformat.v4.new_code_cell(cell.source) for cell in group]
    client = NotebookClient(runner, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    failed = [(cell.source.splitlines()[0:2], o.get("ename"), o.get("evalue"))
              for cell in runner.cells for o in cell.outputs if o.output_type == "error"]
    assert not failed, failed
