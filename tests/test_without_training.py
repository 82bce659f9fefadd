"""A class without a GPU skips lesson 4's training cell and shows the stored run: every
other cell must still run, and those that need the run say so in the lesson's language."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SAID = {"zh": "这个内核里还没有训练", "en": "Nothing has been trained in this kernel yet"}


def is_training_cell(cell) -> bool:
    return cell.cell_type == "code" and "history = train_ch6(" in cell.source


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lesson_4_runs_with_the_training_cell_skipped(lang, monkeypatch, tmp_path):
    path = ROOT / "notebooks" / lang / "04-training.ipynb"
    nb = nbformat.read(path, as_version=4)
    skipped = [c for c in nb.cells if is_training_cell(c)]
    assert len(skipped) == 1
    nb.cells = [c for c in nb.cells if not is_training_cell(c)]
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path))
    # Raises CellExecutionError, naming the cell, if any cell fails.
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    printed = ["".join(o.get("text", "") for o in c.get("outputs", []))
               for c in nb.cells if c.cell_type == "code"]
    told = [text for text in printed if SAID[lang] in text]
    # the comparison with the book, the speed cell, the predictions, what VGG sees
    assert len(told) == 4, printed
