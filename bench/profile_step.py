"""Where a training step's time goes: torch.profiler over a few steps of the lesson's
network (VGG-11 / 4) at each input size and precision, grouped by operator.

    python bench/profile_step.py --input-size 224 96 --precision fp32 bf16

Appends the tables to bench/results/profile-<date>.txt. Use it to explain a gap
between the bench's fraction of peak and the target: it says which operators
(convolution, matrix product, pooling, ReLU, copies between layouts) take the time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from course_utils.models import VGG11, scale_arch, vgg  # noqa: E402
from course_utils.train.fast_linear import choose_linear, fast_linears  # noqa: E402
from course_utils.train.memory import reuse_freed_memory  # noqa: E402
from course_utils.train.precision import autocast  # noqa: E402


def profile_steps(size: int, precision: str, batch: int, steps: int) -> str:
    """In fp32, the Linear path the trainer would choose (oneDNN where measured faster)."""
    torch.manual_seed(0)
    net = vgg(scale_arch(VGG11, 4), input_size=size).to(memory_format=torch.channels_last)
    onednn = precision == "fp32" and choose_linear(net, batch, torch.device("cpu")).fast
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    X = torch.rand(batch, 1, size, size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    cpu = torch.device("cpu")

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast(cpu, precision):
            loss = nn.functional.cross_entropy(net(X), y)
        loss.backward()
        opt.step()

    with reuse_freed_memory(), fast_linears(net, onednn):
        step()                                   # warm-up: kernel choice, allocations
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input-size", type=int, nargs="+", default=[224, 96])
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args(argv)
    out = REPO / "bench" / "results" / f"profile-{dt.date.today().isoformat()}.txt"
    for size in args.input_size:
        for precision in args.precision:
            head = (f"## input {size}, {precision}, batch {args.batch_size}, {args.steps} steps, "
                    f"{torch.get_num_threads()} threads, torch {torch.__version__}, "
                    "Linear as the trainer chooses")
            text = head + "\n" + profile_steps(size, precision, args.batch_size, args.steps)
            print(text, flush=True)
            with out.open("a") as f:
                f.write(text + "\n")
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
