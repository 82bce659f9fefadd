"""Time d2l's own loader + ``train_ch6`` against ours, same work.

Both sides train the same network (the lesson's VGG-11, channels / ``--ratio``)
from the same seed, with the same learning rate, on the same number of training
batches of the same size, then test on the same number of test batches.

* d2l's side is d2l as it ships: ``d2l.load_data_fashion_mnist`` (PIL resize in
  ``num_workers=4`` worker processes, whatever the machine has) and
  ``d2l.train_ch6`` (fp32, default memory layout). d2l 1.0.3's loader has no
  ``root`` argument: it reads ``../data``, so we run it from a temporary folder
  whose ``../data`` is laid out by ``prepare_torchvision_root`` (no download).
* our side is ``course_utils.data.load_data_fashion_mnist`` (in memory) and
  ``course_utils.train.train_ch6`` (channels-last; in fp32 on a CPU, the Linear
  layers through oneDNN where that measured faster), once per ``--precision``
  (default: ``auto``, which times fp32 and bf16 and keeps the faster, then fp32
  and bf16 forced), so an fp32-vs-fp32 row is always there.

A ratio to d2l moves with the CPU and with the load; how close each side gets to
the machine's own limit does not. So the bench also measures the machine's peak
per number format (``bench/peak.py``: the best GEMM GFLOP/s over torch's paths,
MKL's and oneDNN's, 2048x2048, the same thread count, beside the theoretical
figure from the CPU's flags) and the FLOPs of one training example (forward +
backward, counted by ``torch.utils.flop_counter.FlopCounterMode``), and reports
every steady speed as a fraction of the peak of the format it trained in (fp32
runs against the fp32 peak, bf16 runs against the bf16 peak).

Every d2l run is a fresh Python process (this script, ``--d2l-child``): our
trainer changes glibc's allocator settings for the whole process (see
``course_utils.train.memory``), and glibc cannot go back to its dynamic
defaults afterwards, so a d2l run in our process would not be d2l as shipped.

Three speeds per side, in training examples per second:

* steady: wall time per training batch once running (the first ``--warmup``
  batches, worker start-up and first-call set-up left out), data loading included,
  d2l's Animator redraws left out (ours draws nothing with ``live=False``; the
  seconds left out are printed with each d2l run as ``animator_s``);
* compute: each trainer's own figure (d2l's leaves data loading out; so does ours);
* end-to-end: from building the loaders to the end of testing, start-up included.

    python bench/bench_vs_d2l.py --input-size 224 96 --batches 12 --repeat 2 --readme
    python bench/bench_vs_d2l.py --input-size 32 --batches 6 --test-batches 1   # a quick check
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import torch  # noqa: E402

from course_utils.machine import cpu_info  # noqa: E402
from course_utils.data import load_data_fashion_mnist, prepare_torchvision_root  # noqa: E402
from course_utils.models import VGG11, scale_arch, vgg  # noqa: E402
from course_utils.train import train_ch6, try_gpu  # noqa: E402
from course_utils.train.memory import reuse_freed_memory  # noqa: E402
from peak import fmt_gflops, measure_peaks, peak_lines, theoretical  # noqa: E402, F401

D2L_MIN_BATCHES = 5    # d2l.train_ch6 computes i % (num_batches // 5): fewer batches divide by 0
README_START, README_END = "<!-- perf:start -->", "<!-- perf:end -->"


class TimedLoader:
    """The first ``limit`` batches of a loader, with the time each one was handed over.

    ``stamps[i]`` is when batch ``i`` was yielded; ``end`` is when the trainer
    asked for the batch after the last, i.e. when it finished the last step.
    No clock read here waits for the GPU: a wait inside ``next()`` would be
    counted as data loading, which both trainers leave out of their own compute
    figure, and would flatter whichever side queues more work. Both trainers
    read their loss back every few batches, so the queue stays short anyway.
    """

    def __init__(self, loader, limit: int, device: torch.device, record: bool = True):
        self.loader, self.limit, self.device, self.record = loader, limit, device, record
        self.stamps: list[float] = []
        self.end: float | None = None

    def __len__(self) -> int:
        return min(self.limit, len(self.loader))

    def _now(self) -> float:
        return time.perf_counter()

    def __iter__(self):
        inner = iter(self.loader)
        try:
            for _ in range(len(self)):
                batch = next(inner)
                if self.record:
                    self.stamps.append(self._now())
                yield batch
            if self.record:
                self.end = self._now()
        finally:
            del inner          # stops d2l's worker processes now, not at garbage collection

    def steady_seconds_per_batch(self, warmup: int, excluded=()) -> float:
        """Mean wall time per batch after the first ``warmup`` batches, less the
        ``(start, end)`` spans in ``excluded`` that fall inside that window."""
        warmup = min(warmup, len(self.stamps) - 1)
        start = self.stamps[warmup]
        left_out = sum(max(0.0, min(e, self.end) - max(s, start)) for s, e in excluded)
        return (self.end - start - left_out) / (len(self.stamps) - warmup)


def build_net(ratio: int, input_size: int, seed: int):
    torch.manual_seed(seed)
    return vgg(scale_arch(VGG11, ratio), input_size=input_size)


@contextlib.contextmanager
def _timed_animator(d2l, spans: list):
    """Record when d2l's Animator redraws: ours draws nothing in the bench."""
    original = d2l.Animator.add

    def add(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spans.append((start, time.perf_counter()))
    d2l.Animator.add = add
    try:
        yield
    finally:
        d2l.Animator.add = original


def run_d2l(args, size: int, device: torch.device, data_root: Path) -> dict:
    """d2l's side in this process; the bench calls it through :func:`run_d2l_fresh`."""
    from d2l import torch as d2l

    workdir = data_root.parent / "work"        # d2l reads ../data from here
    workdir.mkdir(exist_ok=True)
    here = os.getcwd()
    out = io.StringIO()
    os.chdir(workdir)
    try:
        start = time.perf_counter()
        train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size, resize=size)
        train = TimedLoader(train_iter, args.batches, device)
        test = TimedLoader(test_iter, args.test_batches, device, record=False)
        net = build_net(args.ratio, size, args.seed)
        spans: list = []
        with contextlib.redirect_stdout(out), _timed_animator(d2l, spans):
            d2l.train_ch6(net, train, test, 1, args.lr, device)
        wall = time.perf_counter() - start
    finally:
        os.chdir(here)
    printed = out.getvalue()
    match = re.search(r"([\d.]+) examples/sec on", printed)
    summary = [line for line in printed.splitlines() if line.startswith("loss ")]
    in_window = [(s, e) for s, e in spans if s >= train.stamps[min(args.warmup,
                                                                  len(train.stamps) - 1)]
                 and e <= train.end]
    return {"steady": args.batch_size / train.steady_seconds_per_batch(args.warmup, in_window),
            "compute": float(match.group(1)) if match else float("nan"),
            "end_to_end": len(train) * args.batch_size / wall, "wall": wall,
            "summary": summary[-1] if summary else "", "precision": "fp32",  # d2l: no autocast
            "animator_s": round(sum(e - s for s, e in in_window), 4), "pid": os.getpid()}


D2L_RESULT = "D2L_RESULT "


def run_d2l_fresh(args, size: int, device: torch.device, data_root: Path) -> dict:
    """:func:`run_d2l` in a new Python process, so that no allocator setting, heap or
    thread pool of an earlier run (ours or d2l's) carries over."""
    spec = {"args": vars(args), "size": size, "device": str(device),
            "data_root": str(data_root)}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--d2l-child",
                           json.dumps(spec)], capture_output=True, text=True, cwd=REPO)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(D2L_RESULT):
            return json.loads(line[len(D2L_RESULT):])
    raise RuntimeError(f"the d2l run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def _d2l_child(spec_json: str) -> int:
    spec = json.loads(spec_json)
    args = argparse.Namespace(**spec["args"])
    with _no_windows():
        result = run_d2l(args, spec["size"], torch.device(spec["device"]),
                         Path(spec["data_root"]))
    print(D2L_RESULT + json.dumps(result), flush=True)
    return 0


def run_ours(args, size: int, device: torch.device, precision: str) -> dict:
    out = io.StringIO()
    start = time.perf_counter()
    train_iter, test_iter = load_data_fashion_mnist(args.batch_size, resize=size, device=device,
                                                    seed=args.seed)
    train = TimedLoader(train_iter, args.batches, device)
    test = TimedLoader(test_iter, args.test_batches, device, record=False)
    net = build_net(args.ratio, size, args.seed)
    with contextlib.redirect_stdout(out):
        history = train_ch6(net, train, test, 1, args.lr, device, precision=precision,
                            live=False)
    wall = time.perf_counter() - start
    return {"steady": args.batch_size / train.steady_seconds_per_batch(args.warmup),
            "compute": history.examples_per_sec,
            "end_to_end": len(train) * args.batch_size / wall, "wall": wall,
            "summary": history.summary[0], "precision": history.precision}


# ---------------------------------------------------------------- the machine's limit


def flops_per_example(args, size: int) -> float:
    """FLOPs of one training example (forward + backward), counted, not estimated."""
    from torch.utils.flop_counter import FlopCounterMode

    net = build_net(args.ratio, size, args.seed)
    X = torch.randn(2, 1, size, size)
    with FlopCounterMode(display=False) as counter:
        loss = torch.nn.functional.cross_entropy(net(X), torch.tensor([0, 1]))
        loss.backward()
    return counter.get_total_flops() / 2


def best(runs: list[dict]) -> dict:
    """Each speed's best over repeated runs."""
    out = {key: max(r[key] for r in runs) for key in ("steady", "compute", "end_to_end")}
    out["precision"] = "/".join(sorted({r["precision"] for r in runs}))
    return out


def machine_info(device: torch.device) -> dict:
    cpu = cpu_info()
    info = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "cpu": cpu.name,
            "cpu id": f"family {cpu.family} model {cpu.model} stepping {cpu.stepping}, "
                      f"microcode {cpu.microcode}",
            "cores": cpu.cores, "torch threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    with contextlib.suppress(Exception):
        import d2l
        info["d2l"] = d2l.__version__
    return info


def load_note(before: bool = True) -> str:
    """The 1-minute load average against the core count: other work skews timings.

    Only the load *before* the runs says whether other work shared the CPU; the load
    after them is mostly the bench's own (d2l's 4 workers, then our 2 threads).
    """
    if not hasattr(os, "getloadavg"):
        return "load average: unknown"
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if not before:
        return f"load average {load:.2f} on {cores} cores (mostly the bench's own processes)"
    busy = (" (BUSY: other processes share the CPU, timings are pessimistic and noisy)"
            if load > 0.5 * cores else " (quiet)")
    return f"load average {load:.2f} on {cores} cores{busy}"


MEASURES = {"steady": "steady (data included, start-up excluded)",
            "compute": "compute only (d2l's figure)",
            "end_to_end": "end-to-end (start-up included)"}


def table(rows: list[dict]) -> list[str]:
    """Ours (one column per precision) against d2l (fp32), every measure."""
    precisions = [p for p in rows[0] if p.startswith("ours ")]
    head = " | ".join(f"{p} (ex/s) | ÷ d2l" for p in precisions)
    lines = [f"| input | batches | measure | d2l fp32 (ex/s) | {head} |",
             "|---|---|---|---" + "|---|---" * len(precisions) + "|"]
    for row in rows:
        for key, name in MEASURES.items():
            d = row["d2l"][key]
            cells = " | ".join(f"{row[p][key]:.1f} | {row[p][key] / d:.2f}×" for p in precisions)
            lines.append(f"| {row['size']} | {row['batches']} | {name} | {d:.1f} | {cells} |")
    return lines


def matching_peak(precision: str, peak: dict) -> float:
    """The measured peak of the format a run trained in ("bf16/fp32" when ``auto``
    chose differently across repeats: the higher of the two, not to flatter it)."""
    values = [peak[p]["best"] for p in precision.split("/") if p in peak]
    values = [v for v in values if v == v]
    return max(values) if values else float("nan")


def peak_table(rows: list[dict], peak: dict) -> list[str]:
    """Steady speed as achieved GFLOP/s and as a fraction of its own format's peak."""
    lines = ["| input | GFLOP per example | side | precision used | steady ex/s | GFLOP/s | "
             "of peak (same format) |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        for side, r in ((k, v) for k, v in row.items() if k == "d2l" or k.startswith("ours ")):
            achieved = r["steady"] * row["flops"] / 1e9
            top = matching_peak(r["precision"], peak)
            share = f"{achieved / top:.0%}" if top == top else "unknown"
            lines.append(f"| {row['size']} | {row['flops'] / 1e9:.2f} | {side} | "
                         f"{r['precision']} | {r['steady']:.1f} | {achieved:.0f} | "
                         f"{share} |")
    return lines


def peak_summary(peak: dict, theory: dict) -> str:
    """``fp32 424 GFLOP/s (oneDNN matmul; theoretical 332), bf16 ...`` in one line."""
    def one(fmt):
        p, t = peak[fmt], theory.get(fmt)
        return (f"{fmt} {p['best']:.0f} GFLOP/s ({p['path']}; theoretical "
                f"{f'{t:.0f}' if t else 'unknown'})")
    return ", ".join(one(fmt) for fmt in peak)


def update_readme(readme: Path, block: str) -> None:
    """Replace what lies between the perf markers, and nothing else."""
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:start] + "\n" + block.strip() + "\n" + text[end:])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input-size", type=int, nargs="+", default=[224, 96],
                        help="input sizes to time (default: 224 96)")
    parser.add_argument("--batches", type=int, default=24,
                        help=f"training batches per run (at least {D2L_MIN_BATCHES})")
    parser.add_argument("--test-batches", type=int, default=2, help="test batches per run")
    parser.add_argument("--warmup", type=int, default=2,
                        help="batches left out of the steady-state time")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--ratio", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="default: try_gpu()")
    parser.add_argument("--precision", nargs="+", default=["auto", "fp32", "bf16"],
                        help="ours, one run each: auto, bf16, fp16, fp32 (default: auto fp32 bf16)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each side this many times, alternating, and keep each "
                             "side's best (a busy machine only ever slows a run down)")
    parser.add_argument("--skip-d2l", action="store_true", help="time ours only")
    parser.add_argument("--out", default=None,
                        help="results file, appended to (default: "
                             "bench/results/<cpu|gpu>-<date>.txt)")
    parser.add_argument("--readme", action="store_true",
                        help="also write the table into README.md between the perf markers")
    args = parser.parse_args(argv)
    if args.batches < D2L_MIN_BATCHES and not args.skip_d2l:
        parser.error(f"--batches must be at least {D2L_MIN_BATCHES}: d2l.train_ch6 divides "
                     "by num_batches // 5")
    if args.warmup >= args.batches:
        parser.error("--warmup must be smaller than --batches")
    return args


@contextlib.contextmanager
def _no_windows():
    """d2l draws its Animator figure: never open a window, and leave no trace after."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def main(argv=None) -> int:
    with _no_windows():
        return _main(argv)


def _main(argv=None) -> int:
    args = parse_args(argv)
    device = try_gpu() if args.device is None else torch.device(args.device)
    info = machine_info(device)
    kind = "gpu" if device.type == "cuda" else "cpu"
    out_path = Path(args.out) if args.out else (
        REPO / "bench" / "results" / f"{kind}-{dt.date.today().isoformat()}.txt")
    lines = [f"# bench_vs_d2l: {' '.join(sys.argv[1:]) or '(defaults)'}"]
    lines += [f"{k}: {v}" for k, v in info.items()]
    lines.append(f"ours: precision {' / '.join(args.precision)}, channels-last, data in memory, "
                 "fp32 Linear through oneDNN where measured faster (each run's set-up line "
                 "says); "
                 "d2l: fp32, NCHW, PIL resize in num_workers=4 processes (as shipped), "
                 "each run in a fresh process, Animator redraws left out of steady")
    lines.append(f"batch size {args.batch_size}, ratio {args.ratio}, lr {args.lr}, "
                 f"{args.batches} training + {args.test_batches} test batches, "
                 f"steady state after {args.warmup} warm-up batches, "
                 f"best of {args.repeat} run(s) per side")
    before = load_note()
    lines.append("before: " + before)
    with reuse_freed_memory(device.type == "cpu"):
        peak = measure_peaks(device)
    theory = theoretical(device)
    lines += peak_lines(peak, theory)
    info["peak"] = peak_summary(peak, theory)
    flops = {size: flops_per_example(args, size) for size in args.input_size}
    lines.append("FLOPs per training example (forward + backward, FlopCounterMode): " + ", ".join(
        f"{size}: {f / 1e9:.2f} G" for size, f in flops.items()))
    print("\n".join(lines), flush=True)

    # Every d2l run is a fresh process (run_d2l_fresh): ours changes glibc's allocator
    # for the whole process (see reuse_freed_memory), which would change d2l's speed.
    sides = (["d2l"] if not args.skip_d2l else []) + [f"ours {p}" for p in args.precision]
    runs = {(side, size): [] for side in sides for size in args.input_size}
    with tempfile.TemporaryDirectory(prefix="bench-d2l-") as tmp:
        if not args.skip_d2l:
            data_root = prepare_torchvision_root(Path(tmp) / "data")
            for _ in range(args.repeat):
                for size in args.input_size:
                    runs["d2l", size].append(run_d2l_fresh(args, size, device, data_root))
                    print(f"input {size}: d2l  {runs['d2l', size][-1]}", flush=True)
    for _ in range(args.repeat):
        for size in args.input_size:
            for precision in args.precision:
                side = f"ours {precision}"
                runs[side, size].append(run_ours(args, size, device, precision))
                print(f"input {size}: {side} {runs[side, size][-1]}", flush=True)
    rows = [{"size": size, "batches": args.batches, "flops": flops[size],
             **{side: best(runs[side, size]) for side in sides}}
            for size in args.input_size]
    lines.append("after: " + load_note(before=False))
    info["load"] = f"before: {before}; {lines[-1]}"
    if not args.skip_d2l:
        lines += [""] + table(rows)
    lines += [""] + peak_table(rows, peak)
    text = "\n".join(lines) + "\n"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("a") as f:             # a day's runs pile up in one file, newest last
        f.write(("\n" if f.tell() else "") + text)
    print(text)
    print(f"saved {out_path}")
    if args.readme and not args.skip_d2l:
        update_readme(REPO / "README.md", readme_block(info, args, rows, peak))
        print("README.md updated between the perf markers")
    return 0


def readme_block(info: dict, args, rows: list[dict], peak: dict) -> str:
    sizes = " ".join(str(r["size"]) for r in rows)
    precisions = " ".join(args.precision)
    return "\n".join([
        "## Performance / 性能",
        "",
        "`course_utils.train.train_ch6` against d2l's own `load_data_fashion_mnist` + "
        "`train_ch6`, same network (VGG-11 / 4), same batches, one process, written by the "
        "bench itself. 同一网络、同样的批次，对比 d2l 原版数据加载与训练函数；下表由基准脚本生成。",
        "",
        f"- Machine / 机器: {info['cpu']}, {info['cores']} cores, torch {info['torch']}, "
        f"{info['date']}.",
        f"- Load / 负载: {info['load']}.",
        "- Precision / 精度: d2l trains in fp32 (NCHW); ours in each of: " + precisions
        + " (channels-last; `auto` times fp32 and bf16 on this machine and keeps the faster).",
        f"- Peak / 峰值: {info['peak']} (GEMM 2048×2048, best of torch's MKL and oneDNN "
        "paths, same threads; theoretical = cores × clock × FLOP/cycle from the CPU flags). "
        "Each run's fraction of peak is against its own format's peak. "
        "每次运行按其数值格式的峰值计算占比。",
        "",
        "```bash",
        f".venv/bin/python bench/bench_vs_d2l.py --input-size {sizes} --batches {args.batches}"
        + (f" --repeat {args.repeat}" if args.repeat > 1 else "") + " --readme",
        "```",
        "",
        *table(rows),
        "",
        *peak_table(rows, peak),
        "",
        "Steady = wall time per batch once running, data loading included. Compute = each "
        "trainer's own figure, data loading left out (d2l's `examples/sec`). End-to-end "
        "includes start-up (loading, d2l's worker processes). 稳态 = 启动后每批的实际耗时"
        "（含读数据）；计算 = 各自训练函数报告的速度（不含读数据）；端到端含启动时间。"
        "Ratios move with the CPU and the load; the fraction of peak is the figure to compare "
        "across machines. 与 d2l 的倍数随 CPU 和负载变化；占峰值的比例才可以跨机器比较。",
    ])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--d2l-child":
        sys.exit(_d2l_child(sys.argv[2]))
    sys.exit(main())
