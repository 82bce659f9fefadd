"""A Chinese lesson prints Chinese: English words in the stored zh outputs are counted.

The scanner reads what a student sees under each code cell of ``notebooks/zh``:
printed text (stdout and stderr), tables (their HTML, tags stripped), plain-text
results and widgets (sliders' labels, their HTML, the progress bar's text, read
from the widget state stored in the notebook). A word is English when it is written in Latin
letters and is none of these (each is English a Chinese student should see):

* an identifier of the notebook's own code cells (``layer_table``, ``Conv2d``):
  the student reads it in the code above;
* a layer class name (``Conv2d``, ``ReLU``, ...) and the arguments PyTorch prints
  in a module's repr (``kernel_size=3``, ``ceil_mode=False``);
* an exception's own message on a line of its own (``RuntimeError: mat1 and mat2
  shapes cannot be multiplied``): the library's words, which a lesson that shows
  one on purpose explains in Chinese on the next line;
* a unit (MB, GMACs, ms) or a torch dtype/device word (cpu, fp32, channels-last);
* d2l's own summary line (``loss 0.178, train acc 0.934, test acc 0.919, 2546.8
  examples/sec on cuda:0``), which the book prints in English and the lesson
  quotes as the book prints it;
* a proper name: a network (also as torchvision spells it: ``resnet50``), a data
  set, a library, a chip maker or an initialiser named after a person (VGG,
  Fashion-MNIST, PyTorch, NVIDIA, Xavier);
* the training profiles' names, which a student types (``COURSE_PROFILE=smoke``).

Single letters are not counted: they are unit suffixes (K, M, G) or the lesson's
maths (n, h, w, c).

The stored outputs are made by running the notebooks (the course's lead does it
before each release); ``python -m tests.test_zh_outputs FOLDER`` scans another
folder, e.g. notebooks executed into /tmp.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
import tokenize
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ZH_NOTEBOOKS = REPO / "notebooks" / "zh"
MAX_ENGLISH_WORDS = 40

LAYER_NAMES = {"Conv2d", "ReLU", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear",
               "LazyLinear", "Flatten", "Dropout", "Sequential", "BatchNorm2d", "Softmax",
               "CrossEntropyLoss", "Module", "Parameter", "Tensor", "tensor", "Size"}
# What PyTorch prints for a module: its constructor's arguments and Python literals.
REPR_WORDS = {"in_features", "out_features", "bias", "in_channels", "out_channels",
              "kernel_size", "stride", "padding", "dilation", "ceil_mode", "inplace", "groups",
              "output_size", "eps", "momentum", "affine", "track_running_stats", "True",
              "False", "None"}
UNITS = {"MB", "GB", "KB", "MiB", "GiB", "ms", "min", "GMACs", "MACs", "MMACs", "FLOPs",
         "GFLOPs", "GFLOPS", "TFLOPS"}
TORCH_WORDS = {"cpu", "cuda", "mps", "xpu", "fp32", "fp16", "bf16", "float32", "float16",
               "bfloat16", "int64", "uint8", "dtype", "device", "channels", "last",
               "contiguous", "meta", "torch", "nn", "grad_fn", "requires_grad", "autocast"}
# d2l's summary line, exactly as the book prints it.
D2L_WORDS = {"loss", "train", "acc", "test", "examples", "sec", "on"}
PROPER_NAMES = {
    # networks and data
    "VGG", "AlexNet", "LeNet", "NiN", "GoogLeNet", "Inception", "ResNet", "DenseNet",
    "SqueezeNet", "ShuffleNet", "MobileNet", "EfficientNet", "RegNet", "ConvNeXt",
    "ImageNet", "Fashion", "MNIST", "IMAGENET1K_V1", "IMAGENET1K_V2", "top",
    # software, hardware, people
    "PyTorch", "torchvision", "d2l", "NumPy", "numpy", "pandas", "matplotlib", "Jupyter",
    "JupyterLab", "Python", "CUDA", "GPU", "GPUs", "CPU", "CPUs", "NVIDIA", "AMD", "EPYC",
    "Intel", "Xeon", "Apple", "AVX", "BF16", "AMX", "Xavier", "Kaiming", "He", "Glorot",
    "Simonyan", "Zisserman", "arXiv", "ReLU", "Softmax", "SGD", "RGB", "d2l-zh", "d2l-en",
}


def _profile_names() -> set[str]:
    try:
        from course_utils.train import PROFILES
    except Exception:  # noqa: BLE001 - the scanner also runs while train is reworked
        return {"reference", "cpu-quick", "smoke", "cpu", "quick"}
    names = set(PROFILES)
    return names | {part for name in names for part in name.split("-")}


def allowed_words() -> set[str]:
    """Words allowed in any zh notebook, lower-cased."""
    from course_utils.figures import MODEL_ZOO     # torchvision's names of the networks

    words = (LAYER_NAMES | REPR_WORDS | UNITS | TORCH_WORDS | D2L_WORDS | PROPER_NAMES | _profile_names()
             | set(MODEL_ZOO))
    return {w.lower() for w in words}


def code_identifiers(source: str) -> set[str]:
    """Names used in one code cell: no strings, no comments (those may be English)."""
    names: set[str] = set()
    lines = [line for line in source.splitlines(keepends=True)
             if not line.lstrip().startswith(("%", "!"))]       # IPython magics
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if tok.type == tokenize.NAME:
                names.add(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        for line in lines:
            code = re.sub(r"#.*", "", re.sub(r"(['\"]).*?\1", "", line))
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
    return names


_EXCEPTION_LINE = re.compile(r"^\s*[A-Za-z_.]*Error: .*$", re.M)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A word: Latin letters (with digits, _ or an inner hyphen), not glued to a number
# on its left ("224x224", "1e-05", "0x7f" are numbers).
_WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*")


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_WIDGET_TEXT = ("description", "value", "placeholder", "tooltip", "_options_labels",
                "_titles", "titles")


def widget_text(model_id: str, state: dict) -> str:
    """The words a widget shows (labels, HTML, options, progress-bar text), from the
    widget state the notebook stores, through all its children."""
    texts, todo, seen = [], [model_id], set()
    while todo:
        model = state.get(todo.pop(), {}).get("state", {})
        for key in _WIDGET_TEXT:
            value = model.get(key)
            values = value if isinstance(value, list) else [value]
            texts += [v for v in values if isinstance(v, str)]
        for child in model.get("children", []):
            child = child.removeprefix("IPY_MODEL_")
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return html.unescape(_TAGS.sub(" ", "\n".join(texts)))


def output_text(output: dict, widgets: dict | None = None) -> str:
    """What a student reads of one stored output, as plain text.

    ``widgets``: the notebook's stored widget state (model id -> model), to read
    what a widget shows; without it a widget output reads as empty.
    """
    kind = output.get("output_type")
    if kind == "stream":
        text = "".join(output.get("text", ""))
        # A progress bar redraws its line after "\r": the student sees the last one.
        return "\n".join(line.split("\r")[-1] for line in text.split("\n"))
    if kind == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}"   # no traceback
    data = output.get("data", {})
    if WIDGET_VIEW in data:                # the widget is drawn, not its text/plain repr
        return widget_text(data[WIDGET_VIEW].get("model_id", ""), widgets or {})
    if "text/html" in data:
        return html.unescape(_TAGS.sub(" ", "".join(data["text/html"])))
    if any(key.startswith("image/") for key in data):
        return ""                          # the picture is shown, not "<Figure ...>"
    if "text/markdown" in data:
        return "".join(data["text/markdown"])
    return "".join(data.get("text/plain", ""))


def english_words(notebook: Path) -> list[tuple[int, str]]:
    """(cell index, word) for every English word in one notebook's stored outputs."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    identifiers = set().union(*(code_identifiers("".join(c.get("source", [])))
                                for c in cells if c.get("cell_type") == "code"))
    widgets = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    allowed = allowed_words()

    def ok(word: str) -> bool:
        return len(word) == 1 or word in identifiers or word.lower() in allowed

    found = []
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            text = _EXCEPTION_LINE.sub("", _ANSI.sub("", output_text(output, widgets)))
            for word in _WORD.findall(text):
                if not (ok(word) or ("-" in word and all(map(ok, word.split("-"))))):
                    found.append((index, word))
    return found


def scan(folder: Path | str = ZH_NOTEBOOKS) -> dict[str, list[tuple[int, str]]]:
    """English words per notebook of ``folder`` (its ``*.ipynb``)."""
    return {path.name: english_words(path) for path in sorted(Path(folder).glob("*.ipynb"))}


def report(found: dict[str, list[tuple[int, str]]]) -> str:
    lines = []
    for name, words in found.items():
        by_cell: dict[int, Counter] = {}
        for index, word in words:
            by_cell.setdefault(index, Counter())[word] += 1
        for index, counts in sorted(by_cell.items()):
            listed = ", ".join(f"{w}×{n}" if n > 1 else w for w, n in counts.most_common())
            lines.append(f"{name} cell {index}: {listed}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_stored_zh_outputs_are_chinese():
    found = scan(ZH_NOTEBOOKS)
    assert found, "no zh notebooks found"
    total = sum(len(words) for words in found.values())
    assert total <= MAX_ENGLISH_WORDS, (
        f"{total} English words in the stored outputs of notebooks/zh "
        f"(at most {MAX_ENGLISH_WORDS}):\n{report(found)}")


def _notebook(tmp_path, code: str, outputs: list[dict]) -> Path:
    nb = {"cells": [{"cell_type": "code", "source": code.splitlines(keepends=True),
                     "outputs": outputs, "metadata": {}, "execution_count": 1}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_scanner_counts_prose_but_not_code_units_or_the_books_line(tmp_path):
    code = 'from course_utils.shapes import layer_table\nnet_size = 3  # the network\n'
    outputs = [
        {"output_type": "stream", "name": "stdout",
         "text": ["layer_table 参数 1.2 MB, 3x3 卷积, 224x224, 1e-05\n",
                  "loss 0.178, train acc 0.934, test acc 0.919, 2546.8 examples/sec on cuda:0\n",
                  "Conv2d ReLU fp32 channels-last VGG-11 top-1 n = 2\n",
                  "the network has parameters\n"]},
        {"output_type": "display_data",
         "data": {"text/html": ["<table><tr><th>acc1</th><td>&lt;b&gt;</td></tr></table>"],
                  "text/plain": ["     acc1\n"]}},
        {"output_type": "stream", "name": "stderr", "text": ["epoch 1/5\repoch 5/5\n"]},
    ]
    found = english_words(_notebook(tmp_path, code, outputs))
    # "network" is in a comment, not an identifier: it counts; "acc1" once (HTML only);
    # the progress bar counts once, as last drawn.
    assert [w for _, w in found] == ["the", "network", "has", "parameters", "acc1", "epoch"]


def test_scanner_reads_widgets_through_their_children(tmp_path):
    view = {"output_type": "display_data",
            "data": {WIDGET_VIEW: {"model_id": "box"}, "text/plain": ["HBox(children=...)"]}}
    path = _notebook(tmp_path, "x = 1\n", [view])
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["widgets"] = {WIDGET_STATE: {"state": {
        "box": {"state": {"children": ["IPY_MODEL_bar", "IPY_MODEL_label"]}},
        "bar": {"state": {"description": "epoch", "value": 3.0}},
        "label": {"state": {"value": "<b>第 2/2 轮</b> 64/64 [01:49&lt;00:00, acc=0.39]"}},
    }}}
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert [w for _, w in english_words(path)] == ["epoch"]


def test_scanner_reads_a_folder(tmp_path):
    _notebook(tmp_path, "x = 1\n", [{"output_type": "execute_result",
                                     "data": {"text/plain": ["'hello world'"]}}])
    assert scan(tmp_path) == {"x.ipynb": [(0, "hello"), (0, "world")]}


if __name__ == "__main__":
    results = scan(sys.argv[1] if len(sys.argv) > 1 else ZH_NOTEBOOKS)
    print(report(results))
    print(f"total: {sum(len(w) for w in results.values())} English words "
          f"(the test allows {MAX_ENGLISH_WORDS})")


def test_a_kernel_speaks_its_notebooks_language_whatever_the_locale():
    from course_utils.messages import default_lang
    assert default_lang({"JPY_SESSION_NAME": "/home/s/vgg/notebooks/zh/05-summary-exercises.ipynb",
                         "LANG": "en_US.UTF-8"}) == "zh"
    assert default_lang({"JPY_SESSION_NAME": "build/student/en/04-training.ipynb",
                         "LANG": "zh_CN.UTF-8"}) == "en"
    # no lesson folder: the locale decides, and COURSE_LANG still wins over both
    assert default_lang({"JPY_SESSION_NAME": "Untitled.ipynb", "LANG": "zh_CN.UTF-8"}) == "zh"
    assert default_lang({"JPY_SESSION_NAME": "zh/a.ipynb", "COURSE_LANG": "en"}) == "en"
