"""Grading lesson 5's exercises with nbgrader: what the course adds to its workflow.

Each exercise in ``05-summary-exercises.ipynb`` carries nbgrader metadata: the written
"Solution" is a manually graded answer, and an autograder test cell after the solution
holds hidden tests (``### BEGIN HIDDEN TESTS``) that grade the student's "Your turn"
answer. ``nbgrader_config.py`` (repository root) wires the course into nbgrader's own
commands; this module holds the one step nbgrader lacks: speaker notes are the
presenter's, and they name answers, so they never reach a released assignment.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from .cells import is_notes, strip_test_markers

# The assignments are the lessons' language folders; only lesson 5 is graded.
ASSIGNMENTS = ("zh", "en")
GRADED_NOTEBOOK = "05-summary-exercises"


class RemoveSpeakerNotes(NbGraderPreprocessor):
    """Drop speaker-notes cells and ``# NBVAL_...`` test markers from a release."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_notes(cell)]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = strip_test_markers(cell.source)
        return nb, resources


class ShortErrors(NbGraderPreprocessor):
    """An error in feedback as one line, ``AssertionError: <why>``: a traceback would
    quote the hidden test that raised it."""

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        return cell, resources
