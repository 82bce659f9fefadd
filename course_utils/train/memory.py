"""glibc tuning: keep freed memory in the process while a CPU trains."""

from __future__ import annotations

import contextlib
import ctypes
import platform
import sys

# glibc's mallopt() parameters (malloc.h) and its defaults, restored after training.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_GLIBC_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_TOP_PAD: 128 * 1024,
                   _M_MMAP_THRESHOLD: 128 * 1024}


def _glibc():
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


@contextlib.contextmanager
def reuse_freed_memory(enabled: bool = True):
    """While training on a CPU, keep freed memory in the process for the next batch.

    By default glibc hands every block over 128 KiB straight back to the kernel,
    and the next batch asks for it again: the kernel then zero-fills every page
    once more. A VGG at 224 allocates ~2 GB per batch that way, and measured here
    a third of the CPU time went to those page faults. Raising the thresholds
    makes the allocator reuse the blocks instead: 1.2x faster at input 96, 1.6x at
    32 and 224 on this project's 2-core machine. Afterwards the defaults come back
    and the memory is returned. glibc only (Linux); elsewhere this does nothing.
    Nested uses are harmless: only the outermost one restores the defaults.
    """
    global _depth
    libc = _glibc() if enabled else None
    if libc is None:
        yield
        return
    _depth += 1
    if _depth == 1:
        libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(1 << 30))   # big blocks from the heap...
        libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(2**31 - 1))  # ...never trimmed meanwhile
        libc.mallopt(_M_TOP_PAD, ctypes.c_int(256 << 20))          # grow the heap in big steps
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for param, value in _GLIBC_DEFAULTS.items():
                libc.mallopt(param, ctypes.c_int(value))
            libc.malloc_trim(ctypes.c_size_t(0))                   # give the memory back now


_depth = 0
