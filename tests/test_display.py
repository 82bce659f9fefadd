"""The tables and pictures the lessons show, in both languages; no data set needed."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from course_utils import display  # noqa: E402
from course_utils.data import TEXT_LABELS  # noqa: E402

FINAL = {"train_loss": 0.3012, "train_acc": 0.8876, "test_acc": 0.8811}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------
# Our run next to the book's
# ---------------------------------------------------------------------------

def test_compare_with_book_in_chinese():
    frame = display.compare_with_book(FINAL, "zh")
    assert list(frame.columns) == ["本次运行", "教材（d2l-zh，GPU，224，10 轮）"]
    assert list(frame.index) == ["训练损失", "训练准确率", "测试准确率"]
    assert frame.iloc[:, 0].tolist() == [0.301, 0.888, 0.881]
    assert frame.iloc[:, 1].tolist() == [0.178, 0.934, 0.919]


def test_compare_with_book_in_english_never_says_seed():
    frame = display.compare_with_book(FINAL, "en")
    assert list(frame.columns) == ["this run", "the book (d2l-zh), GPU, 224, 10 epochs"]
    assert list(frame.index) == ["train loss", "train accuracy", "test accuracy"]
    for lang in ("zh", "en"):
        text = display.compare_with_book(FINAL, lang).to_string()
        assert "seed" not in text.lower()


def test_book_result_is_the_books():
    assert display.BOOK_RESULT == {"train_loss": 0.178, "train_acc": 0.934, "test_acc": 0.919}


# ---------------------------------------------------------------------------
# Predictions, with mistakes in red
# ---------------------------------------------------------------------------

class Oracle(nn.Module):
    """A fake classifier: predicts the class written in each image's first pixel."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))   # predict() asks for a device

    def forward(self, x):
        return nn.functional.one_hot(x[:, 0, 0, 0].long(), 10).float() + 0 * self.anchor


class Loader:
    """Batches of 8 fake images; counts how many batches were read."""

    def __init__(self, labels, predictions, batch=8):
        self.labels, self.predictions, self.batch = labels, predictions, batch
        self.batches_read = 0

    def __iter__(self):
        self.batches_read = 0
        for start in range(0, len(self.labels), self.batch):
            y = torch.tensor(self.labels[start:start + self.batch])
            X = torch.zeros(len(y), 1, 4, 4)
            X[:, 0, 0, 0] = torch.tensor(self.predictions[start:start + self.batch],
                                         dtype=torch.float)
            self.batches_read += 1
            yield X, y


def _loader(wrong_at=(5, 13, 20), n=24):
    labels = [i % 10 for i in range(n)]
    predictions = [(label + 1) % 10 if i in wrong_at else label
                   for i, label in enumerate(labels)]
    return Loader(labels, predictions)


def _titles(fig):
    return [(ax.get_title(), ax.title.get_color()) for ax in fig.axes if ax.get_title()]


def test_show_predictions_finds_the_mistakes_asked_for():
    loader = _loader()
    with warnings.catch_warnings():
        # Chinese titles are drawn with the course font: no glyph may be missing.
        warnings.filterwarnings("error", message=".*missing from font")
        fig = display.show_predictions(Oracle(), loader, n=8, lang="zh", mistakes=2)
        fig.canvas.draw()
    titles = _titles(fig)
    assert len(titles) == 8
    red = [t for t, color in titles if color == "red"]
    assert len(red) == 2
    # Wrong ones are the test images 5 and 13 (labels 5 and 3), kept in loader order.
    zh = TEXT_LABELS["zh"]
    assert red == [f"{zh[5]}\n{zh[6]}", f"{zh[3]}\n{zh[4]}"]
    for title, color in titles:
        true, predicted = title.split("\n")
        assert (true == predicted) == (color == "black")
    assert loader.batches_read == 2                    # stopped once both were found
    assert re.search(r"[\u4e00-\u9fff]", fig._suptitle.get_text())


_TWO_GRIDS = [
    'from course_utils.notebook import start_lesson\nstart_lesson("zh")',
    'import torch\nfrom course_utils.display import show_images\n'
    'show_images(torch.zeros(2, 1, 4, 4), ["T恤", "包"]);',
    'show_images(torch.ones(2, 1, 4, 4), ["外套", "短靴"]);',
]


def test_every_image_grid_of_a_zh_lesson_is_shown(tmp_path, monkeypatch):
    """Two grids in a row, in a real kernel with the inline backend: both appear.

    (Setting the fonts inside ``rc_context`` around a lesson's first pyplot figure
    once undid the inline backend's settings, and the second grid never showed.)
    """
    import nbformat
    from nbclient import NotebookClient

    # The kernel inherits our environment; a MPLBACKEND set by another test (the bench
    # sets Agg for d2l) would replace the inline backend and hide every figure.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in _TWO_GRIDS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [any("image/png" in out.get("data", {}) for out in cell.outputs)
             for cell in nb.cells[1:]]
    errors = [out for cell in nb.cells for out in cell.outputs if out.output_type == "error"]
    assert not errors, errors
    assert shown == [True, True]


def test_show_predictions_fills_with_right_ones_when_mistakes_are_rare():
    fig = display.show_predictions(Oracle(), _loader(wrong_at=(20,)), n=6, lang="en",
                                   mistakes=3)
    titles = _titles(fig)
    assert len(titles) == 6
    assert sum(color == "red" for _, color in titles) == 1
    assert all(t.split("\n")[0] in TEXT_LABELS["en"] for t, _ in titles)
    assert "wrong predictions in red" in fig._suptitle.get_text()


def test_show_predictions_without_mistakes_shows_the_first_images():
    fig = display.show_predictions(Oracle(), _loader(), n=8, lang="en")
    titles = _titles(fig)
    assert [t.split("\n")[0] for t, _ in titles] == TEXT_LABELS["en"][:8]
    assert [c for _, c in titles].count("red") == 1    # image 5 happens to be wrong


# ---------------------------------------------------------------------------
# Lesson 4's profiles
# ---------------------------------------------------------------------------

@dataclass
class FakeProfile:
    name: str
    ratio: int
    input_size: int
    lr: float
    num_epochs: int
    batch_size: int
    init: str | None


@dataclass
class FakeProfileWithPrecision(FakeProfile):
    precision: str = "fp32"


PROFILES = {
    "reference": FakeProfileWithPrecision("reference", 4, 224, 0.05, 10, 128, "xavier", "fp32"),
    "smoke": FakeProfile("smoke", 8, 32, 0.1, 1, 64, None),
}


def test_profile_frame_in_chinese():
    frame = display.profile_frame(PROFILES, "zh")
    assert list(frame.columns) == ["通道缩小倍数", "输入尺寸", "学习率", "学习率变化", "轮数", "批量大小",
                                   "初始化", "精度"]
    assert list(frame.index) == ["reference", "smoke"] and frame.index.name == "设置"
    assert frame.loc["reference"].tolist() == [4, "224×224", 0.05, "不变", 10, 128, "Xavier", "fp32"]
    # No precision field yet: read as "auto".
    assert frame.loc["smoke", "精度"] == "自动"
    assert frame.loc["smoke", "初始化"] == "PyTorch 默认"


def test_profile_frame_in_english_takes_a_list_too():
    frame = display.profile_frame(list(PROFILES.values()), "en")
    assert list(frame.columns) == ["ratio", "input size", "lr", "lr schedule", "epochs", "batch", "init",
                                   "precision"]
    assert frame.loc["smoke"].tolist() == [8, "32×32", 0.1, "constant", 1, 64, "PyTorch default", "auto"]


# ---------------------------------------------------------------------------
# The model zoo table
# ---------------------------------------------------------------------------

def test_model_zoo_frame_in_chinese():
    frame = display.model_zoo_frame("zh")
    assert frame.index.name == "模型"
    assert list(frame.columns) == ["top-1 准确率 (%)", "参数 (M)", "乘加 (G 次)", "文件 (MB)",
                                   "速度 (张/秒)", "V1 权重的来历", "新训练方案的 top-1 (%)"]
    acc = frame["top-1 准确率 (%)"]
    assert acc.tolist() == sorted(acc.tolist(), reverse=True)
    assert frame.loc["resnet50", "top-1 准确率 (%)"] == 76.13       # original recipe
    assert frame.loc["resnet50", "新训练方案的 top-1 (%)"] == 80.86
    assert frame.loc["vgg16", "新训练方案的 top-1 (%)"] == "—"
    assert frame.loc["vgg11", "参数 (M)"] == 132.9
    assert frame.loc["vgg16", "V1 权重的来历"] == "从头训练，简化方案"     # torchvision's _docs


def test_model_zoo_frame_in_english():
    frame = display.model_zoo_frame("en")
    assert frame.index.name == "model"
    assert list(frame.columns) == ["top-1 accuracy (%)", "parameters (M)", "GMACs",
                                   "file (MB)", "speed (images/s)", "V1 weights",
                                   "newer recipe top-1 (%)"]
    assert frame.loc["googlenet", "V1 weights"] == "ported weights"
    assert frame.loc["resnet50", "V1 weights"] == "reproduces the paper, simple recipe"
    assert frame.loc["alexnet", "top-1 accuracy (%)"] == 56.52
    assert frame.loc["vgg11", "speed (images/s)"] > 0


def test_layer_frame_in_both_languages():
    from course_utils.shapes import layer_table

    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 8 * 8, 10))
    rows = layer_table(net, (1, 1, 8, 8))
    zh, en = display.layer_frame(rows, "zh"), display.layer_frame(rows, "en")
    assert list(zh.columns) == ["层", "输出形状", "参数", "乘加 (MACs)", "激活值"]
    assert list(en.columns) == ["layer", "output shape", "parameters", "MACs", "activations"]
    assert zh.iloc[-1, 0] == "合计" and en.iloc[-1, 0] == "total"
