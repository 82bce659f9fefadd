"""nbgrader for the graded exercises in lesson 5, one assignment per language.

nbgrader reads ``<root>/<source_directory>/<assignment>/<notebook>.ipynb``; with the
lessons' folder as the source directory, the assignments are ``zh`` and ``en`` and
only lesson 5 is graded (7 exercises: 1 point for each written answer, graded by hand,
and 2 for each autograder test cell, whose tests are hidden from students). From the
repository root, nbgrader's usual commands work, e.g.

    nbgrader generate_assignment en     # release/en/05-summary-exercises.ipynb
    nbgrader autograde en               # submitted/<student>/en/ -> autograded/
    nbgrader generate_feedback en       # feedback/<student>/en/*.html

tests/test_grading.py runs this whole cycle on two made-up submissions.
"""

from nbgrader.converters import GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests

from course_utils.grading import GRADED_NOTEBOOK, RemoveSpeakerNotes, ShortErrors

c = get_config()  # noqa: F821 - nbgrader provides it

c.CourseDirectory.course_id = "vgg-course"
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.notebook_id = GRADED_NOTEBOOK

# Speaker notes name answers ("common mistake: answering 8"): they leave the release first.
c.GenerateAssignment.preprocessors = [
    RemoveSpeakerNotes, *GenerateAssignment.preprocessors.default()]
# Feedback shows each test's result, hint and one-line error, not the hidden tests (nor a
# traceback quoting them): the same tests grade again next term.
c.GenerateFeedback.preprocessors = [
    ClearHiddenTests, ShortErrors, *GenerateFeedback.preprocessors.default()]

# What a removed solution turns into: a comment that runs, in both languages, since one
# config serves both assignments (nbgrader's default raises NotImplementedError).
c.ClearSolutions.code_stub = {
    "python": "# 参考答案不在学生版里：在上面的“你来试试”单元格中作答。\n"
              "# The solution is not in this edition: answer in the \"Your turn\" cell above."}
c.ClearSolutions.text_stub = "✏️ 你的答案 / Your answer: "
c.ClearSolutions.enforce_metadata = True

# A lesson's cells may take a while on a student's laptop-sized share of the server.
c.Execute.timeout = 300
