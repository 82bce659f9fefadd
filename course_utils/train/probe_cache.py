"""Where decisions measured on this machine are kept, and when they are not.

The precision probe and the fully connected layers' probe time real work and
keep the winner in a JSON file under :func:`course_utils.machine.cache_dir`,
keyed by everything the timing depends on (the CPU from ``cpu_info().key()``,
torch's version and thread count, the shapes). The rules are the same for both:

* a timing taken while other programs kept the CPU busy is used for this run
  but not kept: it would decide every later run on a skewed measurement;
* a kept decision expires after :data:`MAX_AGE_DAYS` (drivers, BIOS and
  libraries move under a fixed torch version), and then is measured again.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

from ..machine import cache_dir, cpu_info
from ..messages import pick

MAX_AGE_DAYS = 30


def machine_busy() -> bool:
    """Whether the 1-minute load average is above half the physical cores this process
    may use (torch trains with one thread per core)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):          # Windows: no load average, assume quiet
        return False
    return load > cpu_info().cores / 2


def stamped(entry: dict) -> bool:
    """Whether the entry carries a real timestamp (a hand edit may leave text or nothing)."""
    stamp = entry.get("time")
    return (not isinstance(stamp, bool) and isinstance(stamp, (int, float))
            and math.isfinite(stamp))


def expired(entry: dict, now: float | None = None) -> bool:
    """Older than :data:`MAX_AGE_DAYS`, or without a usable timestamp."""
    if not stamped(entry):
        return True
    stamp = entry["time"]
    age = (time.time() if now is None else now) - stamp
    return age < 0 or age > MAX_AGE_DAYS * 86400


def ignored(name: str, why_zh: str, why_en: str) -> None:
    path = cache_dir() / name
    print(pick(f"提示：忽略 {path}（{why_zh}），重新测量。",
               f"Note: ignoring {path} ({why_en}); measuring again."),
          file=sys.stderr, flush=True)


def read(name: str, quiet: bool = False) -> dict:
    """The file's entries; a damaged or hand-edited file counts as empty (and is said)."""
    try:
        raw = (cache_dir() / name).read_bytes()
    except OSError:
        return {}
    try:
        entries = json.loads(raw)          # bytes that are not UTF-8 raise a ValueError too
    except ValueError:
        entries = None
    if not isinstance(entries, dict):
        if not quiet:
            ignored(name, "文件已损坏，不是一个 JSON 对象", "damaged: not a JSON object")
        return {}
    return entries


def write(name: str, key: str, entry: dict) -> None:
    """Add ``entry`` (stamped with the time) under ``key``, atomically."""
    entries = read(name, quiet=True)
    entries[key] = {**entry, "time": time.time(), "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        tmp = cache_dir() / f"{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(entries, indent=1))
        os.replace(tmp, cache_dir() / name)
    except OSError:
        pass                                # a read-only home only costs a probe next time


def median_and_spread(times: list[float]) -> tuple[float, float]:
    """The median, and (max - min) / median: how far apart the steps were."""
    ordered = sorted(times)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return mid, (ordered[-1] - ordered[0]) / mid if mid > 0 else 0.0
