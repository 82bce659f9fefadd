"""What each layer of a network does to its input: shape, parameters, compute.

This is the one place in the course that computes shapes, parameter counts and
MACs (multiply-accumulates); the notebooks' tables, the explorers and the
figures all read it. It runs a real forward pass with hooks, so it agrees with
the network by construction. Build the network under ``torch.device("meta")``
and the pass costs no memory and almost no time, which keeps sliders snappy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .messages import CourseError, describe, whole_number


@dataclass(frozen=True)
class LayerRow:
    """One top-level layer of a network, seen on one input."""

    name: str                       # class name, as the book's shape loop prints it
    output_shape: tuple[int, ...]   # (B, C, H, W) or (B, features)
    params: int                     # trainable numbers in this layer
    macs: int                       # multiply-accumulates of one forward pass
    activations: int                # numbers in the output (x4 bytes in fp32)

    def as_dict(self) -> dict:
        return {"name": self.name, "output_shape": self.output_shape, "params": self.params,
                "macs": self.macs, "activations": self.activations}


def _leaf_macs(module: nn.Module, inputs, output) -> int:
    """MACs of one leaf layer, counted the usual way (convolutions and linears)."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def layer_table(net: nn.Module, input_shape=(1, 1, 224, 224)) -> list[LayerRow]:
    """One :class:`LayerRow` per top-level child of ``net`` for an input of ``input_shape``.

    Works on real networks and on ones built under ``torch.device("meta")``.
    A wrong argument, or an input the network cannot take (3 channels into a
    1-channel net, an image too small for its blocks), is a :class:`CourseError`.
    """
    if not isinstance(net, nn.Module):
        zh_what, en_what = describe(net)
        raise CourseError(f"net 必须是一个网络（nn.Module，例如 vgg(VGG11)），现在是 {zh_what}。",
                          f"net must be a network (an nn.Module, such as vgg(VGG11)); "
                          f"got {en_what}.")
    input_shape = _as_shape(input_shape)
    _check_channels(net, input_shape)
    param = next(net.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    macs_seen: list[int] = []

    def count(module, inputs, output):
        macs_seen.append(_leaf_macs(module, inputs, output))

    leaves = [m for m in net.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    was_training = net.training
    rows = []
    try:
        net.eval()
        with torch.no_grad():
            x = torch.zeros(input_shape, device=device, dtype=dtype)
            for i, child in enumerate(net.children(), start=1):
                macs_seen.clear()
                try:
                    x = child(x)
                except RuntimeError as err:   # torch's own words, under one sentence of ours
                    reason = str(err).splitlines()[0]
                    raise CourseError(
                        f"形状为 {tuple(input_shape)} 的输入走不通这个网络：第 {i} 层"
                        f"（{child.__class__.__name__}）出错了（{reason}）。"
                        "请检查输入的通道数和尺寸是否与网络相符。",
                        f"An input of shape {tuple(input_shape)} does not fit this network: "
                        f"layer {i} ({child.__class__.__name__}) fails ({reason}). Check that "
                        "the input's channels and size match the network.") from None
                rows.append(LayerRow(
                    name=child.__class__.__name__,
                    output_shape=tuple(x.shape),
                    params=sum(p.numel() for p in child.parameters()),
                    macs=sum(macs_seen),
                    activations=x.numel()))
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    return rows


def _as_shape(input_shape) -> tuple[int, ...]:
    """``(batch, channels, height, width)`` (any length) as positive ints."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__") \
            or len(input_shape) < 1:
        zh_what, en_what = describe(input_shape)
        raise CourseError(
            f"input_shape 必须是形状，例如 (1, 1, 224, 224)（批量、通道、高、宽）；现在是 {zh_what}。",
            f"input_shape must be a shape such as (1, 1, 224, 224) (batch, channels, height, "
            f"width); got {en_what}.")
    return tuple(whole_number(n, f"input_shape[{i}]", example=(1, 1, 224, 224)[min(i, 3)])
                 for i, n in enumerate(input_shape))


def _check_channels(net: nn.Module, input_shape: tuple[int, ...]) -> None:
    """Name the commonest mismatch before torch does: the first conv's input channels."""
    first = next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)
    if first is None or len(input_shape) != 4 or input_shape[1] == first.in_channels:
        return
    raise CourseError(
        f"这个网络的第一个卷积层要 {first.in_channels} 个输入通道，input_shape {input_shape} "
        f"却给了 {input_shape[1]} 个：请把第二个数改成 {first.in_channels}，"
        "或用 vgg(..., in_channels=...) 重新构建网络。",
        f"This network's first convolution takes {first.in_channels} input channel"
        f"{'s' if first.in_channels != 1 else ''}, but input_shape {input_shape} gives "
        f"{input_shape[1]}: make the second number {first.in_channels}, or build the network "
        "with vgg(..., in_channels=...).")


def shape_lines(net: nn.Module, input_shape=(1, 1, 224, 224)) -> list[str]:
    """The lines the book's shape check prints, without running it on real data."""
    return [f"{row.name} output shape:\t {torch.Size(row.output_shape)}"
            for row in layer_table(net, input_shape)]


def print_shapes(net: nn.Module, input_shape=(1, 1, 224, 224)) -> None:
    """Print the book's shape check for ``net``, line for line."""
    for line in shape_lines(net, input_shape):
        print(line)


def shape_text(shape, sep: str = "×") -> str:
    """``(256, 28, 28)`` -> ``'256×28×28'``: a tensor shape for people."""
    return sep.join(str(n) for n in shape)


def human(n: float, unit: str = "") -> str:
    """``132863336`` -> ``'132.9 M'``, ``7.609e9`` -> ``'7.61 G'``: numbers for people."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            value = n / factor
            return f"{value:.{2 if abs(value) < 10 else 1}f} {prefix}{unit}"
    return f"{n:g} {unit}".rstrip()
