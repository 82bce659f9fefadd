"""What this computer is: the one place that reads the CPU's description.

Caches, speed tables and the bench all need to say which machine a number
belongs to. A model name alone is too vague for that ("AMD EPYC" covers several
generations whose speeds differ by 2x), so :func:`cpu_info` also keeps the
family, model number, stepping, microcode and instruction-set flags where the
system tells them: Linux's ``/proc/cpuinfo`` in full, macOS's ``sysctl`` in
part, elsewhere only what :mod:`platform` knows. Nothing here raises: a field
the system does not give is ``None`` (or empty).
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
CPUFREQ_MAX = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")


def cache_dir() -> Path:
    """Where the course keeps what it measured or fetched: ``$VGG_COURSE_CACHE``,
    else ``~/.cache/vgg-course``. Not created here."""
    return Path(os.environ.get("VGG_COURSE_CACHE") or Path.home() / ".cache" / "vgg-course")


@dataclass(frozen=True)
class CPU:
    """One CPU model as the operating system describes it."""

    name: str
    vendor: str | None = None
    family: str | None = None
    model: str | None = None
    stepping: str | None = None
    microcode: str | None = None
    flags: frozenset = field(default_factory=frozenset)
    cores: int = 1                 # physical cores this process may use
    logical: int = 1               # logical CPUs (hardware threads) it may use
    mhz: float | None = None       # what the system reports now (a VM: often the base clock)
    max_mhz: float | None = None   # cpufreq's maximum, where the kernel exposes it

    def flags_hash(self) -> str:
        return hashlib.sha1(" ".join(sorted(self.flags)).encode()).hexdigest()[:12]

    def key(self) -> str:
        """Everything that tells two CPUs' speeds apart, in one line (for cache keys)."""
        return (f"{platform.system()} {self.name} | family {self.family} model {self.model} "
                f"stepping {self.stepping} | microcode {self.microcode} | "
                f"flags {self.flags_hash()} | {self.cores} cores {self.logical} threads")

    def describe(self) -> str:
        """E.g. ``AMD EPYC (family 26 model 2), 2 cores`` for a results file."""
        ident = f" (family {self.family} model {self.model})" if self.family else ""
        return f"{self.name}{ident}, {self.cores} cores"


def _usable_cpus() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def parse_cpuinfo(text: str, usable: set[int] | None = None, max_mhz: float | None = None) -> CPU:
    """A :class:`CPU` from the text of Linux's ``/proc/cpuinfo``.

    Only the processors in ``usable`` (this process's affinity) are counted;
    physical cores are distinct (physical id, core id) pairs, so SMT siblings
    count once.
    """
    blocks = [b for b in text.split("\n\n") if b.strip()]
    procs = []
    for block in blocks:
        entry = {}
        for line in block.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                entry[k.strip()] = v.strip()
        procs.append(entry)

    def index(p):
        try:
            return int(p.get("processor", -1))
        except ValueError:
            return -1
    mine = [p for p in procs if usable is None or index(p) in usable] or procs
    first = mine[0] if mine else {}
    cores = {(p.get("physical id"), p.get("core id")) for p in mine
             if p.get("core id") is not None}
    try:
        mhz = float(first["cpu MHz"])
    except (KeyError, ValueError):
        mhz = None
    # ARM kernels write "Features" and "CPU part" instead of x86's names
    flags = first.get("flags") or first.get("Features") or ""
    return CPU(name=first.get("model name") or first.get("Hardware") or platform.machine(),
               vendor=first.get("vendor_id") or first.get("CPU implementer"),
               family=first.get("cpu family") or first.get("CPU architecture"),
               model=first.get("model") or first.get("CPU part"),
               stepping=first.get("stepping") or first.get("CPU revision"),
               microcode=first.get("microcode"), flags=frozenset(flags.split()),
               cores=len(cores) or len(mine) or 1, logical=len(mine) or 1,
               mhz=mhz, max_mhz=max_mhz)


def _sysctl(name: str) -> str | None:
    try:
        out = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _int(text, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _mac() -> CPU:
    logical = _int(_sysctl("hw.logicalcpu"), os.cpu_count() or 1)
    features = " ".join(filter(None, (_sysctl("machdep.cpu.features"),
                                      _sysctl("machdep.cpu.leaf7_features"))))
    hz = _int(_sysctl("hw.cpufrequency_max"), 0)
    return CPU(name=_sysctl("machdep.cpu.brand_string") or platform.processor() or "Apple",
               vendor=_sysctl("machdep.cpu.vendor"), family=_sysctl("machdep.cpu.family"),
               model=_sysctl("machdep.cpu.model"), stepping=_sysctl("machdep.cpu.stepping"),
               microcode=_sysctl("machdep.cpu.microcode_version"),
               flags=frozenset(features.lower().replace(".", "_").split()),
               cores=_int(_sysctl("hw.physicalcpu"), logical), logical=logical,
               max_mhz=hz / 1e6 if hz else None)


@functools.lru_cache(maxsize=1)
def cpu_info() -> CPU:
    """This machine's CPU, read once per process."""
    if platform.system() == "Darwin":
        return _mac()
    try:
        text = CPUINFO.read_text(errors="ignore")
    except OSError:
        n = os.cpu_count() or 1
        return CPU(name=platform.processor() or platform.machine() or "unknown CPU",
                   cores=n, logical=n)
    try:
        max_mhz = int(CPUFREQ_MAX.read_text()) / 1000
    except (OSError, ValueError):
        max_mhz = None
    return parse_cpuinfo(text, _usable_cpus(), max_mhz)


def cpu_name() -> str:
    """The model name alone, e.g. ``AMD EPYC`` (for people, not for cache keys)."""
    return cpu_info().name


# ---------------------------------------------------------------- the theoretical limit


def flops_per_cycle(cpu: CPU) -> dict:
    """Floating-point operations one core can start per clock cycle, per format, as
    far as the instruction-set flags tell (``None``: they do not tell).

    Assumes two FMA units per core (an FMA counts as 2 operations): with AVX-512,
    2 x 16 fp32 lanes x 2 = 64; with AVX2 + FMA, 32; with AVX alone (no FMA), 16.
    AMD's first AVX-512 cores (Zen 4, family 25) split each 512-bit operation in
    two 256-bit halves: 32. ``avx512_bf16`` doubles the fp32 figure for bf16
    (two bf16 products per fp32 lane); Intel's AMX tiles do 1024 bf16 operations
    per cycle. Some cores (a few Xeon and laptop models) have a single AVX-512
    FMA unit: the figure is then twice too high, which the flags cannot show.
    """
    f = cpu.flags
    fp32 = None
    if "avx512f" in f:
        fp32 = 32 if (cpu.vendor == "AuthenticAMD" and cpu.family == "25") else 64
    elif "avx2" in f and "fma" in f:
        fp32 = 32
    elif "avx" in f:
        fp32 = 16
    bf16 = None
    if "amx_bf16" in f:
        bf16 = 1024
    elif "avx512_bf16" in f and fp32:
        bf16 = 2 * fp32
    return {"fp32": fp32, "bf16": bf16}


def theoretical_gflops(cpu: CPU | None = None) -> dict:
    """``{"fp32": GFLOP/s or None, "bf16": ..., "clock_mhz": ..., "clock": how known}``:
    cores x clock x :func:`flops_per_cycle`. The clock is cpufreq's maximum where
    the kernel gives it, else the one reported now (a VM's is often the base
    clock: the real limit may be higher while boosting)."""
    cpu = cpu or cpu_info()
    mhz = cpu.max_mhz or cpu.mhz
    how = "cpufreq max" if cpu.max_mhz else ("reported now" if cpu.mhz else "unknown")
    out = {"clock_mhz": mhz, "clock": how}
    for name, per_cycle in flops_per_cycle(cpu).items():
        out[name] = cpu.cores * mhz / 1000 * per_cycle if (per_cycle and mhz) else None
    return out
