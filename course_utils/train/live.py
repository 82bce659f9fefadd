"""What a student sees while training runs: one live figure and a progress bar in
a notebook, plain text lines (at least every ``text_every`` seconds) in a terminal."""

from __future__ import annotations

import sys
import time

from ..messages import pick


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where figures and widgets can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def fmt_seconds(seconds: float) -> str:
    """``2 min 08 s`` / ``2 分 08 秒``, in the lesson's language."""
    if seconds != seconds:                  # nan: not known yet
        return "?"
    if seconds < 0.5:
        return pick("不到 1 秒", "< 1 s")
    seconds = int(round(seconds))
    if seconds < 60:
        return pick(f"{seconds} 秒", f"{seconds} s")
    if seconds < 3600:
        return pick(f"{seconds // 60} 分 {seconds % 60:02d} 秒",
                    f"{seconds // 60} min {seconds % 60:02d} s")
    return pick(f"{seconds // 3600} 小时 {seconds % 3600 // 60:02d} 分",
                f"{seconds // 3600} h {seconds % 3600 // 60:02d} min")


def curve_labels() -> dict:
    """The curve names, in the lesson's language (keys are the stable English names)."""
    return {"train loss": pick("训练损失", "train loss"),
            "train acc": pick("训练准确率", "train acc"),
            "test acc": pick("测试准确率", "test acc")}


def metrics_text(loss: float, train_acc: float, test_acc: float | None = None) -> str:
    """``loss 0.512, train acc 0.812, test acc 0.834`` in the lesson's language."""
    names = curve_labels()
    parts = [f"{names['train loss']} {loss:.3f}", f"{names['train acc']} {train_acc:.3f}"]
    if test_acc is not None:
        parts.append(f"{names['test acc']} {test_acc:.3f}")
    return pick("，", ", ").join(parts)


class LiveView:
    """Shows training as it happens: figure + progress bar, or plain text lines.

    In a notebook: ONE matplotlib figure shown with ``display(..., display_id=True)``
    and redrawn through that handle, so the cell keeps one output instead of one per
    update (d2l's Animator clears the whole cell instead), plus a ``tqdm.auto`` bar
    with ETA. Elsewhere: a line per epoch, and one at least every ``text_every``
    seconds in between, so a long epoch is never silent.
    """

    def __init__(self, num_epochs: int, batches_per_epoch: int | None, enabled: bool = True,
                 notebook: bool | None = None, text_every: float = 30.0):
        self.enabled = enabled
        self.notebook = in_notebook() if notebook is None else notebook
        self.num_epochs, self.batches_per_epoch = num_epochs, batches_per_epoch
        self.text_every = text_every
        self.points = {"train loss": [], "train acc": [], "test acc": []}
        self.handle = self.fig = self.bar = self.bar_handle = None
        self.start = self.last_text = time.perf_counter()
        self.done_batches = self.first_epoch = 0
        self.latest = None                  # (loss, acc) of the running epoch, when known

    # -- set-up and tear-down
    def open(self, first_epoch: int = 0) -> None:
        if not self.enabled:
            return
        self.start = self.last_text = time.perf_counter()
        self.first_epoch = first_epoch
        if self.notebook:
            self._open_figure()
        total = (None if self.batches_per_epoch is None
                 else self.batches_per_epoch * (self.num_epochs - first_epoch))
        if self.notebook:
            self._open_notebook_bar(total)
        elif sys.stderr.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit=pick("批", "batch"), dynamic_ncols=True, leave=True)

    def _open_notebook_bar(self, total) -> None:
        """The bar as a widget behind our own display handle, so that closing it can
        blank its output: a saved notebook then holds no frozen "0%| 0/1876" line."""
        from IPython.display import display
        try:
            from tqdm.notebook import tqdm
            self.bar = tqdm(total=total, unit=pick("批", "batch"), display=False)
        except ImportError:                 # no ipywidgets: tqdm's text bar
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, unit=pick("批", "batch"), dynamic_ncols=True)
            return
        self.bar_handle = display(self.bar.container, display_id=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.bar_handle is not None:
            self.bar_handle.update({"text/plain": ""}, raw=True)
            self.bar_handle = None

    def _open_figure(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.fig, self.ax = plt.subplots(figsize=(4.5, 3.0))
        plt.close(self.fig)           # shown only through our handle, not again at cell end
        self._draw()
        self.handle = display(self.fig, display_id=True)

    def _draw(self) -> None:
        ax = self.ax
        ax.clear()
        styles = {"train loss": "-", "train acc": "m--", "test acc": "g-."}
        labels = curve_labels()
        for name, pts in self.points.items():
            if pts:
                ax.plot(*zip(*pts), styles[name], label=labels[name])
        ax.set_xlabel(pick("轮", "epoch"))
        ax.set_xlim(0, max(self.num_epochs, 1))   # from 0: the first epoch's points show too
        ax.grid(True)
        if any(self.points.values()):
            ax.legend()
        self.fig.tight_layout()

    # -- updates
    def batch_done(self, epoch: int, batch: int) -> None:
        """After every batch: the bar moves; a terminal gets a line every ``text_every`` s."""
        self.done_batches += 1
        if self.bar is not None:
            self.bar.update(1)
        if not self.enabled or self.notebook:
            return
        now = time.perf_counter()
        if now - self.last_text >= self.text_every:
            self.last_text = now
            where = pick(f"  第 {epoch + 1}/{self.num_epochs} 轮，第 {batch}", f"  epoch "
                         f"{epoch + 1}/{self.num_epochs}, batch {batch}")
            if self.batches_per_epoch:
                where += f"/{self.batches_per_epoch}"
            where += pick(" 批", "")
            metrics = "" if self.latest is None else pick("：", ": ") + metrics_text(*self.latest)
            print(where + metrics + pick(f"，已用 {fmt_seconds(self.elapsed())}，剩余约 "
                                         f"{fmt_seconds(self.eta())}",
                                         f", {fmt_seconds(self.elapsed())} so far, ETA "
                                         f"{fmt_seconds(self.eta())}"), flush=True)

    def progress(self, epoch: int, fraction: float, loss: float, acc: float) -> None:
        """Running train metrics, ``fraction`` of the way through ``epoch`` (0-based)."""
        self.latest = (loss, acc)
        if not self.enabled:
            return
        x = epoch + fraction
        self.points["train loss"].append((x, loss))
        self.points["train acc"].append((x, acc))
        if self.bar is not None:
            self.bar.set_description(pick(f"第 {epoch + 1}/{self.num_epochs} 轮",
                                          f"epoch {epoch + 1}/{self.num_epochs}"))
            self.bar.set_postfix(loss=f"{loss:.3f}", acc=f"{acc:.3f}", refresh=False)
        if self.handle is not None:
            self._draw()
            self.handle.update(self.fig)

    def epoch_done(self, row: dict) -> None:
        self.latest = None
        if not self.enabled:
            return
        self.points["test acc"].append((row["epoch"], row["test_acc"]))
        if self.handle is not None:
            self._draw()
            self.handle.update(self.fig)
        if not self.notebook:
            self.last_text = time.perf_counter()
            print(pick(f"第 {row['epoch']}/{self.num_epochs} 轮：",
                       f"epoch {row['epoch']}/{self.num_epochs}: ")
                  + metrics_text(row["train_loss"], row["train_acc"], row["test_acc"])
                  + f" · {fmt_seconds(self.elapsed())}"
                  + pick(f"，剩余约 {fmt_seconds(self.eta())}",
                         f", ETA {fmt_seconds(self.eta())}"), flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def eta(self) -> float:
        if not self.batches_per_epoch or not self.done_batches:
            return float("nan")
        total = self.batches_per_epoch * (self.num_epochs - self.first_epoch)
        return self.elapsed() / self.done_batches * max(total - self.done_batches, 0)
