"""Fully connected layers in fp32 through oneDNN, where measuring says it is faster.

torch computes ``nn.Linear`` on a CPU with its BLAS library (MKL in the official
wheels). On some CPUs that path leaves much of the machine unused: on this
project's AMD EPYC (Zen 5) MKL reached ~48 GFLOP/s for the 128 x 4096 x 4096
product of VGG's fully connected layers where oneDNN, which torch also ships,
reached ~100-120. At input 32 those layers are two thirds of a training step.

Which library is faster is measured, never guessed from the vendor: a few
forward + backward passes of the network's own Linear shapes at the real batch,
the two paths in turns, medians compared. oneDNN is used only when it is more
than :data:`MIN_GAIN` faster; the decision is cached like the precision probe's
(see ``probe_cache``). The swap changes only the class of each ``nn.Linear``:
its parameters, ``state_dict`` keys and ``repr`` stay the same, so checkpoints
load either way. GPUs, other formats (autocast, bf16 weights) and a torch
without oneDNN keep ``nn.Linear``'s own computation.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..messages import pick
from . import probe_cache

MIN_GAIN = 0.05          # oneDNN must be this much faster, or nn.Linear stays
CACHE_FILE = "fast_linear.json"


def _onednn_mm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
    """``x @ weight.T + bias`` by oneDNN's matmul (2-D ``x``)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


@functools.lru_cache(maxsize=1)
def onednn_available() -> bool:
    """Whether this torch has oneDNN's matmul and it gives the right answer."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        x, w, b = torch.ones(2, 3), torch.ones(4, 3), torch.ones(4)
        return bool(torch.equal(_onednn_mm(x, w, b), torch.full((2, 4), 4.0)))
    except (AttributeError, RuntimeError):
        return False


class _OneDNNLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _onednn_mm(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _onednn_mm(grad, weight.t(), None)          # grad @ weight
        if ctx.needs_input_grad[1]:
            grad_w = _onednn_mm(grad.t(), x.t(), None)           # grad.T @ x
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum(0)
        return grad_x, grad_w, grad_b


def _fast_path_applies(x: torch.Tensor, weight: torch.Tensor) -> bool:
    return (x.device.type == "cpu" and x.dtype == torch.float32
            and weight.dtype == torch.float32 and not torch.is_autocast_enabled("cpu")
            and onednn_available())


class FastLinear(nn.Linear):
    """``nn.Linear`` whose fp32 CPU forward and backward go through oneDNN."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _fast_path_applies(x, self.weight):
            return super().forward(x)
        flat = x.reshape(-1, self.in_features)
        out = _OneDNNLinear.apply(flat, self.weight, self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)

    def _get_name(self) -> str:
        return "Linear"                 # the same repr: cache keys and printouts unchanged


def swap_linears(net: nn.Module) -> list[nn.Module]:
    """Make every plain ``nn.Linear`` in ``net`` a :class:`FastLinear`, in place.
    Returns the layers changed (for :func:`restore_linears`)."""
    changed = [m for m in net.modules() if type(m) is nn.Linear]
    for m in changed:
        m.__class__ = FastLinear
    return changed


def restore_linears(layers) -> None:
    for m in layers:
        if type(m) is FastLinear:
            m.__class__ = nn.Linear


@contextlib.contextmanager
def fast_linears(net: nn.Module, enabled: bool = True):
    """``net``'s Linear layers use oneDNN inside the block, and are plain again after."""
    changed = swap_linears(net) if enabled else []
    try:
        yield
    finally:
        restore_linears(changed)


# ---------------------------------------------------------------- the decision


@dataclass
class LinearChoice:
    """Whether the fp32 Linear layers use oneDNN, and the measured times (seconds)."""

    fast: bool
    torch_seconds: float | None = None
    onednn_seconds: float | None = None
    cached: bool = False
    kept: bool = False
    why_not: str = ""                      # "device", "unavailable", "no-linear" or ""

    @property
    def speedup(self) -> float | None:
        if self.torch_seconds and self.onednn_seconds:
            return self.torch_seconds / self.onednn_seconds
        return None

    def reason(self, lang: str | None = None) -> str:
        """One phrase for the trainer's set-up line ('' when there is nothing to say)."""
        if self.why_not in ("device", "no-linear"):
            return ""
        if self.why_not == "unavailable":
            return pick("全连接层：torch 默认（没有 oneDNN）",
                        "Linear: torch's own (no oneDNN here)", lang)
        x = self.speedup
        if self.fast:
            return pick(f"全连接层：oneDNN（比 torch 默认快 {x:.1f} 倍）",
                        f"Linear: oneDNN ({x:.1f}× torch's own here)", lang)
        return pick("全连接层：torch 默认（oneDNN 在本机上不更快）",
                    "Linear: torch's own (oneDNN was not faster here)", lang)


def linear_shapes(net: nn.Module) -> list[tuple[int, int]]:
    """``(in_features, out_features)`` of each plain Linear layer, in order."""
    return [(m.in_features, m.out_features) for m in net.modules() if type(m) is nn.Linear]


def _timer(shapes, batch: int, fast: bool):
    """A function timing one forward + backward of every layer shape (first call untimed)."""
    gen = torch.Generator().manual_seed(0)
    layers = [nn.Linear(i, o) for i, o in shapes]
    if fast:
        for layer in layers:
            layer.__class__ = FastLinear
    inputs = [torch.randn(batch, i, generator=gen, requires_grad=True) for i, _ in shapes]
    # a real gradient: .sum()'s would be a stride-0 view, which some BLAS paths treat apart
    grads = [torch.randn(batch, o, generator=gen) for _, o in shapes]

    def run() -> float:
        start = time.perf_counter()
        for layer, x, g in zip(layers, inputs, grads):
            layer(x).backward(g)
        elapsed = time.perf_counter() - start
        for layer, x in zip(layers, inputs):
            layer.zero_grad(set_to_none=True)
            x.grad = None
        return elapsed
    run()
    return run


ROUNDS = 3               # timed passes per path at least (as the precision probe)...
SECONDS = 1.0            # ...and more (up to MAX_ROUNDS) until this much time is timed
MAX_ROUNDS = 20


def cache_key(shapes, batch: int) -> str:
    from .precision import _machine
    parts = [_machine(), torch.__version__, repr(shapes), str(batch)]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _measure(shapes, batch: int) -> tuple[float, float]:
    """Median seconds of the torch path and the oneDNN path, timed in turns."""
    runs = {"torch": _timer(shapes, batch, False), "onednn": _timer(shapes, batch, True)}
    times = {"torch": [], "onednn": []}
    timed = 0.0
    for round_ in range(MAX_ROUNDS):
        if round_ >= ROUNDS and timed >= SECONDS:
            break
        for name, run in runs.items():
            t = run()
            times[name].append(t)
            timed += t
    return (probe_cache.median_and_spread(times["torch"])[0],
            probe_cache.median_and_spread(times["onednn"])[0])


def choose_linear(net: nn.Module, batch: int, device: torch.device, *, measure=None,
                  use_cache: bool = True, announce=None) -> LinearChoice:
    """Whether ``net``'s Linear layers train faster through oneDNN here, in fp32.

    ``measure(shapes, batch) -> (torch seconds, oneDNN seconds)`` replaces the
    real timing (tests use it). ``announce()`` is called just before a real
    measurement (not when the cache answers).
    """
    if device.type != "cpu":
        return LinearChoice(False, why_not="device")
    shapes = linear_shapes(net)
    if not shapes:
        return LinearChoice(False, why_not="no-linear")
    if not onednn_available():
        return LinearChoice(False, why_not="unavailable")
    key = cache_key(shapes, batch)
    real = measure is None
    if use_cache and real:
        hit = probe_cache.read(CACHE_FILE).get(key)
        if _usable(hit) and not probe_cache.expired(hit):
            return LinearChoice(hit["fast"], hit["torch"], hit["onednn"], cached=True)
    if real and announce is not None:
        announce()
    busy_before = probe_cache.machine_busy() if real else False
    with torch.random.fork_rng(devices=[]):
        t_torch, t_onednn = (measure or _measure)(shapes, batch)
    choice = LinearChoice(t_onednn * (1 + MIN_GAIN) < t_torch, t_torch, t_onednn)
    if use_cache and real and not busy_before and not probe_cache.machine_busy():
        probe_cache.write(CACHE_FILE, key, {"fast": choice.fast, "torch": t_torch,
                                            "onednn": t_onednn})
        choice.kept = True
    return choice


def _usable(hit) -> bool:
    if not isinstance(hit, dict) or not isinstance(hit.get("fast"), bool):
        return False
    return all(isinstance(hit.get(k), (int, float)) and not isinstance(hit.get(k), bool)
               and math.isfinite(hit[k]) and hit[k] > 0 for k in ("torch", "onednn"))
