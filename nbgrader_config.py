"""nbgrader for the graded exercises in lesson 5, one assignment per language.

nbgrader reads ``<root>/<source_directory>/<assignment>/<notebook>.ipynb``; with the
lessons' folder as the source directory, the assignments are ``zh`` and ``en`` and
only lesson 5 is graded (7 exercises: 1 point for each written answer, graded by hand,
and 2 for each autograder test cell, whose tests are hidden from students). From the
repository root, nbgrader's usual commands work, e.g.

    nbgrader generate_assignment en     # release/en/05-summary-exercises.ipynb
    nbgrader release_assignment en      # -> <exchange>/vgg-course/outbound/en/
    nbgrader collect en                 # <exchange>/vgg-course/inbound/ -> submitted/<student>/en/
    nbgrader autograde en               # submitted/<student>/en/ -> autograded/
    nbgrader generate_feedback en       # feedback/<student>/en/*.html
    nbgrader release_feedback en        # -> <exchange>/vgg-course/feedback/

and a student's side is ``nbgrader fetch_assignment en``, ``nbgrader submit en`` and
``nbgrader fetch_feedback en``. tests/test_grading.py runs this whole cycle, exchange
included, on two made-up students.
"""

import os

from nbgrader.converters import GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import ClearHiddenTests

from course_utils.grading import GRADED_NOTEBOOK, RemoveSpeakerNotes, ShortErrors

c = get_config()  # noqa: F821 - nbgrader provides it

c.CourseDirectory.course_id = "vgg-course"
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.notebook_id = GRADED_NOTEBOOK

# The exchange: the one folder that release_assignment and release_feedback write to,
# fetch_assignment and fetch_feedback read from, submit hands in to and collect takes from,
# as <exchange>/vgg-course/{outbound,inbound,feedback}/. $NBGRADER_EXCHANGE names it; unset,
# it is nbgrader's own default, /usr/local/share/nbgrader/exchange, where a student's nbgrader
# with no configuration looks too. nbgrader never creates it: make it once, writable by
# everyone who takes the course, e.g.
#     sudo install -d -m 777 /usr/local/share/nbgrader/exchange
# or, to try the cycle on one machine as one user,
#     export NBGRADER_EXCHANGE=$HOME/nbgrader-exchange; mkdir -p "$NBGRADER_EXCHANGE"
# Students' nbgrader must see the same folder and course id: on a hub, install this file as
# /etc/jupyter/nbgrader_config.py too (and, for a folder other than the default, give the
# students' servers the same NBGRADER_EXCHANGE).
c.Exchange.root = os.path.abspath(os.path.expanduser(
    os.environ.get("NBGRADER_EXCHANGE") or "/usr/local/share/nbgrader/exchange"))

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
