"""Checkpoints: written atomically, checked completely before anything is loaded.

A checkpoint holds the weights, the optimizer, the finished epochs' metrics and
the random state (torch's and the training loader's shuffle), so a resumed run
sees the same batches in the same order as one that was never interrupted.
"""

from __future__ import annotations

import os
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


def save_checkpoint(path, net, optimizer, metrics: list[dict], lr: float, loader=None) -> None:
    """Write atomically: a Ctrl-C or a full disk never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    gen = _loader_generator(loader)
    state = {"format": CHECKPOINT_FORMAT, "epoch": len(metrics), "lr": float(lr),
             "model": net.state_dict(), "optimizer": optimizer.state_dict(),
             "metrics": [dict(m) for m in metrics], "torch_rng": torch.get_rng_state(),
             "loader_rng": gen.get_state() if gen is not None else None}
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_or_warn(path, net, optimizer, metrics, lr, loader=None) -> str | None:
    """Save; on failure return a warning for the student (training goes on)."""
    try:
        save_checkpoint(path, net, optimizer, metrics, lr, loader)
        return None
    except OSError as err:
        reason = err.strerror or type(err).__name__
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
    return state


def apply_checkpoint(state: dict, net, optimizer=None, loader=None) -> list[dict]:
    """Put a checked checkpoint into ``net``/``optimizer``/``loader``; return its metrics."""
    net.load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    if isinstance(state.get("torch_rng"), torch.Tensor):
        torch.set_rng_state(state["torch_rng"])
    gen = _loader_generator(loader)
    if gen is not None and isinstance(state.get("loader_rng"), torch.Tensor):
        gen.set_state(state["loader_rng"])
    return [dict(m) for m in state.get("metrics", [])]


def load_checkpoint(path, net, optimizer=None, loader=None) -> list[dict]:
    """Check, then restore weights, optimizer and random state; return the saved metrics."""
    return apply_checkpoint(read_checkpoint(path, net, optimizer), net, optimizer, loader)
