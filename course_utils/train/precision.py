"""Which number format to train in, chosen by timing real steps on this machine.

A CPU flag does not say what is fast: on one of the project's 2-core machines
(AMD EPYC, AVX512-BF16) bf16 training ran twice as fast as fp32; on another
(Intel Xeon, also AVX512-BF16, no AMX) 1.3x slower. So ``"auto"`` times a few
real training steps of the actual network, at the actual input size and batch,
in each format the device can use, keeps the fastest, and caches the decision per
machine, torch version, device, network and batch shape under
``~/.cache/vgg-course/`` (``$VGG_COURSE_CACHE`` elsewhere), so the next run
decides at once. The formats take turns step by step (fp32, bf16, fp32, bf16...),
so a slow spell of the machine slows them alike, and each is judged by its median
step; the spread of its steps is kept with the decision. A probe taken while the
machine was busy is used but not kept, and a kept one expires (see
``probe_cache``). The memory layout is not probed: channels-last was as fast or
faster in every case measured (fp32 and bf16, input 32 and 224).
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ..machine import cache_dir, cpu_info  # noqa: F401  (cache_dir: where the file is)
from ..messages import CourseError, pick
from . import probe_cache
from .device import memory_format, sync, to_device

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
# Another format must beat fp32 by this much to be chosen: fp32 is d2l's and the
# simplest numerics, so a gain inside the timing noise is not worth it.
MIN_GAIN = 0.10
PROBE_ROUNDS = 3         # timed steps per format at least, after one warm-up step each...
PROBE_SECONDS = 2.0      # ...and more rounds (up to PROBE_MAX_ROUNDS) until this much time
PROBE_MAX_ROUNDS = 15    # is timed, so that quick steps (small inputs) are not judged on noise
PROBE_MAX_BATCH = 1024   # the probe's batch is the real one, up to this
CACHE_FILE = "precision.json"


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
    seconds: dict = field(default_factory=dict)      # median seconds per step
    cached: bool = False
    probe_seconds: float = 0.0
    spread: dict = field(default_factory=dict)       # (slowest - fastest step) / median
    kept: bool = False                               # written to the cache

    def reason(self, lang: str | None = None) -> str:
        """E.g. ``fp32 (bf16 was 17% slower here)``, in the current language."""
        p = self.precision
        if self.requested != "auto":
            return pick(f"{p}（指定）", f"{p} (as asked)", lang)
        others = {k: v for k, v in self.seconds.items() if k != p}
        mine = self.seconds.get(p)
        if mine is None:
            # every format failed its probe: fp32 is the safe default, not a measured winner
            return pick(f"{p}（没有一种格式测得出速度，用默认的）",
                        f"{p} (no format could be timed here: the default)", lang)
        if not others:
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


def _stepper(net: nn.Module, shape, num_classes: int, device: torch.device, precision: str,
             fast_linear: bool = False):
    """A function running one SGD step of a copy of ``net`` in ``precision``; it
    returns the step's seconds. The first call (warm-up: kernel choice, caches) is
    made here and not timed. ``fast_linear``: the copy's Linear layers use oneDNN
    in fp32, as training will (see ``fast_linear``)."""
    fmt = memory_format(device)
    model = copy.deepcopy(net).to(device, memory_format=fmt).train()
    if fast_linear and precision == "fp32":
        from .fast_linear import swap_linears
        swap_linears(model)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    X = to_device(torch.rand(shape), device, fmt)
    y = torch.randint(0, num_classes, (shape[0],)).to(device)

    def step() -> float:
        sync(device)
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with autocast(device, precision):
            loss = nn.functional.cross_entropy(model(X), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        sync(device)
        elapsed = time.perf_counter() - start
        if not torch.isfinite(loss):
            raise FloatingPointError(f"{precision} gave a non-finite loss")
        return elapsed
    step()
    return step


def interleaved(measure, names: list[str]) -> tuple[dict, dict]:
    """Time ``measure(name)`` (seconds of one step) in turns: a, b, a, b...

    At least :data:`PROBE_ROUNDS` rounds, then more until :data:`PROBE_SECONDS`
    are timed (at most :data:`PROBE_MAX_ROUNDS`). A name whose measurement raises
    is dropped (``None``). Returns ``(median seconds, spread)`` per name.
    """
    times: dict = {n: [] for n in names}
    alive = list(names)
    timed = 0.0
    for round_ in range(PROBE_MAX_ROUNDS):
        if not alive or (round_ >= PROBE_ROUNDS and timed >= PROBE_SECONDS):
            break
        for name in list(alive):
            try:
                t = float(measure(name))
            except Exception:                  # e.g. autocast unsupported on this device
                alive.remove(name)
                times[name] = None
                continue
            times[name].append(t)
            timed += t
    seconds, spread = {}, {}
    for name, ts in times.items():
        if ts:
            seconds[name], spread[name] = probe_cache.median_and_spread(ts)
        else:
            seconds[name], spread[name] = None, None
    return seconds, spread


# ---------------------------------------------------------------- the cache


def _machine() -> str:
    return f"{cpu_info().key()} x{torch.get_num_threads()} torch threads"


def cache_key(net: nn.Module, shape, device: torch.device, fast_linear: bool = False) -> str:
    dev = (torch.cuda.get_device_name(device) if device.type == "cuda" else device.type)
    parts = [_machine(), torch.__version__, dev, repr(net), repr(tuple(shape))]
    if fast_linear:
        parts.append("fp32 Linear: oneDNN")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _read_cache(quiet: bool = False) -> dict:
    return probe_cache.read(CACHE_FILE, quiet)


def _usable_entry(hit, device: torch.device) -> bool:
    """A cached decision this device can use, with sane timings (a hand edit may not be)."""
    if not isinstance(hit, dict) or hit.get("precision") not in candidates(device):
        return False
    seconds = hit.get("seconds")
    if not isinstance(seconds, dict) or not probe_cache.stamped(hit):
        return False
    # the probe only keeps a decision it timed: the chosen format has a timing of its own
    if seconds.get(hit["precision"]) is None:
        return False
    for name, value in seconds.items():
        if name not in PRECISIONS[1:]:
            return False
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value <= 0):
            return False
    return True


def _write_cache(key: str, choice: PrecisionChoice) -> None:
    probe_cache.write(CACHE_FILE, key, {"precision": choice.precision, "seconds": choice.seconds,
                                        "spread": choice.spread})


# ---------------------------------------------------------------- the decision


def choose_precision(net: nn.Module, batch_shape, device: torch.device, requested="auto", *,
                     num_classes: int = 10, measure=None, use_cache: bool = True,
                     fast_linear: bool = False, announce=None) -> PrecisionChoice:
    """Resolve ``requested`` ("auto" or a format) for ``net`` on ``device``.

    ``batch_shape`` is one training batch's shape (B, C, H, W); the probe uses it
    (at most :data:`PROBE_MAX_BATCH`). ``measure(precision) -> seconds of one step``
    replaces the real timing (tests use it); the formats are measured in turns and
    one whose measurement raises is skipped as unusable. ``fast_linear``: fp32 is
    timed with the Linear layers training will use. ``announce()`` is called just
    before a real measurement starts (not when the cache answers), so that a slow
    probe is never silent. Training's random numbers are left as they were.
    """
    check_precision(requested)
    if requested != "auto":
        return PrecisionChoice(requested, requested=requested)
    shape = (min(batch_shape[0], PROBE_MAX_BATCH), *batch_shape[1:])
    key = cache_key(net, shape, device, fast_linear)
    if use_cache and measure is None:
        hit = _read_cache().get(key)
        if _usable_entry(hit, device) and not probe_cache.expired(hit):
            return PrecisionChoice(hit["precision"], seconds=hit.get("seconds", {}), cached=True,
                                   spread=hit.get("spread") or {})
        if hit is not None and not _usable_entry(hit, device):
            probe_cache.ignored(CACHE_FILE, "这台机器的记录不可用（被改过或已损坏）",
                                "this machine's entry is unusable: edited or damaged")
        elif hit is not None:
            probe_cache.ignored(CACHE_FILE, f"这台机器的记录已超过 {probe_cache.MAX_AGE_DAYS} 天",
                                f"this machine's entry is over {probe_cache.MAX_AGE_DAYS} "
                                "days old")

    real = measure is None
    if real:
        steppers = {}

        def measure(precision):
            if precision not in steppers:          # set up (and warm up) on first use
                steppers[precision] = _stepper(net, shape, num_classes, device, precision,
                                               fast_linear)
            return steppers[precision]()

    if real and announce is not None:
        announce()
    busy_before = probe_cache.machine_busy() if real else False
    start = time.perf_counter()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):   # the probe's random batches leave no trace
        from .memory import reuse_freed_memory
        with reuse_freed_memory(device.type == "cpu" and real):
            seconds, spread = interleaved(measure, candidates(device))
    usable = {k: v for k, v in seconds.items() if v is not None}
    best = "fp32"
    if usable:
        fastest = min(usable, key=usable.get)
        fp32 = usable.get("fp32")
        if fp32 is None or usable[fastest] * (1 + MIN_GAIN) < fp32:
            best = fastest
    choice = PrecisionChoice(best, seconds=seconds, probe_seconds=time.perf_counter() - start,
                             spread=spread)
    # not kept: a probe in which every format failed, or one skewed by other programs
    if use_cache and real and usable and not busy_before and not probe_cache.machine_busy():
        _write_cache(key, choice)
        choice.kept = True
    return choice
