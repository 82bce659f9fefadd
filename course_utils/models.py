"""The VGG family as data plus one builder.

A VGG is a ``conv_arch``: one ``(num_convs, out_channels)`` pair per block. The
paper's configurations A, B, D and E are VGG-11, -13, -16 and -19; the book (d2l)
uses VGG-11. ``vgg()`` is the book's function with one change: the size of
the first fully connected layer is computed from the input size and the number
of blocks instead of the book's hard-coded ``7 * 7``, which only fits five
blocks on a 224x224 input.
"""

from __future__ import annotations

from typing import Sequence

from torch import nn

from .messages import whole_number
# What the builders check before building (a sentence, not a torch error) lives
# beside them, so vgg_block and vgg below read as the book writes them.
from .models_checks import as_arch, check_arch, check_block, whole_number_in_block  # noqa: F401

ConvArch = Sequence[tuple[int, int]]

# (num_convs, out_channels) per block; Simonyan & Zisserman 2014, Table 1.
VGG11: tuple[tuple[int, int], ...] = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))  # A
VGG13: tuple[tuple[int, int], ...] = ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512))  # B
VGG16: tuple[tuple[int, int], ...] = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))  # D
VGG19: tuple[tuple[int, int], ...] = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))  # E
VGG_ARCHS = {"VGG-11": VGG11, "VGG-13": VGG13, "VGG-16": VGG16, "VGG-19": VGG19}

HIDDEN = 4096  # width of the two hidden fully connected layers, as in the paper


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` x (3x3 conv, padding 1, ReLU), then a 2x2 max-pool, stride 2."""
    num_convs, in_channels, out_channels = check_block(num_convs, in_channels, out_channels)
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch: ConvArch, in_channels: int = 1, num_classes: int = 10,
        input_size: int = 224) -> nn.Sequential:
    """The lesson's VGG: blocks from ``conv_arch``, then three fully connected layers.

    Every argument is checked first (types and values), so a mistake is one
    sentence naming the argument, never a torch error from deep inside.
    """
    conv_arch, input_size, in_channels, num_classes = check_arch(
        conv_arch, input_size, in_channels, num_classes)
    conv_blks = []
    for num_convs, out_channels in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    side = feature_size(input_size, len(conv_arch))
    return nn.Sequential(
        *conv_blks, nn.Flatten(),
        nn.Linear(out_channels * side * side, HIDDEN), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(HIDDEN, num_classes))


def feature_size(input_size: int, num_blocks: int) -> int:
    """Height (= width) after ``num_blocks`` blocks: each pool halves it, rounding down."""
    size = input_size
    for _ in range(num_blocks):
        size //= 2
    return size


def scale_arch(conv_arch: ConvArch, ratio: int) -> list[tuple[int, int]]:
    """Divide every block's channels by ``ratio`` (rounding down), as the book does."""
    arch = as_arch(conv_arch)
    ratio = whole_number(ratio, "ratio", example=4)
    return [(num_convs, out_channels // ratio) for num_convs, out_channels in arch]


def num_params(net: nn.Module) -> int:
    """Number of trainable numbers in ``net``."""
    return sum(p.numel() for p in net.parameters())


def alexnet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """d2l's AlexNet for 224x224 inputs: the network VGG was measured against."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, num_classes))
