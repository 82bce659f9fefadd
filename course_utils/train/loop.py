"""``train_ch6``: d2l's training function, faster, watched live, and nothing lost.

It keeps d2l's signature and recipe (SGD, cross-entropy, Xavier init, test
accuracy in fp32 after every epoch, the same two summary lines), so the lesson's
cell reads as in the book. What changes is how the work is done, never what is
learned:

* **checked first**: the device, the arguments, the network against one batch of
  the data and a checkpoint against the network, before a weight is touched;
* **channels-last** memory for the network and every batch (see ``device``);
* **the number format chosen by measuring** (``precision="auto"``, see
  ``precision``); ``"fp32"`` is d2l's. Testing is always in fp32, as in d2l;
* **metrics stay on the device**, read back a few times per epoch on a GPU;
* **freed memory is reused** on Linux CPUs (see ``memory``);
* in fp32 on a CPU, **the fully connected layers use oneDNN** where that measured
  faster than torch's own path (see ``fast_linear``);
* **a diverging loss** stops training and puts back the last good weights;
  Ctrl-C (the notebook's stop button) keeps everything done so far; a checkpoint
  that cannot be written is a warning, not the end of the run;
* **no checkpoint overwritten by surprise**: one this run did not write (an old
  one under ``resume=False``, or another run's) is moved aside and said; a resume
  uses the new ``lr`` and says so, and refuses a schedule that cannot continue;
* **the same numbers when the cell is run again**: the loader's shuffle restarts
  from its seed on every fresh run; ``num_epochs=0`` leaves the weights alone;
* **before a long CPU run**, one line with the time and memory it will take.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..messages import CourseError, TrainingError, console_safe, describe, pick, whole_number
from .checkpoints import (apply_checkpoint, epochs_en, check_checkpoint_path, check_resume_plan,
                          keep_aside, kept_aside_message, not_kept_aside_warning,
                          read_checkpoint, save_or_warn)
from .device import layout_name, memory_format, sync, to_device, usable_device
from .live import LiveView, fmt_seconds
from . import memory
from .memory import reuse_freed_memory
from .fast_linear import LinearChoice, choose_linear, fast_linears
from .precision import PROBE_MAX_BATCH, autocast, check_precision, choose_precision

INITS = ("xavier", "kaiming", None)
SCHEDULES = ("constant", "cosine")


def init_weights(net: nn.Module, init: str | None = "xavier") -> None:
    """Re-draw the weights of every Conv2d and Linear, as d2l does (biases are kept).

    ``"xavier"`` is d2l's Xavier-uniform. ``"kaiming"`` (He-normal, for ReLU) keeps
    the signal's size through many ReLU layers, so a deep net starts learning in the
    first epoch even on small inputs. ``None`` keeps the weights as they are.
    """
    if init not in INITS:
        raise CourseError(f"init 只能是 'xavier'、'kaiming' 或 None，现在是 {init!r}。",
                          f"init must be 'xavier', 'kaiming' or None, got {init!r}.")
    if init is None:
        return
    for m in net.modules():
        if type(m) in (nn.Linear, nn.Conv2d):
            if init == "xavier":
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")


def lr_at(lr: float, schedule: str, step: int, total_steps: int | None) -> float:
    """The learning rate for training step ``step`` (0-based) of ``total_steps``.

    ``constant`` is d2l's. ``cosine`` falls from ``lr`` to 0 along half a cosine:
    large steps early, small ones at the end, so the last epoch settles instead of
    wobbling by a point or two as constant-lr SGD does.
    """
    if schedule == "constant" or not total_steps:
        return lr
    return lr * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


# ---------------------------------------------------------------- results


@dataclass(repr=False)
class History:
    """What one call of :func:`train_ch6` did; notebooks and tests read it.

    ``metrics`` holds one dict per finished epoch with ``epoch``, ``train_loss``,
    ``train_acc`` and ``test_acc``. ``examples_per_sec`` is d2l's figure (training
    steps only, data loading and testing left out); ``wall_examples_per_sec``
    counts the wall clock of the whole call. ``stop_reason`` is ``"finished"``,
    ``"diverged"`` or ``"interrupted"``; ``message`` explains an early stop.
    ``notes`` holds what was decided for the student and said (a new lr on resume,
    an old checkpoint moved aside, the estimate before a long CPU run).
    """

    metrics: list[dict] = field(default_factory=list)
    examples_per_sec: float = 0.0
    wall_examples_per_sec: float = 0.0
    device: str = "cpu"
    precision: str = "fp32"
    precision_reason: str = ""
    linear: str = ""                  # how fp32 Linear layers compute on a CPU, and why
    layout: str = "channels-last"
    data: str = ""
    lr: float = 0.0
    schedule: str = "constant"
    num_epochs: int = 0
    interrupted: bool = False
    stop_reason: str = "finished"
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what was decided for the student, said once
    summary: list[str] = field(default_factory=list)
    partial: dict | None = None       # the unfinished epoch, when training stopped early
    num_examples: int = 0             # training examples seen in this call
    train_seconds: float = 0.0        # time in training steps (d2l's timer)
    wall_seconds: float = 0.0         # the whole call, set-up and precision probe included
    probe_seconds: float = 0.0        # choosing the precision (0 when cached or forced)

    @property
    def final(self) -> dict | None:
        """The last finished epoch's metrics (``None`` if none finished)."""
        return self.metrics[-1] if self.metrics else None

    @property
    def summary_text(self) -> str:
        return "\n".join(self.summary)

    def setup_line(self) -> str:
        """``cpu · fp32 (bf16 was 17% slower here) · channels-last · Linear: oneDNN (2.1×
        torch's own here) · data in memory``."""
        return " · ".join(x for x in (self.device, self.precision_reason or self.precision,
                                      self.layout, self.linear, self.data) if x)

    def __repr__(self) -> str:
        # Short, because a notebook prints it when train_ch6(...) ends a cell.
        test = f"test acc {self.final['test_acc']:.3f}, " if self.final else ""
        return (f"History({len(self.metrics)}/{self.num_epochs} epochs, {test}"
                f"{self.examples_per_sec:.1f} examples/sec on {self.device}, "
                f"{self.precision}, {self.stop_reason})")

    def column(self, key: str) -> list[float]:
        """One metric over the epochs, e.g. ``history.column("test_acc")``."""
        return [m[key] for m in self.metrics]


def summary_lines(history: History) -> list[str]:
    """d2l's two lines, plus one with the wall-clock speed d2l's figure leaves out."""
    last = history.final or history.partial or {}

    def fmt(key):
        value = last.get(key)
        return "n/a" if value is None else f"{value:.3f}"

    return [
        f"loss {fmt('train_loss')}, train acc {fmt('train_acc')}, test acc {fmt('test_acc')}",
        f"{history.examples_per_sec:.1f} examples/sec on {history.device}",
        pick(f"端到端：每秒 {history.wall_examples_per_sec:.1f} 个样本（实际耗时 "
             f"{fmt_seconds(history.wall_seconds)}，含读数据、选精度与测试）",
             f"{history.wall_examples_per_sec:.1f} examples/sec end-to-end (wall clock "
             f"{fmt_seconds(history.wall_seconds)}, data, precision probe and testing "
             "included)"),
    ]


# ---------------------------------------------------------------- checks before training


def _positive_lr(lr) -> float:
    """``lr`` as a float > 0, or a CourseError that names it (text is never read as a number)."""
    if (isinstance(lr, numbers.Real) and not isinstance(lr, bool)
            and math.isfinite(lr) and lr > 0):
        return float(lr)
    zh_what, en_what = describe(lr)
    raise CourseError(f"学习率 lr 必须是大于 0 的数，例如 0.05；现在是 {zh_what}。",
                      f"lr must be a number > 0, such as 0.05; got {en_what}.")


def check_args(num_epochs, lr, init, precision, schedule, checkpoint, resume):
    num_epochs = whole_number(num_epochs, "num_epochs", minimum=0, example=10)
    lr = _positive_lr(lr)
    if init not in INITS:
        init_weights(nn.Identity(), init)             # raises the message for init
    check_precision(precision)
    if schedule not in SCHEDULES:
        raise CourseError(f"schedule 只能是 {SCHEDULES} 之一，现在是 {schedule!r}。",
                          f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if resume and checkpoint is None:
        raise CourseError("resume=True 需要同时给出 checkpoint=\"文件路径\"。",
                          "resume=True needs checkpoint=\"some/file.pt\" as well.")
    if checkpoint is not None:
        check_checkpoint_path(checkpoint)
    return num_epochs, lr


def _sample_batch(train_iter):
    """Two training examples, taken without disturbing the loader's shuffle order."""
    images = getattr(train_iter, "images", None)
    if isinstance(images, torch.Tensor) and hasattr(train_iter, "resize"):
        from ..data import resize_batch
        X = resize_batch(images[:2].float().div(255), train_iter.resize)
        batch = getattr(train_iter, "batch_size", None) or X.shape[0]
        return X, train_iter.labels[:2], int(train_iter.labels.max()) + 1, batch
    gen = getattr(train_iter, "generator", None)
    state = gen.get_state() if isinstance(gen, torch.Generator) else None
    try:
        X, y = next(iter(train_iter))
    except StopIteration:
        raise CourseError("训练数据是空的：train_iter 一个批量也没有给出。",
                          "The training data is empty: train_iter gave no batch.") from None
    finally:
        if state is not None:
            gen.set_state(state)
    return X[:2], y[:2], None, X.shape[0]


def check_net_fits_data(net: nn.Module, train_iter) -> tuple:
    """One forward pass of two training images, before any weight is changed.

    Returns the shape of one training batch. A mismatch (channels, input size,
    number of classes) becomes a CourseError that says which setting to change.
    """
    params = list(net.parameters())
    if not any(p.requires_grad for p in params):
        raise CourseError(
            "这个网络没有可以训练的参数（nn.Sequential 是空的，或者每个参数都被冻结了）："
            "train_ch6 要训练带权重的网络，例如 vgg(...)。",
            "This network has no parameters to train (an empty nn.Sequential, or every "
            "parameter frozen): train_ch6 trains a network with weights, e.g. vgg(...).")
    X, y, num_classes, batch = _sample_batch(train_iter)
    device = params[0].device
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(X.to(device))
    except RuntimeError as err:
        if _out_of_memory(err):
            raise _oom_error(getattr(train_iter, "batch_size", None), device) from None
        first = str(err).strip().splitlines()[0][:160]
        shape = "×".join(str(d) for d in X.shape[1:])
        raise CourseError(
            f"网络和数据对不上：每张图片是 {shape}（通道×高×宽），网络却算不下去"
            f"（PyTorch：{first}）。请检查 vgg(...) 的 in_channels（Fashion-MNIST 是 1）"
            "和 input_size（必须等于读数据时的 resize）。",
            f"The network does not fit the data: each image is {shape} (channels×height×"
            f"width) and the network cannot take it (PyTorch: {first}). Check vgg(...)'s "
            "in_channels (1 for Fashion-MNIST) and input_size (it must equal the data's "
            "resize).") from None
    finally:
        net.train(was_training)
    if not isinstance(out, torch.Tensor):
        kind = type(out).__name__
        raise CourseError(
            f"网络返回的是 {kind}，不是一个张量：train_ch6 需要 forward 只返回每个类别的得分"
            "（批量×类别数）。如果 forward 返回 (得分, 其他)，请只返回得分。",
            f"The network returns a {kind}, not one tensor: train_ch6 needs forward to "
            "return only the class scores (batch × classes). If forward returns "
            "(scores, something else), return just the scores.")
    need = num_classes or int(y.max()) + 1
    if out.dim() != 2 or out.shape[1] < need:
        got = out.shape[1] if out.dim() == 2 else tuple(out.shape)
        raise CourseError(
            f"网络输出 {got} 个类别，数据却有 {need} 类：请把 vgg(...) 的 num_classes 设为 {need}。",
            f"The network outputs {got} classes but the data has {need}: set vgg(...)'s "
            f"num_classes to {need}.")
    return (batch, *X.shape[1:])


# ---------------------------------------------------------------- evaluation


def evaluate_accuracy(net: nn.Module, data_iter, device=None, precision: str = "fp32") -> float:
    """Accuracy of ``net`` on ``data_iter``; counts stay on the device until the end.

    d2l tests in fp32, and so does training here, whatever format it trained in.
    """
    device = torch.device(device) if device is not None else next(net.parameters()).device
    fmt = memory_format(device)
    net.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    total = 0
    with torch.inference_mode(), autocast(device, precision):
        for X, y in data_iter:
            X = to_device(X, device, fmt)
            y = y.to(device, non_blocking=True)
            correct += (net(X).argmax(dim=1) == y).sum()
            total += y.numel()
    return correct.item() / max(total, 1)


# ---------------------------------------------------------------- the loop


# Cross-entropy over 10 classes starts near ln 10 = 2.3. A mean loss above this
# means the logits are in the thousands: the weights have blown up, and plain SGD
# does not come back from there (often it is inf or nan a few batches later).
DIVERGED_LOSS = 1e3


def _diverged(loss: float) -> bool:
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


def _report_batches(num_batches: int | None) -> set[int]:
    """The batches after which the figure gets a point: five per epoch, as d2l's."""
    if not num_batches:
        return set()
    step = max(num_batches // 5, 1)
    return {b for b in range(step, num_batches + 1, step)} | {num_batches}


class _EpochLoop:
    """One training run's moving parts, so each step below stays short."""

    def __init__(self, net, train_iter, device, precision, lr, schedule, num_epochs, view,
                 history, num_batches):
        self.net, self.train_iter = net, train_iter
        self.device, self.precision, self.lr, self.schedule = device, precision, lr, schedule
        self.view, self.history = view, history
        self.fmt = memory_format(device)
        self.optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()
        # fp16 can underflow in the backward pass; the scaler keeps gradients in range.
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
        self.num_batches = num_batches
        self.total_steps = num_batches * num_epochs if num_batches else None
        self.report_at = _report_batches(num_batches)
        # Reading a metric back is free on a CPU, so there we check every batch and a
        # diverging loss stops at once; on a GPU only at the figure's points, so the
        # GPU never waits for the Python loop.
        self.read_every_batch = device.type == "cpu"
        self.train_seconds, self.examples = 0.0, 0
        self.good = None                     # (epochs done, weights, optimizer) to go back to
        self.saved_epochs = None             # epochs in the checkpoint file this run wrote/resumed
        self.saved_file = None               # (inode, size, mtime) of that file, to notice another
        self.estimate = None                 # called once with seconds per example, if wanted

    def remember_good_state(self, epochs_done: int) -> None:
        """Keep a copy of the weights as they are now, known to be finite."""
        self.good = (epochs_done,
                     {k: v.detach().clone() for k, v in self.net.state_dict().items()},
                     self.optimizer.state_dict())

    def restore_good_state(self) -> int:
        epochs_done, weights, opt = self.good
        self.net.load_state_dict(weights)
        self.optimizer.load_state_dict(opt)
        return epochs_done

    def step(self, X, y, step_index: int):
        """One SGD step; returns the loss and the number of right answers, on the device."""
        X = to_device(X, self.device, self.fmt)
        y = y.to(self.device, non_blocking=True)
        if self.schedule != "constant":
            for group in self.optimizer.param_groups:
                group["lr"] = lr_at(self.lr, self.schedule, step_index, self.total_steps)
        self.optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, self.precision):
            y_hat = self.net(X)
            loss = self.loss_fn(y_hat, y)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        with torch.no_grad():
            return loss.detach().float() * y.numel(), (y_hat.argmax(dim=1) == y).sum()

    def train_epoch(self, epoch: int) -> tuple[float, float] | None:
        """Train one epoch (0-based); ``(loss, acc)``, or ``None`` if it diverged."""
        self.net.train()
        loss_sum = torch.zeros((), dtype=torch.float32, device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        seen = batch = 0
        partial = self.history.partial = {"epoch": epoch + 1, "train_loss": None,
                                          "train_acc": None, "test_acc": None, "fraction": 0.0}
        start, data_seconds = time.perf_counter(), 0.0
        batches = iter(self.train_iter)
        first_step = epoch * (self.num_batches or 0)
        # An interrupt (the stop button) still counts the partial epoch's time, so the
        # examples/sec printed after it is the real speed, not 0.
        try:
            while True:
                t_data = time.perf_counter()
                X, y = next(batches, (None, None))
                data_seconds += time.perf_counter() - t_data
                if X is None:
                    break
                batch_loss, batch_correct = self.step(X, y, first_step + batch)
                loss_sum += batch_loss
                correct += batch_correct
                seen, batch = seen + y.shape[0], batch + 1
                self.examples += y.shape[0]
                if self.estimate is not None and batch in (1, 2):
                    if batch == 2:   # the first batch warms up: time the second
                        self.estimate((time.perf_counter() - first_done) / y.shape[0])
                        self.estimate = None
                    first_done = time.perf_counter()
                if self.read_every_batch or batch in self.report_at:
                    loss, acc = loss_sum.item() / seen, correct.item() / seen   # (a GPU sync)
                    partial.update(train_loss=loss, train_acc=acc,
                                   fraction=batch / self.num_batches if self.num_batches else None)
                    self.view.latest = (loss, acc)
                    if _diverged(loss):
                        break
                    if batch in self.report_at:
                        self.view.progress(epoch, batch / self.num_batches, loss, acc)
                self.view.batch_done(epoch, batch)
            sync(self.device)
        finally:
            self.train_seconds += time.perf_counter() - start - data_seconds
        if seen == 0:
            return None
        loss, acc = loss_sum.item() / seen, correct.item() / seen
        if _diverged(loss):
            self.history.stop_reason = "diverged"
            self.history.message = _divergence_message(self.lr, loss, epoch + 1, batch,
                                                       self.restore_good_state())
            self.history.partial = None           # the weights are back at the last good epoch
            return None
        return loss, acc


def _divergence_message(lr: float, loss: float, epoch: int, batch: int, kept: int) -> str:
    kept_zh = f"第 {kept} 轮结束时" if kept else "训练开始前"
    kept_en = f"the end of epoch {kept}" if kept else "where they were before training"
    return pick(
        f"⚠️ 训练已停止：第 {epoch} 轮第 {batch} 个批量的损失变成了 {loss:.4g}。学习率 lr={lr:g} 太大，"
        f"训练发散了。网络的参数已恢复到{kept_zh}的状态。请调小学习率（例如 lr={lr / 10:g}）后重新训练。",
        f"⚠️ Training stopped: the loss became {loss:.4g} in epoch {epoch}, batch {batch}. "
        f"The learning rate lr={lr:g} is too large and training diverged. The weights were "
        f"put back to {kept_en}. Lower the learning rate (e.g. lr={lr / 10:g}) and train again.")


def _interrupt_message(done: int, num_epochs: int, checkpoint, saved: int | None) -> str:
    """``saved``: the epochs the checkpoint file holds now (``None``: none of this run)."""
    zh = f"⏹ 训练被中断：已完成 {done}/{num_epochs} 轮。网络、训练记录和小结都保留着"
    en = (f"⏹ Training interrupted after {done}/{num_epochs} epochs. The network, "
          "its history and the summary are kept")
    if checkpoint is not None and saved and saved == done:
        zh += f"；检查点在 {checkpoint}，用 resume=True 可以接着训练。"
        en += f"; the checkpoint {checkpoint} holds them, and resume=True continues from it."
    elif checkpoint is not None and saved:
        zh += (f"（在内存里）；检查点 {checkpoint} 只有前 {saved} 轮（第 {done} 轮存盘时被中断，"
               f"旧文件完好），resume=True 会从第 {saved + 1} 轮接着训练。")
        en += (f" (in memory); the checkpoint {checkpoint} holds only the first {epochs_en(saved)} "
               f"(saving epoch {done} was interrupted; the file is intact), so resume=True "
               f"continues from epoch {saved + 1}.")
    else:
        zh += "（只在内存里：没有保存检查点）。"
        en += " (in memory only: no checkpoint was saved)."
    return pick(zh, en)


def _out_of_memory(err: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
    text = str(err).lower()
    # The CPU allocator says "DefaultCPUAllocator: can't allocate memory".
    return isinstance(err, oom) or (isinstance(err, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text))


def _oom_error(batch_size: int | None, device=None) -> TrainingError:
    bs = f"（现在 batch_size={batch_size}）" if batch_size else ""
    bs_en = f" (batch_size is {batch_size} now)" if batch_size else ""
    kind = getattr(device, "type", device)
    what_zh = {"cpu": "内存", "cuda": "显存"}.get(kind, "显存/内存")
    what_en = {"cpu": "Out of memory (RAM)", "cuda": "Out of GPU memory"}.get(kind, "Out of memory")
    return TrainingError(
        f"{what_zh}不够了{bs}：请调小 batch_size，或调大 ratio（通道更少的网络）后重试。"
        "网络和已完成的训练记录都没有丢。",
        f"{what_en}{bs_en}: lower batch_size, or raise ratio (a narrower network), "
        "and try again. The network and the finished epochs are kept.")


def _data_description(train_iter) -> str:
    from ..data import InMemoryLoader
    if isinstance(train_iter, InMemoryLoader):
        return pick("数据在内存中", "data in memory")
    return pick("数据来自 DataLoader", "data from a DataLoader")


def _restart_shuffle(train_iter) -> None:
    """Re-seed the training loader from its own seed, so re-running only the training
    cell shows the same numbers (its generator moved on during the last run)."""
    restart = getattr(train_iter, "restart", None)
    if callable(restart):
        restart()


def _resume_state(checkpoint, resume, net):
    """The checked checkpoint to resume from, or ``None`` (saying why when asked to resume)."""
    if not resume:
        return None
    if not Path(checkpoint).is_file():
        print(pick(f"提示：还没有检查点 {checkpoint}，这次从头开始训练。",
                   f"Note: there is no checkpoint {checkpoint} yet, so training starts "
                   "from scratch."), flush=True)
        return None
    # the optimizer train_ch6 will build, to check the saved one's shape against
    return read_checkpoint(checkpoint, net, torch.optim.SGD(net.parameters(), lr=1.0))


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, *, init="xavier",
              precision="auto", schedule="constant", checkpoint=None, resume=False,
              live=True, text_every: float = 30.0) -> History:
    """Train ``net`` like d2l's ``train_ch6`` and return a :class:`History`.

    Prints one line saying how it trains (device, number format and why, memory
    layout, data), then d2l's two summary lines (``loss 0.178, train acc 0.934,
    test acc 0.919`` and ``2546.8 examples/sec on cuda:0``) plus the end-to-end
    speed. ``init``: ``"xavier"`` (d2l), ``"kaiming"`` or ``None`` (keep the
    weights). ``precision``: ``"auto"`` (the fastest here, measured), ``"bf16"``,
    ``"fp16"`` or ``"fp32"`` (d2l's). ``schedule``: ``"constant"`` (d2l) or
    ``"cosine"``. ``checkpoint``: a file written after every epoch; ``resume=True``
    continues from it. ``live``: figure and progress bar in a notebook, text lines
    elsewhere (at least every ``text_every`` seconds); ``False`` prints only the summary.
    """
    wall_start = time.perf_counter()
    console_safe()                    # a console without "⚠️" shows "[!]", not a traceback
    num_epochs, lr = check_args(num_epochs, lr, init, precision, schedule, checkpoint, resume)
    device = usable_device(device)
    batch_shape = check_net_fits_data(net, train_iter)
    state = _resume_state(checkpoint, resume, net)
    notes = (check_resume_plan(checkpoint, state, lr, num_epochs, schedule)
             if state is not None else [])
    if state is None and num_epochs == 0 and init is not None:
        init = None              # nothing will be trained: drawing new weights would only lose some
        notes.append(pick("提示：num_epochs=0，不训练；网络的权重保持原样（没有重新初始化）。",
                          "Note: num_epochs=0 trains nothing; the network's weights were left "
                          "as they were (not re-initialised)."))
    # Everything is checked: from here on the network may change.
    try:
        num_batches = len(train_iter)
    except TypeError:
        num_batches = None
    history = History(device=str(device), lr=lr, schedule=schedule, num_epochs=num_epochs,
                      layout=layout_name(memory_format(device)),
                      data=_data_description(train_iter), notes=notes)
    for note in notes:
        print(note, flush=True)
    view = LiveView(num_epochs, num_batches, enabled=live, text_every=text_every)
    loop = None
    try:
        if state is None:
            _restart_shuffle(train_iter)    # the same batches each time this cell is run
        init_weights(net, None if state is not None else init)
        net.to(device, memory_format=memory_format(device))
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True   # the input size is fixed: fastest kernels
        # fp32's Linear path first, so that the precision probe times fp32 as it will run
        announce = _announce_probe(batch_shape[0])
        linear = (choose_linear(net, batch_shape[0], device, announce=announce)
                  if device.type == "cpu" and precision in ("auto", "fp32")
                  else LinearChoice(False, why_not="device"))
        choice = choose_precision(net, batch_shape, device, precision, fast_linear=linear.fast,
                                  announce=announce)
        history.precision, history.precision_reason = choice.precision, choice.reason()
        onednn = linear.fast and choice.precision == "fp32"
        history.linear = linear.reason() if choice.precision == "fp32" else ""
        history.probe_seconds = choice.probe_seconds
        print(history.setup_line(), flush=True)
        loop = _EpochLoop(net, train_iter, device, choice.precision, lr, schedule, num_epochs,
                          view, history, num_batches)
        if state is not None:
            history.metrics = apply_checkpoint(state, net, loop.optimizer, train_iter, lr)
            loop.saved_epochs = len(history.metrics)      # the file is this run's from here
            loop.saved_file = _file_identity(Path(checkpoint))
        if device.type == "cpu" and len(history.metrics) < num_epochs:
            _plan_estimate(loop, choice, batch_shape, test_iter, num_epochs - len(history.metrics))
        view.open(first_epoch=len(history.metrics))
        with reuse_freed_memory(device.type == "cpu"), fast_linears(net, onednn):
            _run_epochs(loop, history, test_iter, num_epochs, checkpoint)
    except KeyboardInterrupt:
        # Ctrl-C or the notebook's stop button: keep everything done so far.
        history.interrupted, history.stop_reason = True, "interrupted"
        saved = loop.saved_epochs if loop is not None else None
        history.message = _interrupt_message(len(history.metrics), num_epochs, checkpoint, saved)
    except Exception as err:
        if not _out_of_memory(err):
            raise
        if device.type == "cuda":
            torch.cuda.empty_cache()
        raise _oom_error(getattr(train_iter, "batch_size", None), device) from None
    finally:
        view.close()
        net.eval()
    return _finish(history, loop, wall_start)


def _examples(loader, batch: int) -> int:
    n = getattr(loader, "num_examples", None)
    if isinstance(n, int):
        return n
    try:
        return len(loader) * batch
    except TypeError:
        return 0


def _announce_probe(batch: int):
    """A function that says, once, that this machine is being measured before training:
    on a slow CPU with a big network the probe's steps alone take a while."""
    said = []

    def announce() -> None:
        if not said:
            said.append(True)
            print(pick(f"先测一测本机：计时几步训练（每步 {batch} 个样本），挑出最快的算法；"
                       "结果会记下来，下次不用再测。",
                       f"Measuring this machine first: a few timed training steps ({batch} "
                       "examples each) pick the fastest way to train here; the result is kept, "
                       "so the next run skips this."), flush=True)
    return announce


def _plan_estimate(loop: _EpochLoop, choice, batch_shape, test_iter, epochs_to_go: int) -> None:
    """Before a long run on a CPU: one line with the time and memory it will take.

    From the precision probe's timing when there is one, else from the run's own
    second batch."""
    batch = batch_shape[0]
    # testing costs about a third of training per example (no backward pass, no update)
    to_go = epochs_to_go * (_examples(loop.train_iter, batch) + _examples(test_iter, batch) / 3)

    def say(seconds_per_example: float) -> None:
        seconds = seconds_per_example * to_go
        if seconds < memory.LONG_RUN_SECONDS:
            return
        try:
            fixed, per_example = memory.training_bytes(loop.net, batch_shape[1:])
        except Exception:                  # an estimate is never worth stopping a run
            return
        line = memory.estimate_line(seconds, fixed + per_example * batch, memory.available_bytes())
        loop.history.notes.append(line)
        print(line, flush=True)

    probed = choice.seconds.get(choice.precision) if isinstance(choice.seconds, dict) else None
    if probed:
        say(probed / min(batch, PROBE_MAX_BATCH))
    else:
        loop.estimate = say


def _run_epochs(loop: _EpochLoop, history: History, test_iter, num_epochs: int,
                checkpoint) -> None:
    """Train and test epoch after epoch, from where ``history`` stands."""
    for epoch in range(len(history.metrics), num_epochs):
        loop.remember_good_state(epoch)
        result = loop.train_epoch(epoch)
        if result is None:
            break                                   # diverged (or an empty loader)
        test_acc = evaluate_accuracy(loop.net, test_iter, loop.device, "fp32")
        row = {"epoch": epoch + 1, "train_loss": result[0], "train_acc": result[1],
               "test_acc": test_acc}
        history.metrics.append(row)
        history.partial = None
        loop.view.epoch_done(row)
        if checkpoint is not None:
            _save(loop, history, checkpoint)


def _file_identity(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _save(loop: _EpochLoop, history: History, checkpoint) -> None:
    """Save this epoch; a checkpoint this run did not write is moved aside first, not
    overwritten (resume=False over an old one, or another run saving to the same path)."""
    path = Path(checkpoint)
    found = _file_identity(path)
    warning = None
    if found is not None and found != loop.saved_file:
        try:
            backup = keep_aside(path)
            history.notes.append(kept_aside_message(path, backup, loop.saved_file is not None))
            print(history.notes[-1], flush=True)
        except OSError as err:       # it cannot be moved: better this epoch unsaved than it lost
            warning = not_kept_aside_warning(path, err)
    if warning is None:
        plan = {"lr": loop.lr, "num_epochs": history.num_epochs, "schedule": loop.schedule}
        warning = save_or_warn(checkpoint, loop.net, loop.optimizer, history.metrics,
                               loop.lr, loop.train_iter, plan)
    if warning:
        history.warnings.append(warning)
        print(warning, flush=True)
    else:
        loop.saved_epochs = len(history.metrics)
        loop.saved_file = _file_identity(path)


def _finish(history: History, loop: _EpochLoop | None, wall_start: float) -> History:
    """Fill in the speeds and the summary, and print them as d2l does."""
    if loop is not None:
        history.num_examples, history.train_seconds = loop.examples, loop.train_seconds
    history.wall_seconds = time.perf_counter() - wall_start
    history.examples_per_sec = (history.num_examples / history.train_seconds
                                if history.train_seconds > 0 else 0.0)
    history.wall_examples_per_sec = (history.num_examples / history.wall_seconds
                                     if history.wall_seconds > 0 else 0.0)
    history.summary = summary_lines(history)
    if history.message:
        print(history.message, flush=True)
    for line in history.summary:
        print(line, flush=True)
    return history
