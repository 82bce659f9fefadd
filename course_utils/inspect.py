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


@dataclass(frozen=True)
class LayerRow:
    """One top-level layer of a network, seen on one input."""

    name: str                       # class name, as the seed's shape loop prints it
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
    """
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
            for child in net.children():
                macs_seen.clear()
                x = child(x)
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


def shape_lines(net: nn.Module, input_shape=(1, 1, 224, 224)) -> list[str]:
    """The lines the seed's shape check prints, without running it on real data."""
    return [f"{row.name} output shape:\t {torch.Size(row.output_shape)}"
            for row in layer_table(net, input_shape)]


def print_shapes(net: nn.Module, input_shape=(1, 1, 224, 224)) -> None:
    """Print the seed's shape check for ``net``, line for line."""
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
