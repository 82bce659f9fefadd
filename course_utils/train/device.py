"""Which device to train on, checked before anything is touched, and how to feed it."""

from __future__ import annotations

import torch

from ..messages import CourseError


def try_gpu(i: int = 0) -> torch.device:
    """``cuda:i`` if that GPU exists, else Apple's ``mps``, else ``cpu``."""
    if torch.cuda.device_count() > i:
        return torch.device(f"cuda:{i}")
    if mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def usable_device(device=None) -> torch.device:
    """``device`` as a ``torch.device`` that this machine really has, else a CourseError.

    Called before the network or the data are moved, so a wrong device costs nothing.
    """
    if device is None:
        return try_gpu()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise CourseError(
            f"不认识的设备 {device!r}：请写 'cpu'、'cuda'、'cuda:0' 或 'mps'，或者干脆不写 device。",
            f"Unknown device {device!r}: write 'cpu', 'cuda', 'cuda:0' or 'mps', "
            "or leave device out.") from None
    missing = ((device.type == "cuda" and torch.cuda.device_count() <= (device.index or 0))
               or (device.type == "mps" and not mps_available())
               or device.type not in ("cpu", "cuda", "mps"))
    if missing:
        raise CourseError(
            f"这台机器上没有 {device}。不写 device（或用 try_gpu()）会自动选择可用的设备。",
            f"This machine has no {device}. Leave device out (or use try_gpu()) "
            "to pick what is there.")
    return device


def memory_format(device: torch.device):
    """channels-last on CPU and CUDA, where oneDNN and cuDNN run their fastest
    convolutions on it; MPS has had correctness bugs with it, so the default there."""
    return torch.channels_last if device.type in ("cpu", "cuda") else torch.contiguous_format


def layout_name(fmt) -> str:
    return "channels-last" if fmt == torch.channels_last else "NCHW"


def to_device(X: torch.Tensor, device: torch.device, fmt) -> torch.Tensor:
    """Move a batch to the device, images (B, C, H, W) in the fast memory layout."""
    X = X.to(device, non_blocking=True)
    return X.contiguous(memory_format=fmt) if X.dim() == 4 else X


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so a clock read afterwards measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.synchronize()
