"""Which number format to train in, chosen by timing real steps on this machine.

A CPU flag does not say what is fast: on one of the project's 2-core machines
(AMD EPYC, AVX512-BF16) bf16 training ran twice as fast as fp32; on another
(Intel Xeon, also AVX512-BF16, no AMX) 1.3x slower. So ``"auto"`` times a few
real training steps of the actual network, at the actual input size, in each
format the device can use, keeps the fastest, and caches the decision per
machine, torch version, device, network and batch shape under
``~/.cache/vgg-course/`` (``$VGG_COURSE_CACHE`` elsewhere), so the next run
decides at once. The memory layout is not probed: channels-last was as fast or
faster in every case measured (fp32 and bf16, input 32 and 224).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ..machine import cache_dir, cpu_info
from ..messages import CourseError, pick
from .device import memory_format, sync, to_device

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
# Another format must beat fp32 by this much to be chosen: fp32 is d2l's and the
# simplest numerics, so a gain inside the timing noise is not worth it.
MIN_GAIN = 0.10
PROBE_STEPS = 3          # timed steps per format at least, after one warm-up step...
PROBE_SECONDS = 0.3      # ...and more (up to PROBE_MAX_STEPS) until this much time is timed,
PROBE_MAX_STEPS = 15     # so that quick steps (small inputs) are not judged on noise
PROBE_MAX_BATCH = 32     # the probe's batch: small enough to cost ~2 s at input 224


def check_precision(precision) -> str:
    if precision not in PRECISIONS:
        raise CourseError(f"precision 只能是 {PRECISIONS} 之一，现在是 {precision!r}。",
                          f"precision must be one of {PRECISIONS}, got {precision!r}.")
    return precision


def autocast(device: torch.device, precision: str):
    """Mixed precision for ``bf16``/``fp16``; a no-op context for ``fp32``."""
    return torch.autocast(device.type, dtype=DTYPES.get(precision, torch.float32),
                          enabled=precision in DTYPES)


def candidates(device: torch.device) -> list[str]:
    """The formats worth timing on ``device``, fp32 first."""
    if device.type == "cuda":
        # Ampere (8.0) and newer compute in bf16; older cards (T4, V100) only emulate
        # it but have fast fp16 (which needs loss scaling).
        return ["fp32", "bf16" if torch.cuda.get_device_capability(device)[0] >= 8 else "fp16"]
    if device.type == "cpu":
        return ["fp32", "bf16"]
    return ["fp32", "fp16"]          # mps: fp16 where this torch's autocast supports it


@dataclass
class PrecisionChoice:
    """What was chosen and why; ``seconds`` per probe step (``None``: unusable here)."""

    precision: str
    requested: str = "auto"
    seconds: dict = field(default_factory=dict)
    cached: bool = False
    probe_seconds: float = 0.0

    def reason(self, lang: str | None = None) -> str:
        """E.g. ``fp32 (bf16 was 17% slower here)``, in the current language."""
        p = self.precision
        if self.requested != "auto":
            return pick(f"{p}（指定）", f"{p} (as asked)", lang)
        others = {k: v for k, v in self.seconds.items() if k != p}
        mine = self.seconds.get(p)
        if not others or mine is None:
            return pick(f"{p}（这台设备只能用它）", f"{p} (the only one this device can use)", lang)
        name, t = min(others.items(), key=lambda kv: float("inf") if kv[1] is None else kv[1])
        if t is None:
            zh, en = f"{name} 在这里用不了", f"{name} is not usable here"
        elif t >= mine * (1 + MIN_GAIN):
            # the chosen one won clearly: say how much faster it is than the other
            x = t / mine
            zh, en = (f"速度是 {name} 的 {x:.1f} 倍" if x >= 2 else f"{name} 在本机上慢 "
                      f"{round((x - 1) * 100)}%"), (f"{x:.1f}× as fast as {name} here" if x >= 2
                                                    else f"{name} was {round((x - 1) * 100)}% "
                                                    "slower here")
        elif t >= mine:
            pct = round((t / mine - 1) * 100)
            zh, en = f"{name} 在本机上慢 {pct}%", f"{name} was {pct}% slower here"
        else:
            pct = round((mine / t - 1) * 100)
            zh, en = (f"{name} 只快 {pct}%，不值得换",
                      f"{name} was only {pct}% faster: not worth the change")
        if self.cached:
            zh, en = "此前实测：" + zh, en + ", measured earlier"
        return pick(f"{p}（{zh}）", f"{p} ({en})", lang)


def _time_steps(net: nn.Module, shape, num_classes: int, device: torch.device,
                precision: str, steps: int = PROBE_STEPS) -> float:
    """Seconds per SGD step of a copy of ``net`` in ``precision`` (best of ``steps``)."""
    from .memory import reuse_freed_memory

    fmt = memory_format(device)
    model = copy.deepcopy(net).to(device, memory_format=fmt).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    X = to_device(torch.rand(shape), device, fmt)
    y = torch.randint(0, num_classes, (shape[0],)).to(device)
    best, timed = float("inf"), 0.0
    with reuse_freed_memory(device.type == "cpu"):
        for i in range(PROBE_MAX_STEPS + 1):
            if i > steps and timed >= PROBE_SECONDS:
                break
            sync(device)
            start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with autocast(device, precision):
                loss = nn.functional.cross_entropy(model(X), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sync(device)
            if i:                          # the first step is warm-up (kernel choice, caches)
                elapsed = time.perf_counter() - start
                best, timed = min(best, elapsed), timed + elapsed
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{precision} gave a non-finite loss")
    return best


# ---------------------------------------------------------------- the cache


def _machine() -> str:
    return f"{cpu_info().key()} x{torch.get_num_threads()} torch threads"


def cache_key(net: nn.Module, shape, device: torch.device) -> str:
    dev = (torch.cuda.get_device_name(device) if device.type == "cuda" else device.type)
    parts = [_machine(), torch.__version__, dev, repr(net), repr(tuple(shape))]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _ignored(why_zh: str, why_en: str) -> None:
    path = cache_dir() / "precision.json"
    print(pick(f"提示：忽略 {path}（{why_zh}），重新测量。",
               f"Note: ignoring {path} ({why_en}); measuring again."),
          file=sys.stderr, flush=True)


def _read_cache(quiet: bool = False) -> dict:
    """The cache's entries; a damaged or hand-edited file counts as empty (and is said)."""
    try:
        text = (cache_dir() / "precision.json").read_text()
    except OSError:
        return {}
    try:
        entries = json.loads(text)
    except ValueError:
        entries = None
    if not isinstance(entries, dict):
        if not quiet:
            _ignored("文件已损坏，不是一个 JSON 对象", "damaged: not a JSON object")
        return {}
    return entries


def _usable_entry(hit, device: torch.device) -> bool:
    """A cached decision this device can use, with sane timings (a hand edit may not be)."""
    if not isinstance(hit, dict) or hit.get("precision") not in candidates(device):
        return False
    seconds = hit.get("seconds", {})
    if not isinstance(seconds, dict):
        return False
    for name, value in seconds.items():
        if name not in PRECISIONS[1:]:
            return False
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value <= 0):
            return False
    return True


def _write_cache(key: str, choice: PrecisionChoice) -> None:
    entries = _read_cache(quiet=True)
    entries[key] = {"precision": choice.precision, "seconds": choice.seconds,
                    "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        tmp = cache_dir() / f"precision.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(entries, indent=1))
        os.replace(tmp, cache_dir() / "precision.json")
    except OSError:
        pass                                # a read-only home only costs a probe next time


# ---------------------------------------------------------------- the decision


def choose_precision(net: nn.Module, batch_shape, device: torch.device, requested="auto", *,
                     num_classes: int = 10, measure=None, use_cache: bool = True
                     ) -> PrecisionChoice:
    """Resolve ``requested`` ("auto" or a format) for ``net`` on ``device``.

    ``batch_shape`` is one training batch's shape (B, C, H, W); the probe uses at
    most :data:`PROBE_MAX_BATCH` of it. ``measure(precision) -> seconds per step``
    replaces the real timing (tests use it); a format whose measurement raises is
    skipped as unusable. Training's random numbers are left as they were.
    """
    check_precision(requested)
    if requested != "auto":
        return PrecisionChoice(requested, requested=requested)
    shape = (min(batch_shape[0], PROBE_MAX_BATCH), *batch_shape[1:])
    key = cache_key(net, shape, device)
    if use_cache and measure is None:
        hit = _read_cache().get(key)
        if _usable_entry(hit, device):
            return PrecisionChoice(hit["precision"], seconds=hit.get("seconds", {}), cached=True)
        if hit is not None:
            _ignored("这台机器的记录不可用（被改过或已损坏）", "this machine's entry is unusable: "
                     "edited or damaged")

    def real(precision):
        return _time_steps(net, shape, num_classes, device, precision)

    measure = measure or real
    start = time.perf_counter()
    seconds = {}
    with torch.random.fork_rng(devices=[]):   # the probe's random batches leave no trace
        for precision in candidates(device):
            try:
                seconds[precision] = float(measure(precision))
            except Exception:                  # e.g. autocast unsupported on this device
                seconds[precision] = None
    usable = {k: v for k, v in seconds.items() if v is not None}
    best = "fp32"
    if usable:
        fastest = min(usable, key=usable.get)
        fp32 = usable.get("fp32")
        if fp32 is None or usable[fastest] * (1 + MIN_GAIN) < fp32:
            best = fastest
    choice = PrecisionChoice(best, seconds=seconds, probe_seconds=time.perf_counter() - start)
    if use_cache and measure is real and usable:
        _write_cache(key, choice)         # a probe in which every format failed is not kept
    return choice
