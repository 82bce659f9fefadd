"""Checkpoints: written atomically, checked completely before anything is loaded.

A checkpoint holds the weights, the optimizer, the finished epochs' metrics, the
run's plan (lr, number of epochs, schedule) and the random state (torch's on the
CPU and on every GPU, and the training loader's shuffle), so a resumed run sees the
same batches in the same order as one that was never interrupted. (Training draws
no Python or numpy random numbers, so those states are not kept.)

Each save writes its own temporary file beside the checkpoint (``tempfile``), then
renames it into place: two runs saving to one path at the same moment never write
into each other's half-finished file.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path

import torch

from ..messages import CourseError, TrainingError, pick

CHECKPOINT_FORMAT = 2


def check_checkpoint_path(path) -> Path:
    """Refuse, before training, a path that can never hold a checkpoint."""
    if not isinstance(path, (str, os.PathLike)):
        raise CourseError(f"checkpoint 应该是文件路径（字符串），现在是 {type(path).__name__}。",
                          f"checkpoint must be a file path (a string), got {type(path).__name__}.")
    path = Path(path)
    if path.is_dir():
        raise CourseError(f"checkpoint={str(path)!r} 是一个文件夹，请写文件名，例如 "
                          f"{str(path / 'vgg.pt')!r}。",
                          f"checkpoint={str(path)!r} is a folder; give a file name, e.g. "
                          f"{str(path / 'vgg.pt')!r}.")
    return path


def _loader_generator(loader):
    gen = getattr(loader, "generator", None)
    return gen if isinstance(gen, torch.Generator) else None


def _cuda_rng_states():
    return torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None


def save_checkpoint(path, net, optimizer, metrics: list[dict], lr: float, loader=None,
                    plan: dict | None = None) -> None:
    """Write atomically: a Ctrl-C or a full disk never leaves a half-written file.

    ``plan``: ``{"lr", "num_epochs", "schedule"}`` of the run, checked on resume.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    gen = _loader_generator(loader)
    state = {"format": CHECKPOINT_FORMAT, "epoch": len(metrics), "lr": float(lr),
             "plan": dict(plan) if plan else None,
             "model": net.state_dict(), "optimizer": optimizer.state_dict(),
             "metrics": [dict(m) for m in metrics], "torch_rng": torch.get_rng_state(),
             "cuda_rng": _cuda_rng_states(),
             "loader_rng": gen.get_state() if gen is not None else None}
    # A name of its own, so that another run saving here meanwhile has another one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # through a Python file: a full disk is then an OSError (ENOSPC) that says so,
        # where torch's own writer raises a RuntimeError about its zip stream
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def keep_aside(path) -> Path:
    """Move an existing checkpoint to a free name beside it, named by when it was saved
    (``vgg.pt`` -> ``vgg.20261202-130512.pt``); return that name."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(path.stat().st_mtime))
    backup, n = path.with_name(f"{path.stem}.{stamp}{path.suffix}"), 2
    while backup.exists():
        backup, n = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}"), n + 1
    os.rename(path, backup)
    return backup


def not_kept_aside_warning(path, err: OSError) -> str:
    reason = err.strerror or type(err).__name__
    return pick(f"⚠️ {path} 里的检查点不是这次训练写的，而且无法把它移开（{reason}）：为了不覆盖它，"
                "这一轮没有存盘，训练继续。请换一个 checkpoint 路径，或自己移走那个文件。",
                f"⚠️ The checkpoint {path} was not written by this run and cannot be moved "
                f"aside ({reason}): so as not to overwrite it, this epoch is not saved; "
                "training goes on. Use another checkpoint path, or move that file yourself.")


def kept_aside_message(path, backup, another_run: bool = False) -> str:
    if another_run:
        return pick(f"提示：在这次训练的两轮之间，另一个训练也写了 {path}。它的检查点没有被覆盖："
                    f"被移到了 {backup}；这次训练继续存到 {path}。",
                    f"Note: another run wrote {path} between two epochs of this one. Its "
                    f"checkpoint is not overwritten: it was moved to {backup}; this run goes "
                    f"on saving to {path}.")
    return pick(f"提示：{path} 里已经有一个检查点，而这次是 resume=False（从头训练）。旧的没有被覆盖："
                f"它被移到了 {backup}；这次训练存到 {path}。",
                f"Note: {path} already held a checkpoint and this run has resume=False (it "
                f"starts over). The old one is not overwritten: it was moved to {backup}; "
                f"this run saves to {path}.")


def save_or_warn(path, net, optimizer, metrics, lr, loader=None, plan=None) -> str | None:
    """Save; on failure return a warning for the student (training goes on)."""
    try:
        save_checkpoint(path, net, optimizer, metrics, lr, loader, plan)
        return None
    except OSError as err:
        reason = err.strerror or type(err).__name__
        if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return pick(f"⚠️ 磁盘（或你的配额）满了，检查点 {path} 没能写入。训练继续进行，但这一轮没有存盘；"
                        "请删掉不再需要的旧检查点（例如 checkpoints/ 里的 .pt 文件）或别的大文件，"
                        "下一轮会再存。",
                        f"⚠️ The disk (or your quota) is full: the checkpoint {path} could not be "
                        "written. Training goes on, but this epoch is not saved; delete old "
                        "checkpoints you no longer need (the .pt files in checkpoints/, say) or "
                        "other large files, and the next epoch saves again.")
        return pick(f"⚠️ 无法写入检查点 {path}（{reason}）。训练继续进行，但这一轮没有存盘；"
                    "请换一个可写的路径，例如 checkpoint=\"checkpoints/vgg.pt\"。",
                    f"⚠️ Could not write the checkpoint {path} ({reason}). Training goes on, "
                    "but this epoch is not saved; use a writable path, e.g. "
                    "checkpoint=\"checkpoints/vgg.pt\".")


def _cannot_resume(path, why_zh: str, why_en: str) -> TrainingError:
    return TrainingError(
        f"无法从 {path} 继续训练：{why_zh}。网络没有被改动。请删除这个文件，或设 resume=False 从头训练。",
        f"Cannot resume from {path}: {why_en}. The network was not changed. Delete the "
        "file, or use resume=False to start over.")


def read_checkpoint(path, net, optimizer=None) -> dict:
    """Load and check a checkpoint against ``net`` (every key and shape); apply nothing."""
    try:
        # weights_only=True: a checkpoint is data, never code to run.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise _cannot_resume(path, f"文件已损坏或不是检查点（{type(err).__name__}）",
                             f"the file is damaged or not a checkpoint ({type(err).__name__})"
                             ) from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise _cannot_resume(path, "文件里不是本课程保存的检查点",
                             "the file does not hold a checkpoint saved by this course")
    mine = net.state_dict()
    saved = state["model"]
    missing = [k for k in mine if k not in saved]
    extra = [k for k in saved if k not in mine]
    if missing or extra:
        name = (missing or extra)[0]
        raise _cannot_resume(path, f"它属于另一个网络（参数 {name} 对不上）",
                             f"it belongs to a different network (parameter {name} does not match)")
    for k, v in mine.items():
        if not isinstance(saved[k], torch.Tensor) or tuple(saved[k].shape) != tuple(v.shape):
            got = tuple(getattr(saved[k], "shape", ()))
            raise _cannot_resume(path, f"它属于另一个网络（{k} 的形状是 {got}，这个网络要 {tuple(v.shape)}）",
                                 f"it belongs to a different network ({k} has shape {got}, "
                                 f"this network needs {tuple(v.shape)})")
    if optimizer is not None:
        groups = state.get("optimizer", {}).get("param_groups") if isinstance(
            state.get("optimizer"), dict) else None
        if (groups is None or len(groups) != len(optimizer.param_groups)
                or any(len(a["params"]) != len(b["params"])
                       for a, b in zip(groups, optimizer.param_groups))):
            raise _cannot_resume(path, "优化器的状态与这个网络不匹配",
                                 "its optimizer state does not match this network")
    metrics = state.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(m, dict) for m in metrics):
        raise _cannot_resume(path, "文件里的训练记录已损坏", "its training record is damaged")
    _check_random_state(path, state)
    return state


def _check_random_state(path, state: dict) -> None:
    """Try every saved random state on a scratch generator: a damaged one is refused
    here, before the network is touched, rather than half-way through restoring."""
    def bad(key):
        return _cannot_resume(path, f"它保存的随机数状态（{key}）已损坏",
                              f"its saved random state ({key}) is damaged")

    for key in ("torch_rng", "loader_rng"):
        value = state.get(key)
        if value is None and key == "loader_rng":
            continue
        try:
            torch.Generator().set_state(value)
        except (TypeError, RuntimeError):
            raise bad(key) from None
    cuda = state.get("cuda_rng")
    if cuda is None:
        return
    if not isinstance(cuda, list) or not all(isinstance(t, torch.Tensor) for t in cuda):
        raise bad("cuda_rng")
    if torch.cuda.is_available():
        for t in cuda[:torch.cuda.device_count()]:
            try:
                torch.Generator(device="cuda").set_state(t)
            except (TypeError, RuntimeError):
                raise bad("cuda_rng") from None


def check_resume_plan(path, state: dict, lr: float, num_epochs: int, schedule: str
                      ) -> list[str]:
    """Compare the run asked for with the one the checkpoint was saved by.

    A new ``lr`` wins (it is used from the next epoch on) and is announced; more or
    fewer epochs with the constant schedule are announced; a different schedule, or
    another number of epochs with the cosine schedule (whose learning rate depends
    on the total), is refused: the curve would jump mid-run. Returns the notes to
    print; a checkpoint saved before plans were kept is not compared.
    """
    plan = state.get("plan")
    if not isinstance(plan, dict):
        return []
    notes = []
    done = len(state.get("metrics", []))
    old_schedule, old_epochs, old_lr = (plan.get("schedule"), plan.get("num_epochs"),
                                        plan.get("lr"))
    if old_schedule in ("constant", "cosine") and old_schedule != schedule:
        raise _cannot_resume(path, f"它是用 schedule={old_schedule!r} 训练的，这次却是 "
                             f"schedule={schedule!r}；请用 schedule={old_schedule!r} 继续",
                             f"it was trained with schedule={old_schedule!r} and this run asks "
                             f"for schedule={schedule!r}; continue with "
                             f"schedule={old_schedule!r}")
    if isinstance(old_epochs, int) and old_epochs != num_epochs and schedule == "cosine":
        raise _cannot_resume(path, f"余弦学习率取决于总轮数：它按 num_epochs={old_epochs} "
                             f"安排，这次却是 {num_epochs}；请用 num_epochs={old_epochs} 继续",
                             f"the cosine learning rate depends on the total number of "
                             f"epochs: it was planned for num_epochs={old_epochs} and this "
                             f"run asks for {num_epochs}; continue with "
                             f"num_epochs={old_epochs}")
    if num_epochs <= done:
        # a finished run resumed as it was planned trains nothing: say so, not "0.0 examples/sec"
        notes.append(pick(f"提示：检查点 {path} 已经训练了 {done} 轮，num_epochs={num_epochs} "
                          "不会再训练；网络现在是检查点里的权重。要多训练几轮，就把 num_epochs "
                          f"调到 {done} 以上。",
                          f"Note: the checkpoint {path} already holds {epochs_en(done)}, so "
                          f"num_epochs={num_epochs} trains no more; the network now holds "
                          f"the checkpoint's weights. To train on, ask for more than {done}."))
    elif isinstance(old_epochs, int) and old_epochs != num_epochs:
        notes.append(pick(f"提示：检查点 {path} 原计划训练 {old_epochs} 轮，已完成 {done} 轮；"
                          f"这次继续训练到第 {num_epochs} 轮。",
                          f"Note: the checkpoint {path} was planned with num_epochs="
                          f"{old_epochs}, with {epochs_en(done)} done; this run goes on to epoch "
                          f"{num_epochs}."))
    if isinstance(old_lr, (int, float)) and float(old_lr) != float(lr) and num_epochs > done:
        notes.append(pick(f"提示：前 {done} 轮用的是 lr={old_lr:g}；从第 {done + 1} 轮起用新的 "
                          f"lr={lr:g}（history.lr 记的是新的）。",
                          f"Note: the first {epochs_en(done)} used lr={old_lr:g}; from epoch "
                          f"{done + 1} on the new lr={lr:g} is used (history.lr is the new one)."))
    return notes


def epochs_en(n: int) -> str:
    """"1 epoch", "2 epochs": English counts the way a student writes them."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def apply_checkpoint(state: dict, net, optimizer=None, loader=None, lr: float | None = None
                     ) -> list[dict]:
    """Put a checked checkpoint into ``net``/``optimizer``/``loader``; return its metrics.

    ``lr``: the learning rate this run uses from now on (the saved optimizer carries
    the old one).
    """
    net.load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
        if lr is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr
    if isinstance(state.get("torch_rng"), torch.Tensor):
        torch.set_rng_state(state["torch_rng"])
    cuda = state.get("cuda_rng")
    if isinstance(cuda, list) and cuda and torch.cuda.is_available():
        for i, t in enumerate(cuda[:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(t, i)
    gen = _loader_generator(loader)
    if gen is not None and isinstance(state.get("loader_rng"), torch.Tensor):
        gen.set_state(state["loader_rng"])
    return [dict(m) for m in state.get("metrics", [])]


def load_checkpoint(path, net, optimizer=None, loader=None) -> list[dict]:
    """Check, then restore weights, optimizer and random state; return the saved metrics."""
    return apply_checkpoint(read_checkpoint(path, net, optimizer), net, optimizer, loader)
