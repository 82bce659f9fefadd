"""What every lesson's first cell does: language, quiet errors, repeatable output."""

from __future__ import annotations

import torch

from .messages import set_lang, show_errors_briefly


def start_lesson(lang: str, seed: int = 0) -> None:
    """Set the lesson's language, show course errors as one line, fix the seeds.

    A fixed ``svg.hashsalt`` keeps matplotlib's SVG output identical from run to
    run, so stored notebooks do not change when nothing changed. In Chinese, every
    later plot (training curve, image grids, widgets) must draw Chinese: the
    course's font comes from pip (``noto-cjk-sans-otc``) and is switched on here
    for the whole kernel by :func:`course_utils.figures.use_cjk_font`.
    """
    import matplotlib

    from .figures import FONT_HINT, use_cjk_font

    set_lang(lang)
    show_errors_briefly(lang)
    torch.manual_seed(seed)
    matplotlib.rcParams["svg.hashsalt"] = "vgg-course"
    if lang == "zh" and use_cjk_font() is None:
        # Only when the set-up was skipped: say, in Chinese, the one pip command.
        print("提示：" + FONT_HINT[0])
