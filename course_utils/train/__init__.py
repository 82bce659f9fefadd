"""Training for the lesson: d2l's ``train_ch6``, faster, watched live, and nothing lost.

One module per concern:

* ``loop``: ``train_ch6``, ``History``, ``evaluate_accuracy``, weight init, checks;
* ``device``: which device, checked before use; memory layout;
* ``precision``: fp32 / bf16 / fp16 chosen by timing real steps, cached;
* ``memory``: glibc tuning that keeps freed memory for the next batch;
* ``live``: the live figure, progress bar and text lines;
* ``checkpoints``: atomic saves, complete checks before a resume;
* ``profiles``: ``reference`` (the book), ``cpu-quick``, ``smoke``;
* ``cli``: ``python -m course_utils.train --profile NAME``.
"""

from .checkpoints import load_checkpoint, read_checkpoint, save_checkpoint
from .cli import main
from .device import memory_format, try_gpu, usable_device
from .live import LiveView, in_notebook
from .loop import (INITS, SCHEDULES, History, check_net_fits_data, evaluate_accuracy,
                   init_weights, lr_at, summary_lines, train_ch6)
from .memory import reuse_freed_memory
from .precision import PRECISIONS, PrecisionChoice, choose_precision
from .profiles import (PROFILES, Profile, build_net, choose_profile, get_profile, profile_data,
                       run_profile)

__all__ = ["History", "INITS", "LiveView", "PRECISIONS", "PROFILES", "PrecisionChoice",
           "Profile", "SCHEDULES", "build_net", "check_net_fits_data", "choose_precision",
           "choose_profile", "evaluate_accuracy", "get_profile", "in_notebook", "init_weights",
           "load_checkpoint", "lr_at", "main", "memory_format", "profile_data",
           "read_checkpoint", "reuse_freed_memory", "run_profile", "save_checkpoint",
           "summary_lines", "train_ch6", "try_gpu", "usable_device"]
