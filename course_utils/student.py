"""The student edition: every lesson without its solutions, ready to hand out.

The notebooks in ``notebooks/`` are the instructor edition: each exercise has a
"try it yourself" cell and, after it, solution cells marked the nbgrader way
(cell metadata ``nbgrader.solution`` and, in code, ``### BEGIN SOLUTION`` /
``### END SOLUTION``). This module writes ``build/student/{zh,en}/*.ipynb`` with

* solutions removed by nbgrader's own ``ClearSolutions`` preprocessor (a
  solution in a cell not marked as one is an error, so nothing slips through);
  what replaces them invites the student to answer, in the lesson's language;
  the autograder's hidden tests go too (``ClearHiddenTests``), as in a release;
* outputs cleared, except figures (PNG / SVG), which are kept so a student sees
  the pictures before running anything; a solution cell loses its figures too;
* speaker notes (slide type ``notes``), the test markers (``# NBVAL_...``),
  hidden-source / collapsed-output flags and saved widget state removed:
  nothing is hidden that a student could unhide, because it is not there;
* the pictures that markdown cells link to copied beside the edition, with the
  links rewritten to the copies, so the edition can be moved as one folder.

Run ``make student`` or ``python -m course_utils.student --out build/student``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

from .cells import is_notes, is_solution, strip_test_markers
from .messages import LANGS, pick

from .paths import NOTEBOOKS_DIR as NOTEBOOKS, REPO_ROOT
DEFAULT_OUT = REPO_ROOT / "build" / "student"
IMAGES = "Images"                       # folder for linked pictures, beside zh/ and en/

FIGURE_TYPES = ("image/png", "image/svg+xml")
# Relative picture links in markdown: ![alt](path) and <img src="path">.
MD_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")
HTML_IMAGE = re.compile(r"""(<img\b[^>]*\bsrc=["'])([^"']+)(["'])""", re.I)

# What replaces a solution, in the lesson's language.
CODE_STUB = {
    "zh": "# ✏️ 参考答案不在学生版里：先在上面的“你来试试”单元格中完成这道题。",
    "en": "# ✏️ The solution is not in the student edition: solve it in the "
          "\"Your turn\" cell above.",
}
TEXT_STUB = {
    "zh": "✏️ **你的答案**：（双击这里，写下你的思路。）",
    "en": "✏️ **Your answer**: (double-click here and write your reasoning.)",
}


def clear_solutions(nb, lang: str):
    """nbgrader's ClearSolutions, with stubs that run and speak the lesson's language,
    then its ClearHiddenTests: the tests that grade an answer would give it away."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    pre = ClearSolutions(code_stub={"python": CODE_STUB[lang]}, text_stub=TEXT_STUB[lang],
                         enforce_metadata=True)
    nb, _ = pre.preprocess(nb, {})
    nb, _ = ClearHiddenTests(enforce_metadata=True).preprocess(nb, {})
    return nb


def keep_figures(outputs: list) -> list:
    """Only figure outputs survive, stripped down to their pictures."""
    kept = []
    for out in outputs:
        if out.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = {k: v for k, v in out.get("data", {}).items() if k in FIGURE_TYPES}
        if data:
            kept.append(nbformat.v4.new_output("display_data", data=data))
    return kept


def strip_cell(cell) -> None:
    """Remove what a student should neither see nor be able to unhide."""
    meta = cell.setdefault("metadata", {})
    for key in ("jupyter", "collapsed", "scrolled", "execution", "tags"):
        meta.pop(key, None)
    if cell["cell_type"] == "code":
        cell["source"] = strip_test_markers(cell["source"])
        cell["outputs"] = [] if is_solution(cell) else keep_figures(cell.get("outputs", []))
        # A cell that keeps a figure keeps its number: nbval refuses "unrun" cells with outputs.
        if not cell["outputs"]:
            cell["execution_count"] = None


def relink_images(cell, src_dir: Path, out_root: Path) -> None:
    """Copy each linked local picture to ``out_root/Images`` and point the link there."""

    def relink(match):
        target = match.group(2)
        if re.match(r"^[a-z]+:", target, re.I) or target.startswith(("/", "#")):
            return match.group(0)                  # web links, data: URIs, anchors
        path = (src_dir / target.split("#")[0]).resolve()
        if not path.is_file():
            return match.group(0)
        (out_root / IMAGES).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out_root / IMAGES / path.name)
        return f"{match.group(1)}../{IMAGES}/{path.name}{match.group(3)}"

    cell["source"] = HTML_IMAGE.sub(relink, MD_IMAGE.sub(relink, cell["source"]))


def student_notebook(path: Path, lang: str, out_root: Path):
    """The student edition of one notebook (an ``nbformat`` node)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not is_notes(c)]
    nb = clear_solutions(nb, lang)
    for cell in nb.cells:
        strip_cell(cell)
        if cell["cell_type"] == "markdown":
            relink_images(cell, path.parent, out_root)
    nb.metadata.pop("widgets", None)             # saved widget state would show stale views
    nbformat.validate(nb)
    return nb


MANIFEST = ".edition.json"   # what each notebook held when this module wrote it


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_unless_changed(target: Path, text: str, written_before: dict, lang: str) -> Path:
    """Write ``target`` unless a student changed it since the last build; then the new
    edition goes beside it as ``<name>.new.ipynb`` and one line says so."""
    key = f"{target.parent.name}/{target.name}"
    data = text.encode("utf-8")
    if target.is_file():
        current = _digest(target.read_bytes())
        if current not in (written_before.get(key), _digest(data)):
            beside = target.with_name(target.stem + ".new.ipynb")
            beside.write_bytes(data)
            print(pick(f"{target} 在上次生成之后被改过，没有覆盖它；新版写在旁边：{beside.name}",
                       f"{target} was changed after the last build, so it was kept; "
                       f"the new edition is beside it: {beside.name}", lang), file=sys.stderr)
            return beside
    target.write_bytes(data)
    written_before[key] = _digest(data)
    return target


def build(out: Path | str = DEFAULT_OUT, src: Path | str = NOTEBOOKS, langs=LANGS) -> list[Path]:
    """Write the student edition of every lesson; returns the notebooks written.

    A notebook a student changed since the last build is never overwritten."""
    out, src = Path(out), Path(src)
    manifest = out / MANIFEST
    try:
        written_before = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written_before = {}
    written = []
    for lang in langs:
        (out / lang).mkdir(parents=True, exist_ok=True)
        for path in sorted((src / lang).glob("*.ipynb")):
            text = nbformat.writes(student_notebook(path, lang, out)).rstrip("\n") + "\n"
            written.append(_write_unless_changed(out / lang / path.name, text, written_before, lang))
    manifest.write_text(json.dumps(written_before, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "README.md").write_text(INSTALL_README, encoding="utf-8")
    return written


# What a student who gets only this folder needs to run it: the course's package (from
# the instructor's wheel or the repository), d2l without its 2023 pins, and the data.
INSTALL_README = """# VGG 课程（学生版）· The VGG course, student edition

每课都用到课程工具包 `course_utils`。在这个文件夹里 / Every lesson uses the course's package
`course_utils`. In this folder:

```bash
python3 -m venv .venv
# 这个文件夹里的 wheel（make student 放进来的），或者课程仓库
# the wheel in this folder (make student puts it here), or the course repository:
.venv/bin/pip install course_utils-*.whl        # or: "course_utils @ git+https://github.com/vgg-course/vgg-course.git"
.venv/bin/pip install --no-deps d2l==1.0.3
.venv/bin/jupyter lab
```

没有 NVIDIA GPU 的电脑，先装 CPU 版 PyTorch（不到 1 GB）/ Without an NVIDIA GPU, install
PyTorch's CPU build first (under 1 GB): `.venv/bin/pip install torch torchvision --index-url
https://download.pytorch.org/whl/cpu`.

Fashion-MNIST：第 4 课第一次需要时会检查本机的副本（`FASHION_MNIST_DIR`，或 Debian 的
`dataset-fashion-mnist`），找不到才下载并校验。Lesson 4 looks for a local copy first
(`FASHION_MNIST_DIR`, or Debian's `dataset-fashion-mnist`) and downloads, with a checksum,
only when there is none. 在 JupyterHub 或 Colab 上什么都不用装 / On the class hub or Colab
there is nothing to install: each lesson's first cell takes care of it.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.student",
        description="Write the student edition: solutions, outputs (figures kept) and "
                    "speaker notes removed.")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--src", default=str(NOTEBOOKS), help="the lessons' folder")
    args = parser.parse_args(argv)
    try:
        written = build(args.out, args.src)
    except ImportError:
        print("The student edition needs nbgrader: pip install nbgrader==0.9.6 "
              "(make student installs it).", file=sys.stderr)
        return 1
    print(f"{len(written)} notebooks -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
