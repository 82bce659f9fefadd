"""Checks for lesson 5's "try it yourself" cells: one line, ✅ or ❌, with a hint.

Each ``check_*`` function takes what the student wrote in the scaffold cell. A
scaffold starts as ``answer = ...``; the check then says "not answered yet"
instead of failing, so a notebook runs from top to bottom as handed out. The
expected values are computed here from the course's own networks (on PyTorch's
``meta`` device: no memory, almost no time), never typed in, so they stay true
if a network changes. Messages follow the lesson's language
(:func:`course_utils.messages.pick`).

Every check prints its verdict and returns ``True`` (right), ``False`` (wrong)
or ``None`` (not answered yet), so tests and notebooks can use the result.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn

from .inspect import human, layer_table
from .messages import pick
from .models import VGG11, alexnet, num_params, scale_arch, vgg

WEIGHTED = (nn.Conv2d, nn.Linear)


# ---------------------------------------------------------------- printing verdicts


def _unanswered(*values) -> bool:
    return any(v is Ellipsis for v in values)


def _say(verdict: bool | None, zh: str, en: str, lang: str | None) -> bool | None:
    mark = {True: "✅ ", False: "❌ ", None: "⏳ "}[verdict]
    print(mark + pick(zh, en, lang), flush=True)
    return verdict


def _not_answered(lang: str | None) -> None:
    return _say(None, "还没有作答：把 ... 换成你的答案，再运行这个单元格。",
                "Not answered yet: replace the ... with your answer and run this cell again.",
                lang)


def _number(value, lang) -> float | None:
    """``value`` as a float, or ``None`` after saying why it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        _say(False, f"这里需要一个数，现在是 {value!r}。",
             f"This needs a number; got {value!r}.", lang)
        return None
    if not math.isfinite(number):
        _say(False, f"这里需要一个有限的数，现在是 {value!r}。",
             f"This needs a finite number; got {value!r}.", lang)
        return None
    return number


def _close(value: float, expected: float, rel: float) -> bool:
    return abs(value - expected) <= rel * abs(expected)


# ---------------------------------------------------------------- reference values


def _meta(make):
    with torch.device("meta"):
        return make()


def _total_macs(net, size: int) -> int:
    return sum(r.macs for r in layer_table(net, (1, 1, size, size)))


def _leaf_layers(net: nn.Module) -> nn.Sequential:
    """The network with its blocks opened, so every layer's MACs show up once."""
    return nn.Sequential(*[m for m in net.modules() if not list(m.children())])


@lru_cache(maxsize=None)
def reference_values() -> dict:
    """Every expected answer, computed from the course's networks."""
    full = _meta(lambda: vgg(VGG11))
    small = scale_arch(VGG11, 4)
    leaves = _leaf_layers(full)
    rows = layer_table(leaves, (1, 1, 224, 224))
    conv_macs = sum(r.macs for r, m in zip(rows, leaves) if isinstance(m, nn.Conv2d))
    fc_macs = sum(r.macs for r, m in zip(rows, leaves) if isinstance(m, nn.Linear))
    fc_params = sum(num_params(m) for m in full.modules() if isinstance(m, nn.Linear))
    torchvision_vgg16 = None
    try:
        import torchvision

        torchvision_vgg16 = num_params(_meta(torchvision.models.vgg16))
    except ImportError:  # pragma: no cover - torchvision ships with the course
        pass
    return {
        "weight_layers": sum(isinstance(m, WEIGHTED) for m in full.modules()),
        "top_level_weighted": sum(1 for m in full
                                  if isinstance(m, (nn.Sequential, *WEIGHTED))),
        "macs_ratio": _total_macs(full, 224) / _total_macs(_meta(alexnet), 224),
        "input_96_ratio": (_total_macs(_meta(lambda: vgg(small, input_size=224)), 224)
                           / _total_macs(_meta(lambda: vgg(small, input_size=96)), 96)),
        "pixel_ratio_96": (224 / 96) ** 2,
        "conv_macs": conv_macs,
        "fc_macs": fc_macs,
        "fc_params": fc_params,
        "vgg11_relus": sum(isinstance(m, nn.ReLU) for m in full.modules()),
        "torchvision_vgg16": torchvision_vgg16,
    }


# ---------------------------------------------------------------- exercise checks


def check_weight_layers(count, lang: str | None = None) -> bool | None:
    """Exercise 1: how many layers with weights does VGG-11 have, blocks opened?"""
    if _unanswered(count):
        return _not_answered(lang)
    count = _number(count, lang)
    if count is None:
        return False
    ref = reference_values()
    expected = ref["weight_layers"]
    if count == expected:
        return _say(True, f"正确：VGG-11 有 {expected} 个带权重的层（卷积层和全连接层）。",
                    f"Right: VGG-11 has {expected} layers with weights "
                    "(convolutional and fully connected).", lang)
    if count == ref["top_level_weighted"]:
        return _say(False, f"{count:g} 只是顶层的行数：每个块只算了一次。提示：用 net.modules() "
                    "或在循环里再打开每个块，数 nn.Conv2d 和 nn.Linear。",
                    f"{count:g} is only the number of top-level rows: each block counted "
                    "once. Hint: use net.modules(), or open each block inside the loop, and "
                    "count nn.Conv2d and nn.Linear.", lang)
    return _say(False, f"{count:g} 不对。提示：只数 nn.Conv2d 和 nn.Linear（ReLU、汇聚层没有权重）。",
                f"{count:g} is not it. Hint: count only nn.Conv2d and nn.Linear "
                "(ReLU and pooling layers have no weights).", lang)


def check_macs_ratio(ratio, lang: str | None = None) -> bool | None:
    """Exercise 2: VGG-11's MACs per 224x224 image divided by AlexNet's."""
    if _unanswered(ratio):
        return _not_answered(lang)
    ratio = _number(ratio, lang)
    if ratio is None:
        return False
    expected = reference_values()["macs_ratio"]
    if _close(ratio, expected, 0.05):
        return _say(True, f"正确：VGG-11 每张图的乘加次数约是 AlexNet 的 {expected:.1f} 倍。",
                    f"Right: VGG-11 needs about {expected:.1f}x AlexNet's MACs per image.",
                    lang)
    if ratio > 0 and _close(1 / ratio, expected, 0.05):
        return _say(False, "方向反了：要用 VGG-11 的乘加次数除以 AlexNet 的。",
                    "Upside down: divide VGG-11's MACs by AlexNet's.", lang)
    return _say(False, f"{ratio:.3g} 不对。提示：对两个网络分别调用 layer_table(net, (1, 1, 224, 224))，"
                "把各行的 macs 加起来再相除。",
                f"{ratio:.3g} is not it. Hint: call layer_table(net, (1, 1, 224, 224)) on "
                "each network, add up the rows' macs, then divide.", lang)


def check_input_96(ratio, lang: str | None = None) -> bool | None:
    """Exercise 3: MACs per image of VGG-11/4 at 224 divided by those at 96."""
    if _unanswered(ratio):
        return _not_answered(lang)
    ratio = _number(ratio, lang)
    if ratio is None:
        return False
    ref = reference_values()
    expected = ref["input_96_ratio"]
    if _close(ratio, expected, 0.03):
        return _say(True, f"正确：输入 96 时每张图的计算量约为 224 时的 1/{expected:.2f}。",
                    f"Right: at 96 an image costs about 1/{expected:.2f} of what it costs at 224.",
                    lang)
    if _close(ratio, ref["pixel_ratio_96"], 0.03):
        return _say(False, "接近了：(224/96)² 只对卷积层成立。全连接层的计算量变化不同，"
                    "请用 layer_table 把所有层都算上。",
                    "Close: (224/96)² holds for the convolutions only. The fully connected "
                    "layers change differently; count every layer with layer_table.", lang)
    return _say(False, f"{ratio:.3g} 不对。提示：vgg(small_arch, input_size=96) 配合输入形状 "
                "(1, 1, 96, 96)，和 224 的情况各算一次总乘加次数。",
                f"{ratio:.3g} is not it. Hint: build vgg(small_arch, input_size=96), use the "
                "input shape (1, 1, 96, 96), and compare its total MACs with 224's.", lang)


def check_vgg16(conv_arch, lang: str | None = None) -> bool | None:
    """Exercise 4: a ``conv_arch`` that builds VGG-16 (configuration D of the paper)."""
    if _unanswered(conv_arch):
        return _not_answered(lang)
    try:
        pairs = [(int(n), int(c)) for n, c in conv_arch]
        net = _meta(lambda: vgg(pairs, in_channels=3, num_classes=1000))
    except (TypeError, ValueError) as err:
        return _say(False, f"conv_arch 需要是 (卷积层数, 输出通道数) 对的列表：{err}",
                    f"conv_arch must be a list of (num_convs, out_channels) pairs: {err}", lang)
    layers = sum(n for n, _ in pairs) + 3
    params = num_params(net)
    expected = reference_values()["torchvision_vgg16"]
    if layers == 16 and (expected is None or params == expected):
        return _say(True, f"正确：16 个带权重的层，{params:,} 个参数，与 torchvision 的 vgg16 完全一致。",
                    f"Right: 16 weight layers, {params:,} parameters, exactly torchvision's vgg16.",
                    lang)
    if layers != 16:
        return _say(False, f"这个 conv_arch 有 {layers} 个带权重的层（卷积层 + 3 个全连接层），VGG-16 需要 16 个。"
                    "提示：论文表 1 的 D 列。",
                    f"This conv_arch gives {layers} weight layers (convolutions + 3 fully "
                    "connected); VGG-16 needs 16. Hint: column D of the paper's Table 1.", lang)
    return _say(False, f"层数对了，但参数量是 {params:,}，torchvision 是 {expected:,}。"
                "提示：检查每个块的输出通道数（64、128、256、512、512）。",
                f"The layer count is right, but it has {params:,} parameters, torchvision "
                f"{expected:,}. Hint: check each block's channels (64, 128, 256, 512, 512).",
                lang)


def check_flops_split(conv_macs, fc_macs, lang: str | None = None) -> bool | None:
    """Exercise 5: VGG-11's MACs (224x224) in convolutional vs fully connected layers."""
    if _unanswered(conv_macs, fc_macs):
        return _not_answered(lang)
    conv, fc = _number(conv_macs, lang), _number(fc_macs, lang)
    if conv is None or fc is None:
        return False
    ref = reference_values()
    ok_conv, ok_fc = _close(conv, ref["conv_macs"], 0.01), _close(fc, ref["fc_macs"], 0.01)
    if ok_conv and ok_fc:
        share = conv / (conv + fc)
        return _say(True, f"正确：卷积层 {human(conv)}、全连接层 {human(fc)} 次乘加，"
                    f"卷积层占 {share:.1%}。",
                    f"Right: {human(conv)} MACs in the convolutions, {human(fc)} in the fully "
                    f"connected layers; the convolutions do {share:.1%}.", lang)
    if ok_conv or ok_fc:
        wrong = pick("全连接层", "fully connected", lang) if ok_conv else pick("卷积层", "convolutional", lang)
        return _say(False, f"一半对了：{wrong}的数还不对。",
                    f"Half right: the {wrong} number is off.", lang)
    return _say(False, "还不对。提示：把块打开（net.modules() 里没有子模块的层），"
                "对每层用 layer_table 的 macs，按 nn.Conv2d / nn.Linear 分开求和。",
                "Not yet. Hint: open the blocks (the layers in net.modules() that have no "
                "children), take each layer's macs from layer_table, and sum nn.Conv2d and "
                "nn.Linear separately.", lang)


def _output_shape(net: nn.Module, input_shape: tuple, lang) -> tuple | None:
    """The output shape of ``net`` for a zero input, or ``None`` after saying why not."""
    if not isinstance(net, nn.Module):
        _say(False, f"这里需要一个网络（nn.Module），现在是 {type(net).__name__}。",
             f"This needs a network (an nn.Module); got {type(net).__name__}.", lang)
        return None
    param = next(net.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    shape_text = "×".join(str(n) for n in input_shape[1:])
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(torch.zeros(input_shape, device=device))
    except (RuntimeError, ValueError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        _say(False, f"网络在 {shape_text} 的输入上出错了：{first}。提示：检查第一个全连接层的输入特征数。",
             f"The network fails on a {shape_text} input: {first}. Hint: check the "
             "first fully connected layer's number of inputs.", lang)
        return None
    finally:
        net.train(was_training)
    return tuple(out.shape)


def vgg11_features_shape() -> tuple:
    """What VGG-11's five blocks hand to the head for one 224x224 image: (1, 512, 7, 7)."""
    blocks = _meta(lambda: nn.Sequential(*list(vgg(VGG11))[:len(VGG11)]))
    return tuple(blocks(torch.zeros(1, 1, 224, 224, device="meta")).shape)


def check_small_head(head, lang: str | None = None) -> bool | None:
    """Exercise 6: a head for VGG-11's blocks (512 channels of 7x7 in, 10 classes out)
    whose fully connected layers hold at most a tenth of the original's parameters."""
    if _unanswered(head):
        return _not_answered(lang)
    shape = _output_shape(head, vgg11_features_shape(), lang)
    if shape is None:
        return False
    if shape != (1, 10):
        return _say(False, f"输出形状是 {shape}，应该是 (1, 10)：10 个类别。",
                    f"The output shape is {shape}; it should be (1, 10): ten classes.", lang)
    fc = sum(num_params(m) for m in head.modules() if isinstance(m, nn.Linear))
    original = reference_values()["fc_params"]
    if fc <= original / 10:
        return _say(True, f"正确：全连接层只剩 {human(fc)} 个参数，原来是 {human(original)}"
                    f"（{100 * fc / original:.2g}%）。",
                    f"Right: the fully connected layers keep {human(fc)} parameters, down from "
                    f"{human(original)} ({100 * fc / original:.2g}%).", lang)
    return _say(False, f"全连接层还有 {human(fc)} 个参数，是原来的 {fc / original:.0%}；目标是 10% 以下。"
                "提示：展平之前先用 nn.AdaptiveAvgPool2d(1) 把每个通道平均成一个数，或减少隐藏单元。",
                f"The fully connected layers still hold {human(fc)} parameters, "
                f"{fc / original:.0%} of the original; aim for under 10%. Hint: before "
                "flattening, average each channel to one number with nn.AdaptiveAvgPool2d(1), "
                "or use fewer hidden units.", lang)


def check_extra_nonlinearity(net, input_size, lang: str | None = None) -> bool | None:
    """Exercise 7: a network for 56x56 (or 84x84) inputs with more ReLUs than VGG-11."""
    if _unanswered(net, input_size):
        return _not_answered(lang)
    size = _number(input_size, lang)
    if size is None:
        return False
    if size != int(size) or not 32 <= size <= 112:
        return _say(False, f"输入尺寸 {size:g} 不合适：这道题要的是 56 或 84 这样的小输入。",
                    f"An input of {size:g} is not what this asks: try a small input such as "
                    "56 or 84.", lang)
    shape = _output_shape(net, (1, 1, int(size), int(size)), lang)
    if shape is None:
        return False
    if shape != (1, 10):
        return _say(False, f"输出形状是 {shape}，应该是 (1, 10)。",
                    f"The output shape is {shape}; it should be (1, 10).", lang)
    relus = sum(isinstance(m, nn.ReLU) for m in net.modules())
    base = reference_values()["vgg11_relus"]
    if relus > base:
        return _say(True, f"正确：输入 {int(size)}×{int(size)}，{relus} 个 ReLU（VGG-11 有 {base} 个）。",
                    f"Right: input {int(size)}×{int(size)}, {relus} ReLUs "
                    f"(VGG-11 has {base}).", lang)
    return _say(False, f"网络能跑，但只有 {relus} 个 ReLU，不比 VGG-11 的 {base} 个多。"
                "提示：在每个汇聚层之前加一个 1×1 卷积层和 ReLU。",
                f"The network runs, but it has {relus} ReLUs, no more than VGG-11's {base}. "
                "Hint: add a 1×1 convolution and a ReLU before each pooling layer.", lang)
