"""Lesson 5's checks: right answers pass, wrong ones get a hint, blanks get a nudge,
and each says so in the lesson's language.

Expected values are checked against numbers worked out by hand or published
elsewhere (the paper's layer counts, torchvision's parameter counts), so a bug in
the course's own MAC counting cannot make a check agree with itself.
"""

import re

import pytest
from torch import nn

from course_utils import exercises as ex
from course_utils.messages import set_lang

CJK = re.compile(r"[\u4e00-\u9fff]")

# VGG-11's fully connected layers at 224x224: 512*7*7 -> 4096 -> 4096 -> 10.
FC_MACS = 25088 * 4096 + 4096 * 4096 + 4096 * 10
FC_PARAMS = FC_MACS + 4096 + 4096 + 10
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


def test_reference_values_match_hand_counts():
    ref = ex.reference_values()
    assert ref["weight_layers"] == 11 and ref["top_level_weighted"] == 8
    assert ref["fc_macs"] == FC_MACS and ref["fc_params"] == FC_PARAMS
    assert ref["torchvision_vgg16"] == 138_357_544            # torchvision's vgg16
    assert ref["vgg11_relus"] == 10                           # 8 convolutions + 2 hidden layers
    assert 7.4e9 < ref["conv_macs"] < 7.5e9                   # 7.55 G in all, minus the FC part
    assert 7.9 < ref["macs_ratio"] < 8.2                      # 7.55 G / 938.1 M
    assert 4.6 < ref["input_96_ratio"] < 4.9 and ref["pixel_ratio_96"] == pytest.approx(5.444, 1e-3)
    assert ex.vgg11_features_shape() == (1, 512, 7, 7)


CASES = [
    # (check, right answer, wrong answer, a word the wrong answer's hint must contain)
    (ex.check_weight_layers, (11,), (8,), ("modules", "modules")),
    (ex.check_macs_ratio, (8.04,), (1 / 8.04,), ("反了", "Upside down")),
    (ex.check_input_96, (4.75,), ((224 / 96) ** 2,), ("卷积层", "convolutions only")),
    (ex.check_vgg16, (VGG16,), (((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)),),
     ("16", "16")),
    (ex.check_flops_split, (7.428e9, FC_MACS), (FC_MACS, 7.428e9), ("layer_table", "layer_table")),
    (ex.check_small_head, (nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)),),
     (nn.Sequential(nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(), nn.Linear(4096, 10)),),
     ("AdaptiveAvgPool2d", "AdaptiveAvgPool2d")),
]


@pytest.mark.parametrize("check, right, wrong, hint", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_right_wrong_and_blank(capsys, lang, check, right, wrong, hint):
    blank = tuple(... for _ in right)
    assert check(*blank) is None
    assert said(capsys, lang).startswith("⏳")

    assert check(*right) is True
    assert said(capsys, lang).startswith("✅")

    assert check(*wrong) is False
    out = said(capsys, lang)
    assert out.startswith("❌") and hint[0 if lang == "zh" else 1] in out


def block_1x1(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 1), nn.ReLU(), nn.MaxPool2d(2, 2))


def small_net(size, extra=True):
    channels = [1, 16, 32, 64, 128, 128]
    blocks = [block_1x1(a, b) if extra else
              nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
              for a, b in zip(channels, channels[1:])]
    side = size // 32
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * side * side, 64), nn.ReLU(),
                         nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def test_extra_nonlinearity(capsys, lang):
    assert ex.check_extra_nonlinearity(..., 56) is None
    assert said(capsys, lang).startswith("⏳")
    for size in (56, 84):
        assert ex.check_extra_nonlinearity(small_net(size), size) is True
        assert said(capsys, lang).startswith("✅")
    assert ex.check_extra_nonlinearity(small_net(56, extra=False), 56) is False   # 7 ReLUs
    assert "1×1" in said(capsys, lang)
    assert ex.check_extra_nonlinearity(small_net(84), 224) is False               # not small
    said(capsys, lang)


def test_mistakes_get_a_sentence_not_a_traceback(capsys, lang):
    assert ex.check_weight_layers("eleven") is False
    assert said(capsys, lang).startswith("❌")
    assert ex.check_macs_ratio(float("nan")) is False
    said(capsys, lang)
    assert ex.check_vgg16([(2, 64), "x"]) is False
    said(capsys, lang)
    assert ex.check_small_head(nn.Linear(512, 10)) is False       # shapes do not fit
    assert "512×7×7" in said(capsys, lang)
    assert ex.check_small_head("a head") is False
    said(capsys, lang)
    assert ex.check_extra_nonlinearity(small_net(84), 56) is False  # built for another size
    said(capsys, lang)
