"""Checks for lesson 5's "try it yourself" cells: one line, ✅ or ❌, with a hint.

Each ``check_*`` function takes what the student wrote in the scaffold cell. A
scaffold starts as ``answer = ...``; the check then says "not answered yet"
instead of failing, so a notebook runs from top to bottom as handed out.

A check tests what the task means, not one property: a network is run on the
input the task names and its layers are read in order (where each ReLU sits,
how many parameters the whole head holds), and every common wrong answer is
recognised and named with a hint. The expected values are worked out inside
the checks from the course's own networks (on PyTorch's ``meta`` device: no
memory, almost no time), never typed in, and no public function hands them out:
the student edition must not print its own answers. Messages follow the
lesson's language (:func:`course_utils.messages.pick`).

Every check prints its verdict and returns ``True`` (right), ``False`` (wrong)
or ``None`` (not answered yet), so tests and notebooks can use the result.
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache

import torch
from torch import nn

from .messages import CourseError, pick
from .models import VGG11, VGG19, alexnet, num_params, scale_arch, vgg
from .shapes import human, layer_table

WEIGHTED = (nn.Conv2d, nn.Linear)


# ---------------------------------------------------------------- printing verdicts


def _unanswered(*values) -> bool:
    return any(v is Ellipsis for v in values)


def _say(verdict: bool | None, zh: str, en: str, lang: str | None) -> bool | None:
    mark = {True: "✅ ", False: "❌ ", None: "⏳ "}[verdict]
    print(mark + pick(zh, en, lang), flush=True)
    return verdict


def _wrong(zh: str, en: str, lang: str | None) -> bool:
    return _say(False, zh, en, lang)


def _not_answered(lang: str | None) -> None:
    return _say(None, "还没有作答：把 ... 换成你的答案，再运行这个单元格。",
                "Not answered yet: replace the ... with your answer and run this cell again.",
                lang)


def _number(value, lang) -> float | None:
    """``value`` as a float, or ``None`` after saying why it is not a number."""
    if isinstance(value, str):
        bare = value.strip()
        try:
            float(bare)
        except ValueError:
            _wrong(f"这里需要一个数，现在是文本 {value!r}。",
                   f"This needs a number; got the text {value!r}.", lang)
            return None
        _wrong(f"{value!r} 是带引号的文本，不是数：去掉引号，写成 {bare}。",
               f"{value!r} is text in quotes, not a number: write {bare} without the quotes.",
               lang)
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _wrong(f"这里需要一个数，现在是 {type(value).__name__} 类型的 {value!r}。",
               f"This needs a number; got {value!r} (a {type(value).__name__}).", lang)
        return None
    number = float(value)
    if not math.isfinite(number):
        _wrong(f"这里需要一个有限的数，现在是 {value!r}。",
               f"This needs a finite number; got {value!r}.", lang)
        return None
    return number


def _close(value: float, expected: float, rel: float) -> bool:
    return abs(value - expected) <= rel * abs(expected)


# ---------------------------------------------------------------- what the course's networks give


def _meta(make):
    with torch.device("meta"):
        return make()


def _leaf_layers(net: nn.Module) -> list[nn.Module]:
    """Every layer, blocks opened, in the order the modules were registered; a layer
    used twice (one ``nn.ReLU()`` reused, say) counts each time it sits in the net."""
    return [m for _, m in net.named_modules(remove_duplicate=False) if not list(m.children())]


def _macs_by_kind(net: nn.Module, size: int, in_channels: int = 1) -> dict[type, int]:
    leaves = _leaf_layers(net)
    rows = layer_table(nn.Sequential(*leaves), (1, in_channels, size, size))
    out: dict[type, int] = {}
    for row, layer in zip(rows, leaves):
        kind = nn.Conv2d if isinstance(layer, nn.Conv2d) else (
            nn.Linear if isinstance(layer, nn.Linear) else nn.Module)
        out[kind] = out.get(kind, 0) + row.macs
    return out


def _total_macs(make, size: int) -> int:
    return sum(_macs_by_kind(_meta(make), size).values())


@lru_cache(maxsize=None)
def _vgg11_counts() -> tuple[int, int, int, int, int]:
    """(weighted layers, top-level rows, ReLUs, weight tensors, leaf layers) of VGG-11."""
    net = _meta(lambda: vgg(VGG11))
    return (sum(isinstance(m, WEIGHTED) for m in net.modules()),
            sum(1 for m in net if isinstance(m, (nn.Sequential, *WEIGHTED))),
            sum(isinstance(m, nn.ReLU) for m in net.modules()),
            len(list(net.parameters())),
            len(_leaf_layers(net)))


@lru_cache(maxsize=None)
def _vgg11_vs_alexnet() -> tuple[float, float, float]:
    """(MACs ratio, parameter ratio, ratio-4 MACs ratio), all at 224x224."""
    alex_macs = _total_macs(alexnet, 224)
    ratio = _total_macs(lambda: vgg(VGG11), 224) / alex_macs
    params = num_params(_meta(lambda: vgg(VGG11))) / num_params(_meta(alexnet))
    small = _total_macs(lambda: vgg(scale_arch(VGG11, 4)), 224) / alex_macs
    return ratio, params, small


@lru_cache(maxsize=None)
def _input_96_ratios() -> tuple[float, float]:
    """(ratio-4 VGG-11's MACs at 224 over 96, full-width VGG-11's same ratio)."""
    small = scale_arch(VGG11, 4)
    return (_total_macs(lambda: vgg(small), 224) / _total_macs(lambda: vgg(small, input_size=96), 96),
            _total_macs(lambda: vgg(VGG11), 224) / _total_macs(lambda: vgg(VGG11, input_size=96), 96))


@lru_cache(maxsize=None)
def _vgg11_split() -> tuple[int, int, int, int]:
    """(conv MACs, FC MACs, conv params, FC params) of VGG-11 at 224x224."""
    net = _meta(lambda: vgg(VGG11))
    macs = _macs_by_kind(net, 224)
    conv_p = sum(num_params(m) for m in net.modules() if isinstance(m, nn.Conv2d))
    fc_p = sum(num_params(m) for m in net.modules() if isinstance(m, nn.Linear))
    return macs[nn.Conv2d], macs[nn.Linear], conv_p, fc_p


@lru_cache(maxsize=None)
def _small_arch_split() -> tuple[int, int]:
    macs = _macs_by_kind(_meta(lambda: vgg(scale_arch(VGG11, 4))), 224)
    return macs[nn.Conv2d], macs[nn.Linear]


@lru_cache(maxsize=None)
def _torchvision_vgg16_params() -> int | None:
    try:
        import torchvision
    except ImportError:  # pragma: no cover - torchvision ships with the course
        return None
    return num_params(_meta(torchvision.models.vgg16))


def vgg11_features_shape() -> tuple:
    """What VGG-11's five blocks hand to the head for one 224x224 image: (1, 512, 7, 7)."""
    blocks = _meta(lambda: nn.Sequential(*list(vgg(VGG11))[:len(VGG11)]))
    return tuple(blocks(torch.zeros(1, 1, 224, 224, device="meta")).shape)


# ---------------------------------------------------------------- exercise 1


def check_weight_layers(count, lang: str | None = None) -> bool | None:
    """Exercise 1: how many layers with weights does VGG-11 have, blocks opened?"""
    if _unanswered(count):
        return _not_answered(lang)
    count = _number(count, lang)
    if count is None:
        return False
    expected, top, relus, tensors, leaves = _vgg11_counts()
    if count == expected:
        return _say(True, f"正确：VGG-11 有 {expected} 个带权重的层（卷积层和全连接层）。",
                    f"Right: VGG-11 has {expected} layers with weights "
                    "(convolutional and fully connected).", lang)
    if count == top:
        return _wrong(f"{count:g} 只是顶层的行数：每个块只算了一次。提示：用 net.modules() "
                      "或在循环里再打开每个块，数 nn.Conv2d 和 nn.Linear。",
                      f"{count:g} is only the number of top-level rows: each block counted "
                      "once. Hint: use net.modules(), or open each block inside the loop, and "
                      "count nn.Conv2d and nn.Linear.", lang)
    if count == relus:
        return _wrong(f"{count:g} 是 ReLU 的个数：激活函数没有权重。提示：数 nn.Conv2d 和 nn.Linear。",
                      f"{count:g} is the number of ReLUs: activations have no weights. "
                      "Hint: count nn.Conv2d and nn.Linear.", lang)
    if count == tensors:
        return _wrong(f"{count:g} 是参数张量的个数：每层有权重和偏置两个张量。提示：数层，不数张量。",
                      f"{count:g} is the number of parameter tensors: each layer has a weight "
                      "and a bias. Hint: count layers, not tensors.", lang)
    if count in (leaves, leaves + 1 + len(VGG11)):
        return _wrong(f"{count:g} 把所有层（或所有模块）都算上了。提示：只数有权重的 nn.Conv2d 和 nn.Linear。",
                      f"{count:g} counts every layer (or every module). Hint: count only the "
                      "ones with weights, nn.Conv2d and nn.Linear.", lang)
    if count != int(count):
        return _wrong(f"层数是整数，{count:g} 不是。", f"A count is a whole number; {count:g} is not.",
                      lang)
    return _wrong(f"{count:g} 不对。提示：只数 nn.Conv2d 和 nn.Linear（ReLU、汇聚层没有权重）。",
                  f"{count:g} is not it. Hint: count only nn.Conv2d and nn.Linear "
                  "(ReLU and pooling layers have no weights).", lang)


# ---------------------------------------------------------------- exercise 2


def check_macs_ratio(ratio, lang: str | None = None) -> bool | None:
    """Exercise 2: VGG-11's MACs per 224x224 image divided by AlexNet's."""
    if _unanswered(ratio):
        return _not_answered(lang)
    ratio = _number(ratio, lang)
    if ratio is None:
        return False
    expected, params, small = _vgg11_vs_alexnet()
    if _close(ratio, expected, 0.05):
        return _say(True, f"正确：VGG-11 每张图的乘加次数约是 AlexNet 的 {expected:.1f} 倍。",
                    f"Right: VGG-11 needs about {expected:.1f}x AlexNet's MACs per image.",
                    lang)
    if ratio > 0 and _close(1 / ratio, expected, 0.05):
        return _wrong("方向反了：要用 VGG-11 的乘加次数除以 AlexNet 的。",
                      "Upside down: divide VGG-11's MACs by AlexNet's.", lang)
    if _close(ratio, params, 0.05):
        return _wrong("这是参数量之比，不是乘加次数之比。提示：把 layer_table 各行的 macs 加起来。",
                      "That is the ratio of parameters, not of MACs. Hint: add up the macs "
                      "of layer_table's rows.", lang)
    if _close(ratio, small, 0.05):
        return _wrong("这是缩小版（通道数除以 4）的 VGG-11。这道题比较完整的 vgg(VGG11) 和 AlexNet。",
                      "That is the ratio-4 VGG-11 (channels divided by 4). This exercise "
                      "compares the full vgg(VGG11) with AlexNet.", lang)
    if ratio > 1e3:
        return _wrong(f"{ratio:.3g} 太大了：这里要的是倍数（相除），不是差值或总次数。",
                      f"{ratio:.3g} is far too big: this asks for a ratio (divide), not a "
                      "difference or a total.", lang)
    return _wrong(f"{ratio:.3g} 不对。提示：对两个网络分别调用 layer_table(net, (1, 1, 224, 224))，"
                  "把各行的 macs 加起来再相除。",
                  f"{ratio:.3g} is not it. Hint: call layer_table(net, (1, 1, 224, 224)) on "
                  "each network, add up the rows' macs, then divide.", lang)


# ---------------------------------------------------------------- exercise 3


def check_input_96(ratio, lang: str | None = None) -> bool | None:
    """Exercise 3: MACs per image of VGG-11/4 at 224 divided by those at 96."""
    if _unanswered(ratio):
        return _not_answered(lang)
    ratio = _number(ratio, lang)
    if ratio is None:
        return False
    expected, full_width = _input_96_ratios()
    if _close(ratio, expected, 0.03):
        return _say(True, f"正确：输入 96 时每张图的计算量约为 224 时的 1/{expected:.2f}。",
                    f"Right: at 96 an image costs about 1/{expected:.2f} of what it costs at 224.",
                    lang)
    # Full width lands 1% from (224/96)², so it is told apart first, exactly.
    if _close(ratio, full_width, 0.003):
        return _wrong("这是完整宽度的 VGG-11。这道题用缩小版：small_arch = scale_arch(VGG11, 4)。",
                      "That is the full-width VGG-11. This exercise uses the ratio-4 one: "
                      "small_arch = scale_arch(VGG11, 4).", lang)
    if _close(ratio, (224 / 96) ** 2, 0.03):
        return _wrong("接近了：(224/96)² 只对卷积层成立。全连接层的计算量变化不同，"
                      "请用 layer_table 把所有层都算上。",
                      "Close: (224/96)² holds for the convolutions only. The fully connected "
                      "layers change differently; count every layer with layer_table.", lang)
    if _close(ratio, 224 / 96, 0.03):
        return _wrong("224/96 只是边长之比；卷积层的计算量跟像素数（面积）走。请用 layer_table 把所有层都算上。",
                      "224/96 is only the ratio of the sides; convolution cost follows the "
                      "number of pixels (the area). Count every layer with layer_table.", lang)
    if ratio > 0 and (_close(1 / ratio, expected, 0.03) or _close(1 / ratio, (224 / 96) ** 2, 0.03)):
        return _wrong("方向反了：要用 224 时的乘加次数除以 96 时的（答案大于 1）。",
                      "Upside down: divide the MACs at 224 by those at 96 (the answer is above 1).",
                      lang)
    return _wrong(f"{ratio:.3g} 不对。提示：vgg(small_arch, input_size=96) 配合输入形状 "
                  "(1, 1, 96, 96)，和 224 的情况各算一次总乘加次数。",
                  f"{ratio:.3g} is not it. Hint: build vgg(small_arch, input_size=96), use the "
                  "input shape (1, 1, 96, 96), and compare its total MACs with 224's.", lang)


# ---------------------------------------------------------------- exercise 4


def _as_pairs(conv_arch, lang) -> list[tuple[int, int]] | None:
    """``conv_arch`` as (num_convs, out_channels) pairs, or ``None`` after a hint."""
    if isinstance(conv_arch, (str, bytes)) or not hasattr(conv_arch, "__iter__"):
        _wrong(f"conv_arch 需要是 (卷积层数, 输出通道数) 对的列表，现在是 {type(conv_arch).__name__}。",
               "conv_arch must be a list of (num_convs, out_channels) pairs; got a "
               f"{type(conv_arch).__name__}.", lang)
        return None
    items = list(conv_arch)
    if items and all(isinstance(x, numbers.Integral) for x in items):
        _wrong("这是一串数，不是成对的：每个块写成 (卷积层数, 输出通道数)，例如 (2, 64)。",
               "That is a flat list of numbers, not pairs: write each block as "
               "(num_convs, out_channels), e.g. (2, 64).", lang)
        return None
    pairs = []
    for i, item in enumerate(items, start=1):
        try:
            n, c = item
            if isinstance(n, (bool, str)) or isinstance(c, (bool, str)) or n != int(n) or c != int(c):
                raise ValueError
            pairs.append((int(n), int(c)))
        except (TypeError, ValueError):
            _wrong(f"第 {i} 个块 {item!r} 不是 (卷积层数, 输出通道数) 这样的两个整数。",
                   f"Block {i}, {item!r}, is not two whole numbers (num_convs, out_channels).",
                   lang)
            return None
    swapped = [i for i, (n, c) in enumerate(pairs, start=1) if n >= 16 and c <= 8]
    if pairs and len(swapped) == len(pairs):
        _wrong("每对的顺序反了：应该是 (卷积层数, 输出通道数)，例如 (2, 64)，不是 (64, 2)。",
               "Each pair is the wrong way round: it is (num_convs, out_channels), e.g. "
               "(2, 64), not (64, 2).", lang)
        return None
    if swapped:
        i = swapped[0]
        n, c = pairs[i - 1]
        _wrong(f"第 {i} 个块 ({n}, {c}) 的顺序反了：应该是 (卷积层数, 输出通道数)，即 ({c}, {n})。",
               f"Block {i}, ({n}, {c}), is the wrong way round: it is (num_convs, "
               f"out_channels), i.e. ({c}, {n}).", lang)
        return None
    return pairs


def check_vgg16(conv_arch, lang: str | None = None) -> bool | None:
    """Exercise 4: a ``conv_arch`` that builds VGG-16 (configuration D of the paper)."""
    if _unanswered(conv_arch):
        return _not_answered(lang)
    pairs = _as_pairs(conv_arch, lang)
    if pairs is None:
        return False
    try:
        net = _meta(lambda: vgg(pairs, in_channels=3, num_classes=1000))
    except CourseError as err:
        return _wrong(err.zh, err.en, lang)
    layers = sum(n for n, _ in pairs) + 3
    params = num_params(net)
    expected = _torchvision_vgg16_params()
    if layers == 16 and len(pairs) == 5 and (expected is None or params == expected):
        return _say(True, f"正确：16 个带权重的层，{params:,} 个参数，与 torchvision 的 vgg16 完全一致。",
                    f"Right: 16 weight layers, {params:,} parameters, exactly torchvision's vgg16.",
                    lang)
    if len(pairs) != 5:
        return _wrong(f"这个 conv_arch 有 {len(pairs)} 个块；VGG 家族的每个成员都是 5 个块。",
                      f"This conv_arch has {len(pairs)} blocks; every VGG of the paper has 5.",
                      lang)
    if pairs == [tuple(p) for p in VGG19]:
        return _wrong("这是 VGG-19（论文表 1 的 E 列）。VGG-16 是 D 列：后三个块各 3 个卷积层。",
                      "That is VGG-19 (column E of the paper's Table 1). VGG-16 is column D: "
                      "3 convolutions in each of the last three blocks.", lang)
    if layers != 16:
        return _wrong(f"这个 conv_arch 有 {layers} 个带权重的层（卷积层 + 3 个全连接层），VGG-16 需要 16 个。"
                      "提示：论文表 1 的 D 列。",
                      f"This conv_arch gives {layers} weight layers (convolutions + 3 fully "
                      "connected); VGG-16 needs 16. Hint: column D of the paper's Table 1.", lang)
    if [c for _, c in pairs] != [c for _, c in VGG11]:
        return _wrong(f"层数对了，但参数量是 {params:,}，torchvision 是 {expected:,}。"
                      "提示：检查每个块的输出通道数，和 VGG-11 的一样。",
                      f"The layer count is right, but it has {params:,} parameters, torchvision "
                      f"{expected:,}. Hint: check each block's channels: the same as VGG-11's.",
                      lang)
    return _wrong("一共 13 个卷积层是对的，但分到各块的个数不对。提示：对照论文表 1 的 D 列，"
                  "看多出来的卷积层加在了哪几个块里。",
                  "13 convolutions in all is right, but not spread over the blocks as in the "
                  "paper. Hint: read column D of Table 1 block by block: which blocks get the "
                  "extra convolutions?", lang)


# ---------------------------------------------------------------- exercise 5


def check_flops_split(conv_macs, fc_macs, lang: str | None = None) -> bool | None:
    """Exercise 5: VGG-11's MACs (224x224) in convolutional vs fully connected layers."""
    if _unanswered(conv_macs, fc_macs):
        return _not_answered(lang)
    conv, fc = _number(conv_macs, lang), _number(fc_macs, lang)
    if conv is None or fc is None:
        return False
    ref_conv, ref_fc, conv_params, fc_params = _vgg11_split()
    ok_conv, ok_fc = _close(conv, ref_conv, 0.01), _close(fc, ref_fc, 0.01)
    if ok_conv and ok_fc:
        share = conv / (conv + fc)
        return _say(True, f"正确：卷积层 {human(conv)}、全连接层 {human(fc)} 次乘加，"
                    f"卷积层占 {share:.1%}。",
                    f"Right: {human(conv)} MACs in the convolutions, {human(fc)} in the fully "
                    f"connected layers; the convolutions do {share:.1%}.", lang)
    if any(_close(v * scale, 2 * ref, 0.01) for v, ref in ((conv, ref_conv), (fc, ref_fc))
           for scale in (1, 1e9)):
        return _wrong("这是浮点运算次数（FLOPs）；乘加次数（MACs）是它的一半：一次乘加 = 两次浮点运算。",
                      "That is FLOPs; MACs are half: one multiply-accumulate is two "
                      "floating-point operations.", lang)
    if _close(conv, ref_fc, 0.01) and _close(fc, ref_conv, 0.01):
        return _wrong("两个数对了，但位置反了：第一个是卷积层的，第二个是全连接层的。",
                      "Both numbers are right but swapped: convolutions first, fully "
                      "connected second.", lang)
    if _close(conv, conv_params, 0.01) and _close(fc, fc_params, 0.01):
        return _wrong("这是参数量，不是乘加次数。提示：用 layer_table 每行的 macs，不是 params。",
                      "Those are parameter counts, not MACs. Hint: take the macs of "
                      "layer_table's rows, not params.", lang)
    small_conv, small_fc = _small_arch_split()
    if _close(conv, small_conv, 0.01) or _close(fc, small_fc, 0.01):
        return _wrong("这是缩小版（通道数除以 4）的 VGG-11。这道题用完整的 vgg(VGG11)。",
                      "That is the ratio-4 VGG-11. This exercise uses the full vgg(VGG11).", lang)
    if _close(conv * 1e9, ref_conv, 0.01) or _close(fc * 1e9, ref_fc, 0.01):
        return _wrong("单位不对：请写出完整的次数（例如 1.5 G 写成 1.5e9），不要以 G 为单位。",
                      "Wrong unit: write the whole count (1.5 G as 1.5e9, say), not a number of G.",
                      lang)
    if ok_conv or ok_fc:
        wrong = pick("全连接层", "fully connected", lang) if ok_conv else pick("卷积层", "convolutional", lang)
        return _wrong(f"一半对了：{wrong}的数还不对。",
                      f"Half right: the {wrong} number is off.", lang)
    return _wrong("还不对。提示：把块打开（net.modules() 里没有子模块的层），"
                  "对每层用 layer_table 的 macs，按 nn.Conv2d / nn.Linear 分开求和。",
                  "Not yet. Hint: open the blocks (the layers in net.modules() that have no "
                  "children), take each layer's macs from layer_table, and sum nn.Conv2d and "
                  "nn.Linear separately.", lang)


# ---------------------------------------------------------------- networks as answers


def _as_network(net, lang) -> bool:
    if isinstance(net, type) and issubclass(net, nn.Module):
        _wrong(f"这是类 {net.__name__} 本身；要先调用它建出网络，例如 {net.__name__}(...)。",
               f"That is the class {net.__name__} itself; call it to build a network, e.g. "
               f"{net.__name__}(...).", lang)
        return False
    if not isinstance(net, nn.Module):
        _wrong(f"这里需要一个网络（nn.Module），现在是 {type(net).__name__}。",
               f"This needs a network (an nn.Module); got a {type(net).__name__}.", lang)
        return False
    return True


def _output_shape(net: nn.Module, input_shape: tuple, lang) -> tuple | None:
    """The output shape of ``net`` for a zero input, or ``None`` after saying why not."""
    shape_text = "×".join(str(n) for n in input_shape[1:])
    try:
        out = _evaluate(net, torch.zeros(input_shape))
    except (RuntimeError, ValueError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        _wrong(f"网络在 {shape_text} 的输入上出错了：{first}。提示：检查第一个全连接层的输入特征数，"
               "以及它前面有没有 nn.Flatten()。",
               f"The network fails on a {shape_text} input: {first}. Hint: check the first "
               "fully connected layer's number of inputs, and that an nn.Flatten() comes "
               "before it.", lang)
        return None
    if not isinstance(out, torch.Tensor):
        _wrong(f"网络的输出应该是一个张量，现在是 {type(out).__name__}。",
               f"The network should return a tensor; it returned a {type(out).__name__}.", lang)
        return None
    return tuple(out.shape)


# What can squash the class scores when it comes after the output layer.
NONLINEAR = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU,
             nn.SiLU, nn.Mish, nn.Hardswish, nn.Tanh, nn.Sigmoid, nn.Hardsigmoid,
             nn.Softmax, nn.LogSoftmax, nn.Softplus)


def _evaluate(net: nn.Module, x: torch.Tensor):
    """``net(x)`` in eval mode without gradients, on the net's device; the net is left
    in the mode it was in."""
    param = next(net.parameters(), None)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(x.to(param.device if param is not None else "cpu"))
    finally:
        net.train(was_training)


def _layers_as_run(net: nn.Module, input_shape: tuple) -> list[nn.Module]:
    """Every layer in the order the forward pass calls it (a layer called twice counts
    twice): a custom module may define its head before its blocks."""
    order: list[nn.Module] = []
    leaves = [m for m in net.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda mod, args, out: order.append(mod)) for m in leaves]
    try:
        _evaluate(net, torch.zeros(input_shape))
    finally:
        for h in hooks:
            h.remove()
    return order


def _after_output_layer(layers: list[nn.Module]) -> str | None:
    """The kind of the first non-linearity run after the last weighted layer, if any."""
    last = max((i for i, m in enumerate(layers) if isinstance(m, WEIGHTED)), default=-1)
    after = [m for m in layers[last + 1:] if isinstance(m, NONLINEAR)]
    return type(after[0]).__name__ if after else None


def _outputs(net: nn.Module, input_shape: tuple, positive: bool = False) -> torch.Tensor:
    """The net's output for four random inputs (features after ReLU and pooling are
    never negative: ``positive``), drawn without touching torch's random state."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((4, *input_shape[1:]), generator=gen)
    return _evaluate(net, x.abs() if positive else x).float().cpu()


def _bad_scores(out: torch.Tensor, lang) -> bool | None:
    """``False`` after a hint when the class scores cannot be what a classifier needs:
    all >= 0 (a ReLU, Sigmoid or Softmax after the output layer, or F.relu in forward),
    or the same whatever the input; ``None`` when they look like scores."""
    if out.dim() == 2 and out.shape[0] > 1 and torch.allclose(out, out[:1].expand_as(out)):
        return _wrong("不管输入什么，输出都一样：类别得分必须取决于输入图像。",
                      "The output is the same whatever the input: the class scores must "
                      "depend on the image.", lang)
    if bool((out >= 0).all()):
        return _wrong("输出的类别得分全都 ≥ 0：输出层后面有东西把它们压扁了（ReLU、Sigmoid、Softmax，"
                      "或 forward 里的 F.relu）。nn.CrossEntropyLoss 自己会做 softmax。"
                      "提示：网络以全连接层结束，后面什么都不加。",
                      "The class scores all come out >= 0: something after the output layer "
                      "squashes them (a ReLU, Sigmoid, Softmax, or F.relu in forward). "
                      "nn.CrossEntropyLoss does the softmax itself. Hint: end the network with "
                      "its Linear layer, nothing after it.", lang)
    return None


def _wrong_shape(shape: tuple, lang) -> bool:
    if len(shape) == 4 and shape[1] == 10:
        return _wrong(f"输出形状是 {shape}：还差展平。提示：最后加 nn.Flatten()，得到 (1, 10)。",
                      f"The output shape is {shape}: it still needs flattening. Hint: end with "
                      "nn.Flatten() to get (1, 10).", lang)
    return _wrong(f"输出形状是 {shape}，应该是 (1, 10)：10 个类别。",
                  f"The output shape is {shape}; it should be (1, 10): ten classes.", lang)


# ---------------------------------------------------------------- exercise 6


def check_small_head(head, lang: str | None = None) -> bool | None:
    """Exercise 6: a head for VGG-11's blocks (512 channels of 7x7 in, 10 classes out)
    whose layers hold at most a tenth of the original fully connected layers' parameters."""
    if _unanswered(head):
        return _not_answered(lang)
    if not _as_network(head, lang):
        return False
    shape = _output_shape(head, vgg11_features_shape(), lang)
    if shape is None:
        return False
    if shape != (1, 10):
        return _wrong_shape(shape, lang)
    if not any(isinstance(m, WEIGHTED) for m in head.modules()):
        return _wrong("这个头里没有带权重的层，什么也学不到。提示：nn.AdaptiveAvgPool2d(1)、"
                      "nn.Flatten()，再接一个 nn.Linear(512, 10)。",
                      "This head has no layer with weights: it cannot learn anything. Hint: "
                      "nn.AdaptiveAvgPool2d(1), nn.Flatten(), then an nn.Linear(512, 10).", lang)
    kind = _after_output_layer(_layers_as_run(head, vgg11_features_shape()))
    if kind is not None:
        return _wrong(f"输出层后面还有 {kind}：类别得分不该再经过非线性。提示：头以 nn.Linear 结束。",
                      f"There is a {kind} after the output layer: the class scores should not "
                      "go through a non-linearity. Hint: end the head with its nn.Linear.", lang)
    if _bad_scores(_outputs(head, vgg11_features_shape(), positive=True), lang) is False:
        return False
    # Every parameter counts: a 7x7 convolution over the whole map is a fully
    # connected layer under another name, and must not escape the budget.
    total = num_params(head)
    fc = sum(num_params(m) for m in head.modules() if isinstance(m, nn.Linear))
    original = _vgg11_split()[3]
    if total <= original / 10:
        return _say(True, f"正确：新的头只有 {human(total)} 个参数，原来的全连接层有 {human(original)}"
                    f"（{100 * total / original:.2g}%）。",
                    f"Right: the new head holds {human(total)} parameters, down from the "
                    f"original fully connected layers' {human(original)} "
                    f"({100 * total / original:.2g}%).", lang)
    if fc < total / 2:
        return _wrong(f"这个头有 {human(total)} 个参数，大多在卷积层里，是原来的 {total / original:.0%}："
                      "覆盖整个 7×7 特征图的卷积就是换了名字的全连接层。目标是 10% 以下。"
                      "提示：先用 nn.AdaptiveAvgPool2d(1) 把每个通道平均成一个数。",
                      f"This head holds {human(total)} parameters, mostly in convolutions, "
                      f"{total / original:.0%} of the original: a convolution that covers the whole "
                      "7×7 map is a fully connected layer under another name. Aim for under "
                      "10%. Hint: first average each channel to one number with "
                      "nn.AdaptiveAvgPool2d(1).", lang)
    return _wrong(f"这个头还有 {human(total)} 个参数，是原来的 {total / original:.0%}；目标是 10% 以下。"
                  "提示：展平之前先用 nn.AdaptiveAvgPool2d(1) 把每个通道平均成一个数，或减少隐藏单元。",
                  f"This head still holds {human(total)} parameters, {total / original:.0%} of "
                  "the original; aim for under 10%. Hint: before flattening, average each "
                  "channel to one number with nn.AdaptiveAvgPool2d(1), or use fewer hidden "
                  "units.", lang)


# ---------------------------------------------------------------- exercise 7


def _nonlinearity_places(layers: list[nn.Module]) -> dict[str, int]:
    """Where the non-linearities (ReLUs and the like) sit, read from the layers in the
    order they run.

    ``conv``: ReLUs right after a convolution (the block's non-linearity);
    ``head``: after a hidden fully connected layer; ``after_output``: after the
    last weighted layer, where a ReLU only clips the class scores; ``idle``: a
    ReLU right after another ReLU (or with nothing before it), which changes nothing.
    """
    leaves = [m for m in layers
              if isinstance(m, (*NONLINEAR, *WEIGHTED, nn.MaxPool2d, nn.AvgPool2d,
                                nn.AdaptiveAvgPool2d))]
    last_weighted = max((i for i, m in enumerate(leaves) if isinstance(m, WEIGHTED)), default=-1)
    places = {"conv": 0, "head": 0, "after_output": 0, "idle": 0}
    for i, layer in enumerate(leaves):
        if not isinstance(layer, NONLINEAR):
            continue
        before = leaves[i - 1] if i else None
        if i > last_weighted:
            places["after_output" if isinstance(before, WEIGHTED) else "idle"] += 1
        elif isinstance(before, nn.Conv2d):
            places["conv"] += 1
        elif isinstance(before, nn.Linear):
            places["head"] += 1
        else:
            places["idle"] += 1
    return places


def check_extra_nonlinearity(net, input_size, lang: str | None = None) -> bool | None:
    """Exercise 7: a network for a small input (28 to 112, e.g. 56 or 84) with more
    non-linearity in its blocks than VGG-11 has, and nothing after its output layer."""
    if _unanswered(net, input_size):
        return _not_answered(lang)
    size = _number(input_size, lang)
    if size is None:
        return False
    if size != int(size) or not 28 <= size <= 112:
        return _wrong(f"输入尺寸 {size:g} 不合适：这道题要的是 56 或 84 这样的小输入（28 到 112）。",
                      f"An input of {size:g} is not what this asks: use a small input such as "
                      "56 or 84 (28 to 112).", lang)
    if not _as_network(net, lang):
        return False
    side = int(size)
    shape = _output_shape(net, (1, 1, side, side), lang)
    if shape is None:
        return False
    if shape != (1, 10):
        return _wrong_shape(shape, lang)
    layers = _layers_as_run(net, (1, 1, side, side))
    places = _nonlinearity_places(layers)
    _, _, base_relus, _, _ = _vgg11_counts()
    # One ReLU after each of VGG-11's convolutions, in as many blocks as this net has
    # (lesson 3 builds a 4-block VGG for 28x28, so 4 blocks compare with VGG-11's first 4).
    blocks = sum(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in layers)
    blocks = max(1, min(blocks, len(VGG11)))
    base_conv = sum(n for n, _ in VGG11[:blocks])
    base_zh = "VGG-11 有" if blocks == len(VGG11) else f"VGG-11 的前 {blocks} 个块有"
    of_zh = "VGG-11 的" if blocks == len(VGG11) else f"VGG-11 前 {blocks} 个块的"
    base_en = ("VGG-11 has" if blocks == len(VGG11) else "VGG-11's first block has"
               if blocks == 1 else f"VGG-11's first {blocks} blocks have")
    if not places["after_output"] and _bad_scores(_outputs(net, (1, 1, side, side)), lang) is False:
        return False
    if places["after_output"]:
        return _wrong("输出层后面还有 ReLU（或别的非线性）：它会压扁类别得分（ReLU 把负的得分都变成 0），"
                      "softmax 就分不出这些类别了。"
                      "提示：非线性加在汇聚层之前，输出层后面什么都不加。",
                      "There is a ReLU (or another non-linearity) after the output layer: "
                      "it squashes the class scores (a ReLU turns every negative score "
                      "into 0), so softmax can no longer tell those classes apart. Hint: "
                      "add non-linearity before the pooling layers, nothing after the output.",
                      lang)
    if places["conv"] > base_conv:
        return _say(True, f"正确：输入 {side}×{side}，块里有 {places['conv']} 个 ReLU"
                    f"（{base_zh} {base_conv} 个），输出层后面没有。",
                    f"Right: input {side}×{side}, {places['conv']} ReLUs in the blocks "
                    f"({base_en} {base_conv}), none after the output layer.", lang)
    if places["idle"]:
        return _wrong("有的 ReLU 紧跟在另一个 ReLU（或汇聚层）后面：ReLU(ReLU(x)) = ReLU(x)，什么也没多。"
                      "提示：先加一个 1×1 卷积层，再加 ReLU。",
                      "Some ReLU follows another ReLU (or a pooling layer): ReLU(ReLU(x)) = "
                      "ReLU(x), nothing gained. Hint: add a 1×1 convolution, then the ReLU.",
                      lang)
    if places["conv"] + places["head"] > base_relus:
        return _wrong(f"多出来的 ReLU 都在全连接层里；块里只有 {places['conv']} 个，不比 "
                      f"{of_zh} {base_conv} 个多。提示：在每个汇聚层之前加一个 1×1 卷积层和 ReLU。",
                      f"The extra ReLUs are all in the fully connected part; the blocks have "
                      f"{places['conv']}, no more than {base_en} {base_conv}. Hint: add a 1×1 "
                      "convolution and a ReLU before each pooling layer.", lang)
    return _wrong(f"网络能跑，但块里只有 {places['conv']} 个 ReLU，不比 {of_zh} {base_conv} 个多。"
                  "提示：在每个汇聚层之前加一个 1×1 卷积层和 ReLU。",
                  f"The network runs, but its blocks have {places['conv']} ReLUs, no more than "
                  f"{base_en} {base_conv}. Hint: add a 1×1 convolution and a ReLU before each "
                  "pooling layer.", lang)
