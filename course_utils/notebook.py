"""What every lesson's first cell does: language, quiet errors, repeatable output."""

from __future__ import annotations

import torch

from .messages import set_lang, show_errors_briefly


def start_lesson(lang: str, seed: int = 0) -> None:
    """Set the lesson's language, show course errors as one line, fix the seeds.

    A fixed ``svg.hashsalt`` keeps matplotlib's SVG output identical from run to
    run, so stored notebooks do not change when nothing changed.
    """
    import matplotlib

    set_lang(lang)
    show_errors_briefly(lang)
    torch.manual_seed(seed)
    matplotlib.rcParams["svg.hashsalt"] = "vgg-course"
