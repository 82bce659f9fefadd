"""The one definition of a solution, speaker notes and test markers."""

from nbformat.v4 import new_code_cell, new_markdown_cell

from course_utils import cells, slides, student


def test_a_solution_is_nbgrader_metadata_or_markers():
    marked = new_markdown_cell("The loop sees the top level only.")
    marked.metadata["nbgrader"] = {"solution": True}
    assert cells.is_solution(marked)
    assert cells.is_solution(new_code_cell("x = ...\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION"))
    # plain JSON, source stored as a list of lines
    assert cells.is_solution({"cell_type": "code", "metadata": {},
                              "source": ["x = 1\n", "  ###  END SOLUTION\n"]})
    assert not cells.is_solution(new_code_cell("# BEGIN SOLUTION is nbgrader's marker\nx = 1"))
    assert not cells.is_solution(new_markdown_cell("Write `### BEGIN SOLUTION` above your answer."))
    assert not cells.is_solution(new_markdown_cell("<details><summary>Hint</summary>x</details>"))


def test_both_editions_use_the_one_definition():
    assert student.is_solution is slides.is_solution is cells.is_solution
    assert student.is_notes is cells.is_notes


def test_notes_and_markers():
    notes = new_markdown_cell("Ask the class.")
    notes.metadata["slideshow"] = {"slide_type": "notes"}
    assert cells.is_notes(notes) and not cells.is_notes(new_markdown_cell("# Title"))
    source = "# NBVAL_IGNORE_OUTPUT\nx = 1  # NBVAL_ stays in code\n  #NBVAL_CHECK_OUTPUT why\ny = 2"
    assert cells.strip_test_markers(source) == "x = 1  # NBVAL_ stays in code\ny = 2"
    assert cells.strip_solution_markers("### BEGIN SOLUTION\nx = 2\n### END SOLUTION") == "x = 2\n"
