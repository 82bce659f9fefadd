"""The numbers behind the explorers, as pure functions.

The widgets in :mod:`course_utils.widgets` only turn controls into arguments and
results into HTML; everything they show comes from here, so it can be tested
without a browser. Every number is read off a real network built on the
``meta`` device and measured by :func:`course_utils.shapes.layer_table`: the
course computes shapes, parameters and MACs in that one place, and a meta
network costs no memory, so even VGG-19 at 224x224 takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .messages import CourseError, describe, whole_number
from .models import VGG11, ConvArch, as_arch, check_arch, scale_arch, vgg, vgg_block
from .shapes import layer_table


@dataclass(frozen=True)
class BlockStats:
    """One bar group of the explorer's chart: a VGG block, or the classifier."""

    label: str                      # "1", "2", ... for blocks, "FC" for the classifier
    num_convs: int                  # 3x3 convolutions in the block (0 for "FC")
    output_shape: tuple[int, ...]   # what the block hands on, batch 1
    params: int
    macs: int


@dataclass(frozen=True)
class ArchReport:
    """What a VGG setting costs, layer by layer and block by block."""

    conv_arch: tuple[tuple[int, int], ...]   # after scaling by ``ratio``
    ratio: int
    input_size: int
    in_channels: int
    num_classes: int
    rows: tuple[dict, ...]          # one per top-level layer, as the lesson's shape loop
    blocks: tuple[BlockStats, ...]  # one per VGG block, then one "FC" for the classifier
    total_params: int
    total_macs: int


def arch_report(conv_arch: ConvArch, ratio: int = 1, input_size: int = 224,
                in_channels: int = 1, num_classes: int = 10) -> ArchReport:
    """Measure ``vgg(scale_arch(conv_arch, ratio), in_channels, num_classes, input_size)``.

    Raises :class:`CourseError` (a ``ValueError``) with the reason in words when no
    such network exists: a block with no convolution, a channel count that the
    ratio rounds down to 0, an input too small for the number of blocks.
    """
    if len(as_arch(conv_arch)) == 0:
        # The explorer leaves out blocks set to 0 convs: with all of them at 0 the
        # student typed no conv_arch, so say what to do with the controls.
        raise CourseError(
            "一个块也没有了：请至少把一个块的卷积层数（滑块）调到 1 或更多。",
            "No block is left: set at least one block's number of convolutions "
            "(its slider) to 1 or more.")
    ratio = whole_number(ratio, "ratio", example=4)
    scaled, input_size, in_channels, num_classes = check_arch(
        scale_arch(conv_arch, ratio), input_size, in_channels, num_classes)
    with torch.device("meta"):
        net = vgg(scaled, in_channels, num_classes, input_size)
    table = layer_table(net, (1, in_channels, input_size, input_size))
    rows = tuple(row.as_dict() for row in table)
    num_blocks = len(scaled)
    blocks = [BlockStats(str(i + 1), num_convs, row.output_shape, row.params, row.macs)
              for i, ((num_convs, _), row) in enumerate(zip(scaled, table))]
    head = table[num_blocks:]   # Flatten, then the three Linear layers with ReLU/Dropout
    blocks.append(BlockStats("FC", 0, head[-1].output_shape,
                             sum(r.params for r in head), sum(r.macs for r in head)))
    return ArchReport(
        conv_arch=tuple(scaled), ratio=int(ratio), input_size=input_size,
        in_channels=in_channels, num_classes=num_classes, rows=rows, blocks=tuple(blocks),
        total_params=sum(r.params for r in table), total_macs=sum(r.macs for r in table))


def lesson_vgg11_report() -> ArchReport:
    """The lesson's own network: VGG-11 on 1x224x224 Fashion-MNIST images, 10 classes."""
    return arch_report(VGG11, ratio=1, input_size=224, in_channels=1, num_classes=10)


# ---------------------------------------------------------------- the block explorer


@dataclass(frozen=True)
class BlockReport:
    """One VGG block on one input: each layer's output shape and cost."""

    num_convs: int
    in_channels: int
    out_channels: int
    input_size: int
    rows: tuple[dict, ...]           # Conv2d, ReLU, ..., MaxPool2d
    output_shape: tuple[int, ...]    # batch 1
    params: int
    macs: int


def block_report(num_convs: int, in_channels: int, out_channels: int,
                 input_size: int = 224) -> BlockReport:
    """Measure ``vgg_block(num_convs, in_channels, out_channels)`` on one square input."""
    # check_arch words every impossible block (no conv, 0 channels, 1x1 input);
    # a one-block arch with these channels asks exactly those questions.
    num_convs, in_channels, out_channels, input_size = (
        _whole(num_convs, "num_convs", 2), _whole(in_channels, "in_channels", 1),
        _whole(out_channels, "out_channels", 64), _whole(input_size, "input_size", 224))
    check_arch([(num_convs, out_channels)], input_size, in_channels)
    with torch.device("meta"):
        block = vgg_block(num_convs, in_channels, out_channels)
    table = layer_table(block, (1, in_channels, input_size, input_size))
    return BlockReport(
        num_convs=num_convs, in_channels=in_channels, out_channels=out_channels,
        input_size=input_size, rows=tuple(row.as_dict() for row in table),
        output_shape=table[-1].output_shape,
        params=sum(r.params for r in table), macs=sum(r.macs for r in table))


def receptive_field(kernel_sizes, strides=None) -> int:
    """How many input pixels (per side) one output pixel of a conv stack can see.

    Each layer widens the view by ``kernel - 1`` steps of the layers before it,
    and a stride multiplies the step; for stride 1 this is ``1 + sum(k - 1)``.
    """
    kernel_sizes = _positive_list(kernel_sizes, "kernel_sizes", "[3, 3]")
    strides = [1] * len(kernel_sizes) if strides is None else _positive_list(
        strides, "strides", "[1, 1]")
    if len(strides) != len(kernel_sizes):
        raise CourseError(
            f"kernel_sizes 有 {len(kernel_sizes)} 个数，strides 却有 {len(strides)} 个：每层各一个。",
            f"kernel_sizes has {len(kernel_sizes)} numbers but strides has {len(strides)}: "
            "give one per layer.")
    field, step = 1, 1
    for kernel, stride in zip(kernel_sizes, strides):
        field += (kernel - 1) * step
        step *= stride
    return field


@dataclass(frozen=True)
class StackComparison:
    """n stacked 3x3 convolutions against the one conv that sees as far."""

    num_convs: int          # n
    kernel_size: int        # 2n + 1: the single conv with the same receptive field
    receptive_field: int    # equal for both, by construction
    stacked_params: int
    single_params: int
    stacked_macs: int       # on an input_size x input_size input (padding keeps the size)
    single_macs: int
    stacked_relus: int      # n nonlinearities ...
    single_relus: int       # ... against 1: the paper's second argument for 3x3

    @property
    def param_ratio(self) -> float:
        """stacked / single: below 1 when the stack is cheaper."""
        return self.stacked_params / self.single_params


def _conv_stack(kernel_sizes, in_channels: int, out_channels: int) -> nn.Sequential:
    """Size-preserving convs (padding k // 2), each followed by a ReLU."""
    layers: list[nn.Module] = []
    for k in kernel_sizes:
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=k, padding=k // 2), nn.ReLU()]
        in_channels = out_channels
    return nn.Sequential(*layers)


def _cost(net: nn.Module, in_channels: int, input_size: int) -> tuple[int, int]:
    table = layer_table(net, (1, in_channels, input_size, input_size))
    return sum(r.params for r in table), sum(r.macs for r in table)


def stack_vs_single(num_convs: int, channels: int, in_channels: int | None = None,
                    input_size: int = 56) -> StackComparison:
    """The lesson's claim, in numbers: ``num_convs`` 3x3 convs versus one
    ``(2 num_convs + 1)``-wide conv, both from ``in_channels`` (default: ``channels``)
    to ``channels``, same receptive field."""
    # check_arch words a missing conv or a 0-channel count (channels first, so that
    # channels=0 is not blamed on the in_channels it defaults to); no pooling here,
    # so any positive input size works and only that is left to check.
    num_convs, channels = _whole(num_convs, "num_convs", 3), _whole(channels, "channels", 64)
    check_arch([(num_convs, channels)])
    in_channels = channels if in_channels is None else _whole(in_channels, "in_channels", 64)
    check_arch([(num_convs, channels)], in_channels=in_channels)
    input_size = whole_number(input_size, "input_size", example=56)
    kernel = 2 * num_convs + 1
    with torch.device("meta"):
        stacked = _conv_stack([3] * num_convs, in_channels, channels)
        single = _conv_stack([kernel], in_channels, channels)
    stacked_params, stacked_macs = _cost(stacked, in_channels, input_size)
    single_params, single_macs = _cost(single, in_channels, input_size)
    return StackComparison(num_convs, kernel, receptive_field([3] * num_convs),
                           stacked_params, single_params,
                           stacked_macs, single_macs, num_convs, 1)


# ------------------------------------------------------------------ checking arguments


def _whole(value, name: str, example: int) -> int:
    """An int, any sign: the size (at least 1) is worded by ``check_arch``, which
    says *why* (a block with no convolution, a ratio that leaves 0 channels)."""
    return whole_number(value, name, minimum=-(2 ** 62), example=example)


def _positive_list(values, name: str, example: str) -> list[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        zh_what, en_what = describe(values)
        raise CourseError(f"{name} 必须是正整数的列表，例如 {example}；现在是 {zh_what}。",
                          f"{name} must be a list of positive whole numbers, such as {example}; "
                          f"got {en_what}.")
    return [whole_number(v, f"{name}[{i}]", example=int(example[1])) for i, v in enumerate(values)]
