"""What a notebook cell is, as the student edition and the slide decks both see it.

One truth for both editions:

* a *solution* is a cell nbgrader would treat as one: metadata
  ``nbgrader.solution`` set, or (in code) a ``### BEGIN SOLUTION`` /
  ``### END SOLUTION`` marker line;
* *speaker notes* are cells whose slide type (:func:`slide_type`) is ``notes``;
* *test markers* are whole ``# NBVAL_...`` comment lines, which tell nbval how to
  compare outputs and mean nothing to a reader.

Cells may be ``nbformat`` nodes or plain dicts read from JSON (source as a string
or as a list of lines).
"""

from __future__ import annotations

import re

# A whole comment line such as "# NBVAL_IGNORE_OUTPUT", with anything after the marker.
NBVAL_LINE = re.compile(r"^[ \t]*#[ \t]*NBVAL_\w+.*(?:\n|$)", re.M)
# nbgrader's solution markers; nbgrader clears what lies between them.
SOLUTION_LINE = re.compile(r"^[ \t]*#{3}[ \t]*(?:BEGIN|END)[ \t]+SOLUTION[ \t]*(?:\n|$)", re.M)


def text_of(value) -> str:
    """A notebook text field (a source, a stream's text, a ``text/plain``) as one string:
    JSON files may store it as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def source_of(cell) -> str:
    """A cell's source as one string."""
    return text_of(cell.get("source", ""))


def is_solution(cell) -> bool:
    """A cell that gives an exercise's answer away (nbgrader's metadata or markers)."""
    if cell.get("metadata", {}).get("nbgrader", {}).get("solution", False):
        return True
    return cell.get("cell_type") == "code" and bool(SOLUTION_LINE.search(source_of(cell)))


def slide_type(cell) -> str:
    """A cell's slide type ("slide", "subslide", "fragment", "notes", "skip"); "-" when unset."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def is_notes(cell) -> bool:
    """A speaker-notes cell: shown to the presenter, never to the class or a student."""
    return slide_type(cell) == "notes"


def strip_test_markers(source: str) -> str:
    """``source`` without its ``# NBVAL_...`` lines."""
    return NBVAL_LINE.sub("", source)


def strip_solution_markers(source: str) -> str:
    """``source`` without its ``### BEGIN/END SOLUTION`` lines (the code between stays)."""
    return SOLUTION_LINE.sub("", source)
