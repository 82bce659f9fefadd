"""Lesson 5's checks, table-driven: for every exercise the right answers pass and at
least five kinds of wrong answer fail, each with the hint meant for that mistake,
in the lesson's language; blanks get a nudge.

Expected values are checked against numbers worked out by hand or published
elsewhere (the paper's layer counts, torchvision's parameter counts), so a bug in
the course's own MAC counting cannot make a check agree with itself.
"""

import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import exercises as ex
from course_utils.messages import set_lang
from course_utils.models import VGG11, VGG19, feature_size, vgg_block

CJK = re.compile(r"[\u4e00-\u9fff]")

# VGG-11's fully connected layers at 224x224: 512*7*7 -> 4096 -> 4096 -> 10.
FC_MACS = 25088 * 4096 + 4096 * 4096 + 4096 * 10
FC_PARAMS = FC_MACS + 4096 + 4096 + 10
CONV_MACS = 7_427_653_632          # 7.55 G in all minus the FC part (torchvision's vgg11: 7.61 G on RGB)
VGG16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


@pytest.fixture(params=["zh", "en"])
def lang(request):
    previous = ex.pick("zh", "en")
    set_lang(request.param)
    yield request.param
    set_lang(previous)


def said(capsys, lang):
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0, "one line per check"
    assert bool(CJK.search(out)) == (lang == "zh"), out
    return out


def test_answers_are_not_handed_out():
    """The student edition ships this module: no public name returns the answers."""
    public = [n for n in dir(ex) if not n.startswith("_")]
    assert "reference_values" not in public
    assert not [n for n in public if "expected" in n or "answer" in n]


def test_no_message_states_an_answer():
    """The student edition installs this module: its source holds no answer in words,
    only the code that works them out (VGG-16's per-block counts, the MAC totals)."""
    import inspect
    source = inspect.getsource(ex)
    for answer in ("2, 2, 3, 3, 3", "2、2、3、3、3", "7.43e9", "7,427,653,632", "138,357,544",
                   "8.04", "4.75"):
        assert answer not in source, answer


def test_expected_values_match_hand_counts():
    assert ex._vgg11_counts()[:3] == (11, 8, 10)   # weighted, top-level rows, ReLUs
    conv, fc, _, fc_params = ex._vgg11_split()
    assert fc == FC_MACS and fc_params == FC_PARAMS and conv == CONV_MACS
    assert ex._torchvision_vgg16_params() == 138_357_544            # torchvision's vgg16
    assert 7.9 < ex._vgg11_vs_alexnet()[0] < 8.2                    # 7.55 G / 938.1 M
    assert 4.6 < ex._input_96_ratios()[0] < 4.9
    assert ex.vgg11_features_shape() == (1, 512, 7, 7)


# ------------------------------------------------------------------ answers as networks

def gap_head():
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


def narrow_head():
    return nn.Sequential(nn.Flatten(), nn.Linear(25088, 256), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(256, 10))


def conv_head(width=4096):
    """A "head" of convolutions only: a 7x7 convolution is a fully connected layer."""
    return nn.Sequential(nn.Conv2d(512, width, 7), nn.ReLU(), nn.Conv2d(width, width, 1),
                         nn.ReLU(), nn.Conv2d(width, 10, 1), nn.Flatten())


def original_head():
    return nn.Sequential(nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 10))


def small_vgg(size, blocks=5, extra=True, after_output=False, double_relu=False, wide_head=False):
    """A narrow VGG for a small input; ``extra`` adds a 1x1 conv + ReLU before each pool."""
    channels = [1, 16, 32, 64, 128, 128][:blocks + 1]
    layers = []
    for c_in, c_out in zip(channels, channels[1:]):
        block = [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        if extra:
            block += [nn.Conv2d(c_out, c_out, 1), nn.ReLU()]
        if double_relu:
            block += [nn.ReLU()]
        layers.append(nn.Sequential(*block, nn.MaxPool2d(2, 2)))
    side = feature_size(size, blocks)
    head = [nn.Flatten(), nn.Linear(channels[-1] * side * side, 64), nn.ReLU()]
    if wide_head:
        head += [layer for _ in range(4) for layer in (nn.Linear(64, 64), nn.ReLU())]
    head += [nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)]
    if after_output:
        head += [nn.ReLU()]
    return nn.Sequential(*layers, *head)


def solution_1x1(size):
    """The lesson's solution shape: vgg_block minus its pool, then 1x1 conv + ReLU + pool."""
    blocks, c_in = [], 1
    for n, c in [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)]:
        layers = list(vgg_block(n, c_in, c))[:-1] + [nn.Conv2d(c, c, 1), nn.ReLU(), nn.MaxPool2d(2, 2)]
        blocks.append(nn.Sequential(*layers))
        c_in = c
    side = feature_size(size, 5)
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * side * side, 256), nn.ReLU(),
                         nn.Linear(256, 10))


class HeadFirst(nn.Module):
    """A right answer written as a class that defines its head before its blocks:
    the order layers run in, not the order they were written, is what counts."""

    def __init__(self, size, relu_in_forward=False):
        super().__init__()
        net = small_vgg(size)
        self.head = net[5:]
        self.blocks = net[:5]
        self.relu_in_forward = relu_in_forward

    def forward(self, x):
        scores = self.head(self.blocks(x))
        return F.relu(scores) if self.relu_in_forward else scores


def leaky_vgg(size):
    """small_vgg with LeakyReLU everywhere: a non-linearity is not only nn.ReLU."""
    net = small_vgg(size)
    for name, m in list(net.named_modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(m, child_name, nn.LeakyReLU(0.1))
    return net


class Zeros(nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0], 10)


# ------------------------------------------------------------------ the table
# (check, arguments, expected verdict, a word the message must hold in (zh, en))
R, W = True, False
TABLE = {
    "ex1": [
        (ex.check_weight_layers, (11,), R, ("11", "11")),
        (ex.check_weight_layers, (11.0,), R, ("11", "11")),
        (ex.check_weight_layers, ("11",), W, ("去掉引号", "without the quotes")),
        (ex.check_weight_layers, (8,), W, ("顶层", "top-level")),
        (ex.check_weight_layers, (10,), W, ("ReLU", "ReLU")),
        (ex.check_weight_layers, (22,), W, ("偏置", "bias")),
        (ex.check_weight_layers, (29,), W, ("所有层", "every layer")),
        (ex.check_weight_layers, (35,), W, ("所有层", "every layer")),
        (ex.check_weight_layers, (11.5,), W, ("整数", "whole number")),
        (ex.check_weight_layers, (True,), W, ("bool", "bool")),
        (ex.check_weight_layers, ("eleven",), W, ("文本", "text")),
        (ex.check_weight_layers, (16,), W, ("nn.Conv2d", "nn.Conv2d")),
    ],
    "ex2": [
        (ex.check_macs_ratio, (8.04,), R, ("8.0", "8.0")),
        (ex.check_macs_ratio, (8,), R, ("8.0", "8.0")),
        (ex.check_macs_ratio, (1 / 8.04,), W, ("反了", "Upside down")),
        (ex.check_macs_ratio, (2.75,), W, ("参数量", "parameters")),
        (ex.check_macs_ratio, (0.546,), W, ("缩小版", "ratio-4")),
        (ex.check_macs_ratio, (6.49e9,), W, ("差值", "difference")),
        (ex.check_macs_ratio, ("8",), W, ("去掉引号", "without the quotes")),
        (ex.check_macs_ratio, (float("nan"),), W, ("有限", "finite")),
        (ex.check_macs_ratio, (4.0,), W, ("layer_table", "layer_table")),
    ],
    "ex3": [
        (ex.check_input_96, (4.75,), R, ("4.75", "4.75")),
        (ex.check_input_96, ((224 / 96) ** 2,), W, ("卷积层", "convolutions only")),
        (ex.check_input_96, (224 / 96,), W, ("边长", "sides")),
        (ex.check_input_96, (1 / 4.75,), W, ("反了", "Upside down")),
        (ex.check_input_96, (5.391,), W, ("完整宽度", "full-width")),
        (ex.check_input_96, ("4.75",), W, ("去掉引号", "without the quotes")),
        (ex.check_input_96, (None,), W, ("NoneType", "NoneType")),
        (ex.check_input_96, (3.0,), W, ("input_size=96", "input_size=96")),
    ],
    "ex4": [
        (ex.check_vgg16, (VGG16,), R, ("138,357,544", "138,357,544")),
        (ex.check_vgg16, ([list(p) for p in VGG16],), R, ("torchvision", "torchvision")),
        (ex.check_vgg16, (VGG19,), W, ("E 列", "column E")),
        (ex.check_vgg16, (VGG11,), W, ("11", "11")),
        (ex.check_vgg16, (tuple((c, n) for n, c in VGG16),), W, ("顺序反了", "wrong way round")),
        (ex.check_vgg16, ((2, 2, 3, 3, 3),), W, ("成对", "pairs")),
        (ex.check_vgg16, ((64, 64, 128, 128, 256, 256, 256),), W, ("成对", "pairs")),
        (ex.check_vgg16, (((2, 64), (2, 128), (3, 256), (3, 256), (3, 512)),), W, ("通道数", "channels")),
        (ex.check_vgg16, (((3, 64), (3, 128), (3, 256), (2, 512), (2, 512)),), W, ("D 列", "column D of Table 1 block by block")),
        (ex.check_vgg16, (((2, 64), (2, 128), (3, 256), (3, 512), (2, 512), (1, 512)),), W, ("5 个块", "has 5")),
        (ex.check_vgg16, ("VGG-16",), W, ("str", "str")),
        (ex.check_vgg16, ([(2, 64), "x"],), W, ("第 2 个块", "Block 2")),
        (ex.check_vgg16, (((2, 64), (128, 2), (3, 256), (3, 512), (3, 512)),), W,
         ("第 2 个块 (128, 2) 的顺序反了", "Block 2, (128, 2), is the wrong way round")),
    ],
    "ex5": [
        (ex.check_flops_split, (CONV_MACS, FC_MACS), R, ("98", "98")),
        (ex.check_flops_split, (2 * CONV_MACS, 2 * FC_MACS), W, ("一半", "MACs are half")),
        (ex.check_flops_split, (FC_MACS, CONV_MACS), W, ("反了", "swapped")),
        (ex.check_flops_split, (9_219_328, FC_PARAMS), W, ("参数量", "parameter counts")),
        (ex.check_flops_split, (469_647_360, 42_508_288), W, ("缩小版", "ratio-4")),
        (ex.check_flops_split, (7.43, 0.12), W, ("单位", "unit")),
        (ex.check_flops_split, (CONV_MACS, 1e6), W, ("全连接层的数", "fully connected number")),
        (ex.check_flops_split, ("7.4e9", FC_MACS), W, ("去掉引号", "without the quotes")),
        (ex.check_flops_split, (1e9, 1e9), W, ("layer_table", "layer_table")),
        (ex.check_flops_split, (2 * CONV_MACS, FC_MACS), W, ("一半", "MACs are half")),
        (ex.check_flops_split, (2 * CONV_MACS / 1e9, 2 * FC_MACS / 1e9), W, ("一半", "MACs are half")),
    ],
    "ex6": [
        (ex.check_small_head, (gap_head(),), R, ("5.13 k", "5.13 k")),
        (ex.check_small_head, (narrow_head(),), R, ("%", "%")),
        (ex.check_small_head, (conv_head(width=64),), R, ("%", "%")),
        (ex.check_small_head, (original_head(),), W, ("AdaptiveAvgPool2d", "AdaptiveAvgPool2d")),
        (ex.check_small_head, (conv_head(),), W, ("换了名字的全连接层", "under another name")),
        (ex.check_small_head, (nn.Sequential(nn.Conv2d(512, 10, 7)),), W, ("nn.Flatten()", "nn.Flatten()")),
        (ex.check_small_head, (nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)),),
         W, ("(1, 1000)", "(1, 1000)")),
        (ex.check_small_head, (nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Linear(512, 10)),), W,
         ("nn.Flatten()", "nn.Flatten()")),
        (ex.check_small_head, (nn.Linear(512, 10),), W, ("512×7×7", "512×7×7")),
        (ex.check_small_head, (nn.Linear,), W, ("调用", "call it")),
        (ex.check_small_head, ("a head",), W, ("str", "str")),
        (ex.check_small_head, (nn.Sequential(*gap_head(), nn.ReLU()),), W,
         ("输出层后面还有 ReLU", "a ReLU after the output layer")),
        (ex.check_small_head, (nn.Sequential(*gap_head(), nn.Softmax(1)),), W,
         ("输出层后面还有 Softmax", "a Softmax after the output layer")),
        (ex.check_small_head, (Zeros(),), W, ("没有带权重的层", "no layer with weights")),
    ],
    "ex7": [
        (ex.check_extra_nonlinearity, (small_vgg(56), 56), R, ("56×56", "56×56")),
        (ex.check_extra_nonlinearity, (small_vgg(84), 84), R, ("84×84", "84×84")),
        (ex.check_extra_nonlinearity, (solution_1x1(56), 56), R, ("13", "13")),
        (ex.check_extra_nonlinearity, (small_vgg(28, blocks=4), 28), R, ("28×28", "28×28")),
        (ex.check_extra_nonlinearity, (small_vgg(56, extra=False), 56), W, ("1×1", "1×1")),
        (ex.check_extra_nonlinearity, (small_vgg(56, after_output=True), 56), W,
         ("输出层后面", "after the output layer")),
        (ex.check_extra_nonlinearity, (small_vgg(56, extra=False, double_relu=True), 56), W,
         ("ReLU(ReLU(x))", "ReLU(ReLU(x))")),
        (ex.check_extra_nonlinearity, (small_vgg(56, extra=False, wide_head=True), 56), W,
         ("全连接层里", "fully connected part")),
        (ex.check_extra_nonlinearity, (small_vgg(84), 224), W, ("56 或 84", "56 or 84")),
        (ex.check_extra_nonlinearity, (small_vgg(84), 56), W, ("nn.Flatten()", "nn.Flatten()")),
        (ex.check_extra_nonlinearity, (small_vgg(56), "56"), W, ("去掉引号", "without the quotes")),
        (ex.check_extra_nonlinearity, ("net", 56), W, ("str", "str")),
        (ex.check_extra_nonlinearity, (HeadFirst(56), 56), R, ("56×56", "56×56")),
        (ex.check_extra_nonlinearity, (leaky_vgg(56), 56), R, ("56×56", "56×56")),
        (ex.check_extra_nonlinearity, (HeadFirst(56, relu_in_forward=True), 56), W,
         ("F.relu", "F.relu")),
        (ex.check_extra_nonlinearity, (nn.Sequential(*small_vgg(56), nn.Sigmoid()), 56), W,
         ("输出层后面", "after the output layer")),
    ],
}
ROWS = [(name, i, *row) for name, rows in TABLE.items() for i, row in enumerate(rows)]


def test_table_has_five_wrong_kinds_and_a_right_answer_per_exercise():
    for name, rows in TABLE.items():
        verdicts = [row[2] for row in rows]
        assert verdicts.count(True) >= 1 and verdicts.count(False) >= 5, name


@pytest.mark.parametrize("name, i, check, args, verdict, word", ROWS,
                         ids=[f"{r[0]}-{r[1]}" for r in ROWS])
def test_answer(capsys, lang, name, i, check, args, verdict, word):
    assert check(*args) is verdict
    out = said(capsys, lang)
    assert out.startswith("✅" if verdict else "❌"), out
    assert word[0 if lang == "zh" else 1] in out, out


@pytest.mark.parametrize("check, arity", [
    (ex.check_weight_layers, 1), (ex.check_macs_ratio, 1), (ex.check_input_96, 1),
    (ex.check_vgg16, 1), (ex.check_flops_split, 2), (ex.check_small_head, 1),
    (ex.check_extra_nonlinearity, 2)], ids=lambda c: getattr(c, "__name__", ""))
def test_blank_gets_a_nudge(capsys, lang, check, arity):
    assert check(*([...] * arity)) is None
    assert said(capsys, lang).startswith("⏳")
