"""nbgrader for the graded exercises in lesson 5, one assignment per language.

nbgrader reads ``<root>/<source_directory>/<assignment>/<notebook>.ipynb``; with the
lessons' folder as the source directory, the assignments are ``zh`` and ``en`` and
only lesson 5 is graded. Run from the repository root, e.g.
``nbgrader generate_assignment en`` writes ``release/en/05-summary-exercises.ipynb``.
"""

c = get_config()  # noqa: F821 - nbgrader provides it

c.CourseDirectory.course_id = "vgg-course"
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.notebook_id = "05-summary-exercises"

# What a removed solution turns into: a comment that runs, in both languages, since one
# config serves both assignments (nbgrader's default raises NotImplementedError).
c.ClearSolutions.code_stub = {
    "python": "# 参考答案不在学生版里：在上面的“你来试试”单元格中作答。\n"
              "# The solution is not in this edition: answer in the \"Your turn\" cell above."}
c.ClearSolutions.text_stub = "✏️ 你的答案 / Your answer: "
c.ClearSolutions.enforce_metadata = True

# A lesson's cells may take a while on a student's laptop-sized share of the server.
c.ExecutePreprocessor.timeout = 300
