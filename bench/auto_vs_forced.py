#!/usr/bin/env python
"""Does `auto` pick a format within 10% of the best forced one? Asked N times, uncached.

Each round: the trainer's own probe (``choose_precision``, no cache, the fp32 Linear path
the trainer would use) picks a format for cpu-quick's network and batch; then, apart from
the probe, training steps are timed in every format, interleaved, and the round passes when
the picked format's median step is within 10% of the fastest format's. Load average is
recorded before and after; results go to bench/results/auto-vs-forced-<date>.txt.

    .venv/bin/python bench/auto_vs_forced.py --rounds 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from course_utils.machine import cpu_info  # noqa: E402
from course_utils.train.fast_linear import choose_linear, fast_linears  # noqa: E402
from course_utils.train.precision import autocast, candidates, choose_precision  # noqa: E402
from course_utils.train.profiles import build_net, get_profile  # noqa: E402


def step_seconds(net, X, y, precision: str, device, onednn: bool, steps: int) -> float:
    """Median seconds of one SGD step, as the trainer takes it (channels-last)."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    with fast_linears(net, onednn and precision == "fp32"):
        for i in range(steps + 1):
            start = time.perf_counter()
            optimizer.zero_grad()
            with autocast(device, precision):
                loss = loss_fn(net(X), y)
            loss.backward()
            optimizer.step()
            if i:                                   # the first step warms up
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--profile", default="cpu-quick")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per format per turn")
    parser.add_argument("--turns", type=int, default=3, help="interleaved turns per format")
    args = parser.parse_args(argv)
    device = torch.device("cpu")
    p = get_profile(args.profile)
    torch.manual_seed(0)
    net = build_net(p).to(memory_format=torch.channels_last)
    shape = (p.batch_size, 1, p.input_size, p.input_size)
    X = torch.randn(shape).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (p.batch_size,))
    lines = [f"# auto vs forced, {args.profile}, {dt.datetime.now():%Y-%m-%d %H:%M}, "
             f"{cpu_info().describe()}, torch {torch.__version__}",
             f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    passed = 0
    for r in range(1, args.rounds + 1):
        linear = choose_linear(net, p.batch_size, device, use_cache=False)
        choice = choose_precision(net, shape, device, "auto", use_cache=False,
                                  fast_linear=linear.fast)
        timed = {f: [] for f in candidates(device)}
        for _ in range(args.turns):
            for f in timed:
                timed[f].append(step_seconds(net, X, y, f, device, linear.fast, args.steps))
        medians = {f: statistics.median(v) for f, v in timed.items()}
        best = min(medians, key=medians.get)
        ratio = medians[choice.precision] / medians[best]
        ok = ratio <= 1.10
        passed += ok
        lines.append(f"round {r}: auto chose {choice.precision} (probe {choice.seconds}); "
                     f"forced medians {({f: round(s * 1000, 1) for f, s in medians.items()})} ms; "
                     f"best {best}; chosen/best {ratio:.3f} {'ok' if ok else 'OVER 10%'}")
        print(lines[-1], flush=True)
    lines.append(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lines.append(f"within 10% of the best forced format: {passed} of {args.rounds}")
    print("\n".join(lines[-2:]))
    out = REPO / "bench" / "results" / f"auto-vs-forced-{dt.date.today()}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"saved {out}")
    return 0 if passed == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
