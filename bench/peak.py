"""The machine's limit per number format: the best matrix product this torch can run.

torch reaches a CPU's matrix units through more than one library, and which is
faster depends on the CPU: ``torch.mm`` calls the BLAS (MKL in the official
wheels), while oneDNN, also inside torch, has its own matmul. The peak of a
format is the best of them (2048 x 2048 x 2048, best of a few runs, torch's
thread count), printed beside the theoretical figure (cores x clock x FLOP per
cycle from the CPU's flags, see ``course_utils.machine.theoretical_gflops``).
A training run in bf16 is to be compared with the bf16 peak, one in fp32 with
the fp32 peak.

    python bench/peak.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from course_utils.machine import cpu_info, theoretical_gflops  # noqa: E402

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def _paths(device: torch.device) -> dict:
    """name -> prepare(a, b) returning a function computing a @ b by that path."""
    paths = {"torch.mm": lambda a, b: (lambda: torch.mm(a, b))}
    if device.type == "cpu" and torch.backends.mkldnn.is_available():
        def onednn(a, b):
            bt = b.t().contiguous()            # oneDNN's linear computes a @ bt.T
            return lambda: torch.ops.mkldnn._linear_pointwise(a, bt, None, "none", [], "")

        def mkldnn_tensors(a, b):
            am, bt = a.to_mkldnn(), b.t().contiguous().to_mkldnn()
            return lambda: torch._C._nn.mkldnn_linear(am, bt, None)
        paths["oneDNN matmul"] = onednn
        paths["oneDNN (mkldnn tensors)"] = mkldnn_tensors
    return paths


def _best_seconds(run, device: torch.device, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats + 1):               # the first run is warm-up
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def measure_peaks(device: torch.device, n: int = 2048, repeats: int = 5) -> dict:
    """``{format: {"paths": {path: GFLOP/s or nan}, "best": GFLOP/s, "path": name}}``."""
    out = {}
    gen = torch.Generator().manual_seed(0)
    for fmt, dtype in DTYPES.items():
        a = torch.randn(n, n, generator=gen).to(device, dtype)
        b = torch.randn(n, n, generator=gen).to(device, dtype)
        speeds = {}
        for name, prepare in _paths(device).items():
            try:
                speeds[name] = 2 * n**3 / _best_seconds(prepare(a, b), device, repeats) / 1e9
            except (RuntimeError, AttributeError, TypeError):
                speeds[name] = float("nan")         # this path does not exist in this torch
        usable = {k: v for k, v in speeds.items() if v == v}
        path = max(usable, key=usable.get) if usable else None
        out[fmt] = {"paths": speeds, "best": usable[path] if path else float("nan"),
                    "path": path}
    return out


def theoretical(device: torch.device) -> dict:
    """The CPU's theoretical GFLOP/s per format (``None`` where unknown, and on a GPU)."""
    if device.type != "cpu":
        return {"fp32": None, "bf16": None, "clock_mhz": None, "clock": "not a CPU"}
    return theoretical_gflops()


def fmt_gflops(value) -> str:
    return "unknown" if value is None or value != value else f"{value:.0f} GFLOP/s"


def peak_lines(peaks: dict, theory: dict, n: int = 2048, repeats: int = 5) -> list[str]:
    """Lines for a results file: per format, the best path, the others, the theory."""
    lines = [f"peak (GEMM {n}x{n}, best of {repeats} per path, torch threads "
             f"{torch.get_num_threads()}):"]
    for fmt, p in peaks.items():
        others = ", ".join(f"{k} {fmt_gflops(v)}" for k, v in p["paths"].items())
        t = theory.get(fmt)
        of = f", {p['best'] / t:.0%} of it" if t and p["best"] == p["best"] else ""
        if t and p["best"] > t:
            of += " (above it: the cores run faster than the clock used, e.g. boosting)"
        lines.append(f"  {fmt}: {fmt_gflops(p['best'])} ({p['path'] or 'no path'}); "
                     f"paths: {others}; theoretical {fmt_gflops(t)}{of}")
    clock = theory.get("clock_mhz")
    lines.append(f"  theoretical = cores x clock x FLOP/cycle from the CPU flags; clock "
                 f"{f'{clock:.0f} MHz' if clock else 'unknown'} ({theory.get('clock')})")
    return lines


def main(argv=None) -> int:
    device = torch.device(argv[0] if argv else "cpu")
    print(f"{cpu_info().describe()}, torch {torch.__version__}")
    print("\n".join(peak_lines(measure_peaks(device), theoretical(device))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
