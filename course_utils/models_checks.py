"""Input checks for :mod:`course_utils.models`: each mistake becomes one sentence.

The builders in ``models.py`` stay as short as the book's; these functions turn
a wrong ``conv_arch``, size or channel count into a :class:`CourseError` that
names the argument and says what to change, in Chinese and English.
"""

from __future__ import annotations

from .messages import CourseError, describe, whole_number


def check_block(num_convs, in_channels, out_channels) -> tuple[int, int, int]:
    """A block's three numbers as plain ints, or a :class:`CourseError`."""
    return (whole_number(num_convs, "num_convs", example=2),
            whole_number(in_channels, "in_channels", example=1),
            whole_number(out_channels, "out_channels", example=64))


_ARCH_EXAMPLE = ("VGG11 或 [(1, 64), (1, 128)]", "VGG11 or [(1, 64), (1, 128)]")


def as_arch(conv_arch) -> list[tuple[int, int]]:
    """``conv_arch`` as a list of ``(num_convs, out_channels)`` int pairs, or a
    :class:`CourseError` that names the block and says what it should look like.

    Only the types are checked here; :func:`check_arch` checks the values.
    """
    from .models import VGG_ARCHS   # the presets' names, for the hint below

    if isinstance(conv_arch, (str, bytes)) or not hasattr(conv_arch, "__iter__"):
        zh_what, en_what = describe(conv_arch)
        hint_zh = hint_en = ""
        if isinstance(conv_arch, str) and conv_arch.replace("-", "").upper() in {
                name.replace("-", "") for name in VGG_ARCHS}:
            name = conv_arch.replace("-", "").upper()
            hint_zh = f"要用预设的结构，请写变量名 {name}（不带引号，先 from course_utils.models import {name}）。"
            hint_en = (f" For the preset, write the variable {name} without quotes "
                       f"(from course_utils.models import {name}).")
        raise CourseError(
            f"conv_arch 必须是由 (卷积层数, 输出通道数) 组成的列表，例如 {_ARCH_EXAMPLE[0]}；"
            f"现在是 {zh_what}。{hint_zh}",
            f"conv_arch must be a list of (num_convs, out_channels) pairs, such as "
            f"{_ARCH_EXAMPLE[1]}; got {en_what}.{hint_en}")
    pairs = []
    for i, pair in enumerate(conv_arch, start=1):
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            zh_what, en_what = describe(pair)
            raise CourseError(
                f"conv_arch 的第 {i} 个块是 {zh_what}：每个块必须是两个整数 (卷积层数, 输出通道数)，"
                "例如 (1, 64)。",
                f"Block {i} of conv_arch is {en_what}: every block must be a pair of two whole "
                "numbers (num_convs, out_channels), such as (1, 64).")
        num_convs = whole_number_in_block(pair[0], i, "卷积层数", "number of convolutions", 1)
        out_channels = whole_number_in_block(pair[1], i, "输出通道数", "output channels", 64)
        pairs.append((num_convs, out_channels))
    return pairs


def whole_number_in_block(value, block: int, zh_name: str, en_name: str, example: int) -> int:
    """One number of a block, as an int (its size is checked by :func:`check_arch`)."""
    try:
        return whole_number(value, en_name, minimum=-(2 ** 62), example=example)
    except CourseError:
        zh_what, en_what = describe(value)
        raise CourseError(
            f"第 {block} 个块的{zh_name}必须是整数（int），例如 {example}；现在是 {zh_what}。",
            f"Block {block}: the {en_name} must be a whole number (int), such as {example}; "
            f"got {en_what}.") from None


def check_arch(conv_arch, input_size: int = 224, in_channels: int = 1,
               num_classes: int = 10):
    """Raise :class:`CourseError` (a ``ValueError``) if no network can be built.

    Returns the arguments as plain ints: ``(conv_arch, input_size, in_channels,
    num_classes)``, with ``224.0`` read as ``224``.
    """
    arch = as_arch(conv_arch)
    if len(arch) == 0:
        raise CourseError("conv_arch 是空的：至少需要一个 VGG 块。",
                          "conv_arch is empty: a VGG needs at least one block.")
    input_size = whole_number(input_size, "input_size", example=224)
    in_channels = whole_number(in_channels, "in_channels", example=1)
    num_classes = whole_number(num_classes, "num_classes", example=10)
    size = input_size
    for i, (num_convs, out_channels) in enumerate(arch, start=1):
        if num_convs < 1:
            raise CourseError(
                f"第 {i} 个块有 {num_convs} 个卷积层：每个块至少需要 1 个卷积层。",
                f"Block {i} has {num_convs} convolutions: every block needs at least 1.")
        if out_channels < 1:
            raise CourseError(
                f"第 {i} 个块的输出通道数是 {out_channels}：通道数至少为 1"
                "（缩小比例 ratio 太大时会变成 0，请调小 ratio）。",
                f"Block {i} has {out_channels} output channels: it needs at least 1 "
                "(a large ratio rounds channels down to 0; use a smaller ratio).")
        size //= 2
        if size < 1:
            raise CourseError(
                f"输入 {input_size}×{input_size} 太小：第 {i} 个块的输出会是 0×0。"
                f"{len(arch)} 个块至少需要 {2 ** len(arch)}×{2 ** len(arch)} 的输入，"
                "请增大输入尺寸或减少块数。",
                f"Input {input_size}x{input_size} is too small: block {i} would output 0x0. "
                f"{len(arch)} block{'s' if len(arch) > 1 else ''} need"
                f"{'' if len(arch) > 1 else 's'} an input of at least "
                f"{2 ** len(arch)}x{2 ** len(arch)}; use a larger input or fewer blocks.")
    return arch, input_size, in_channels, num_classes
