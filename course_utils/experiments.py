"""Small experiments a student runs to see, not just read, what the lessons claim.

Each experiment trains two or three narrow VGGs side by side on the same slice of
Fashion-MNIST, with the same seed, data order and number format, so that the one
thing changed (input size, kernel size, initialisation, seed) is the only
difference. A narrow VGG is VGG-11's layout with channels / 8 and a 256-wide head:
each run then takes seconds to tens of seconds on a laptop CPU, not an hour.

What a run reports is measured here, never typed: test accuracy, the loss after
every batch, parameters and seconds. :func:`show_runs` draws the curves and prints a
table in the lesson's language.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn

from .messages import get_lang, pick
from .models import VGG11, feature_size, num_params, vgg_block


@dataclass(frozen=True)
class Slice:
    """How much data and training one experiment run gets."""

    train: int          # first N training images
    test: int           # first N test images
    epochs: int
    batch_size: int = 128
    lr: float = 0.05
    ratio: int = 8      # VGG-11's channels divided by this
    hidden: int = 256   # width of the two hidden fully connected layers


# About a minute per experiment on two CPU cores; CI (COURSE_PROFILE=smoke) only checks
# that every cell runs, on a slice that takes seconds.
CLASS_SLICE = Slice(train=10240, test=2000, epochs=3)
SMOKE_SLICE = Slice(train=512, test=256, epochs=1)


def current_slice() -> Slice:
    from .train.profiles import choose_profile
    return SMOKE_SLICE if choose_profile() == "smoke" else CLASS_SLICE


def describe_slice(s: Slice | None = None, lang: str | None = None) -> str:
    """One line saying what every run below gets, for the lesson to print."""
    s = s or current_slice()
    return pick(f"每次运行：训练集前 {s.train:,} 张图，{s.epochs} 轮，批量 {s.batch_size}，学习率 {s.lr}，"
                f"通道数除以 {s.ratio}，全连接层宽 {s.hidden}；测试集前 {s.test:,} 张图。",
                f"Every run: the first {s.train:,} training images, {s.epochs} epochs, batch "
                f"{s.batch_size}, lr {s.lr}, channels / {s.ratio}, a {s.hidden}-wide head; "
                f"tested on the first {s.test:,} test images.", lang)


def block_5x5(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """One 5x5 convolution where a VGG block has ``num_convs`` 3x3 ones: the receptive
    field of two 3x3 layers with one ReLU instead of two."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=5, padding=2),
                         nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2))


def narrow_vgg(input_size: int, conv_arch=VGG11, *, ratio: int = 8, hidden: int = 256,
               block=vgg_block) -> nn.Sequential:
    """VGG-11's layout, channels / ``ratio``, a ``hidden``-wide head."""
    layers, in_channels = [], 1
    for num_convs, out_channels in conv_arch:
        out_channels = max(1, out_channels // ratio)
        layers.append(block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    side = feature_size(input_size, len(conv_arch))
    return nn.Sequential(*layers, nn.Flatten(),
                         nn.Linear(in_channels * side * side, hidden), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(hidden, 10))


@dataclass
class Run:
    """One trained network and what it did."""

    label: str
    net: nn.Module
    input_size: int
    losses: list[float] = field(default_factory=list)   # training loss after every batch
    test_acc: float = float("nan")
    seconds: float = 0.0

    @property
    def params(self) -> int:
        return num_params(self.net)


def _init(net: nn.Module, init: str) -> None:
    """The trainer's own initialisation, biases re-drawn too so that the seed decides all."""
    from .train.loop import init_weights

    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            m.reset_parameters()
    init_weights(net, init)


def _data(s: Slice, input_size: int):
    """The slice as the trainer's loaders (same subsets and shuffling as a profile)."""
    from .train.profiles import Profile, profile_data

    return profile_data(Profile("experiment", ratio=s.ratio, input_size=input_size, lr=s.lr,
                                num_epochs=s.epochs, batch_size=s.batch_size, init="kaiming",
                                train_subset=s.train, test_subset=s.test))


def train_run(label: str, net: nn.Module, input_size: int, s: Slice | None = None, *,
              init: str = "kaiming", seed: int = 0) -> Run:
    """Train ``net`` on the slice with plain SGD in fp32 (the book's optimizer), the loss
    recorded after every batch, then measure test accuracy. Same seed, same data order:
    two runs differ only in what the caller changed."""
    s = s or current_slice()
    train, test = _data(s, input_size)
    run = Run(label, net, input_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=s.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    # The seed sets the weights and dropout; the notebook's own random state is left alone.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _init(net, init)
        # channels-last: the CPU's fast convolution layout (lesson 4), same numbers
        net.to(memory_format=torch.channels_last)
        net.train()
        for _ in range(s.epochs):
            for X, y in train:
                optimizer.zero_grad()
                loss = loss_fn(net(X.contiguous(memory_format=torch.channels_last)), y)
                loss.backward()
                optimizer.step()
                run.losses.append(loss.item())
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for X, y in test:
            correct += (net(X.contiguous(memory_format=torch.channels_last)).argmax(1) == y).sum().item()
            total += len(y)
    run.seconds = time.perf_counter() - start
    run.test_acc = correct / total
    return run


# ------------------------------------------------------------------ the experiments

def input_sizes(sizes=(32, 56, 96), s: Slice | None = None, lang: str | None = None) -> list[Run]:
    """The same narrow VGG-11 trained at several input sizes."""
    return [train_run(pick(f"输入 {n}×{n}", f"input {n}×{n}", lang),
                      narrow_vgg(n, ratio=(s or current_slice()).ratio,
                                 hidden=(s or current_slice()).hidden), n, s)
            for n in sizes]


def kernels(input_size: int = 32, s: Slice | None = None, lang: str | None = None) -> list[Run]:
    """Blocks of two 3x3 convolutions against blocks of one 5x5 (same receptive field)."""
    s = s or current_slice()
    arch = [(2, c) for _, c in VGG11]
    return [train_run(pick("每块两个 3×3", "two 3×3 per block", lang),
                      narrow_vgg(input_size, arch, ratio=s.ratio, hidden=s.hidden), input_size, s),
            train_run(pick("每块一个 5×5", "one 5×5 per block", lang),
                      narrow_vgg(input_size, arch, ratio=s.ratio, hidden=s.hidden, block=block_5x5),
                      input_size, s)]


def inits(input_size: int = 32, s: Slice | None = None, lang: str | None = None) -> list[Run]:
    """d2l's Xavier against He (Kaiming) initialisation, everything else the same."""
    s = s or current_slice()
    return [train_run(label, narrow_vgg(input_size, ratio=s.ratio, hidden=s.hidden),
                      input_size, s, init=init)
            for init, label in (("xavier", "Xavier"), ("kaiming", pick("He（Kaiming）", "He (Kaiming)", lang)))]


def seeds(values=(0, 1), input_size: int = 32, s: Slice | None = None,
          lang: str | None = None) -> list[Run]:
    """The same recipe twice, only the random seed changed: the noise floor that any
    other difference must beat."""
    s = s or current_slice()
    return [train_run(pick(f"随机种子 {v}", f"random seed {v}", lang),
                      narrow_vgg(input_size, ratio=s.ratio, hidden=s.hidden), input_size, s, seed=v)
            for v in values]


# ------------------------------------------------------------------ showing them

def _smooth(values: list[float], width: int = 10) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - width] if i >= width else 0.0)
        out.append(total / min(i + 1, width))
    return out


def show_runs(runs: list[Run], title: str, lang: str | None = None):
    """The training loss of each run (smoothed over 10 batches) and a bar of its test
    accuracy, then one printed line per run. Returns the figure."""
    import matplotlib.pyplot as plt

    lang = get_lang(lang)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3),
                                      gridspec_kw={"width_ratios": [1.8, 1.2]})
    for run in runs:
        left.plot(_smooth(run.losses), label=run.label)
    left.set_xlabel(pick("批量", "batch", lang))
    left.set_ylabel(pick("训练损失（10 个批量的平均）", "training loss (mean of 10 batches)", lang))
    left.grid(True)
    left.legend()
    names = [run.label for run in runs]
    right.bar(names, [run.test_acc for run in runs], color=[f"C{i}" for i in range(len(runs))])
    right.set_ylabel(pick("测试准确率", "test accuracy", lang))
    right.set_ylim(0, 1)
    right.tick_params(axis="x", labelrotation=15)
    for i, run in enumerate(runs):
        right.text(i, run.test_acc + 0.02, f"{run.test_acc:.3f}", ha="center")
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
    for run in runs:
        print(pick(f"{run.label}：测试准确率 {run.test_acc:.3f}，参数 {run.params:,} 个，"
                   f"用时 {run.seconds:.1f} 秒",
                   f"{run.label}: test accuracy {run.test_acc:.3f}, {run.params:,} parameters, "
                   f"{run.seconds:.1f} s", lang))
    return fig
