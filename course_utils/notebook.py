"""What every lesson's first cell does: language, quiet errors, repeatable output."""

from __future__ import annotations

import torch

from .messages import set_lang, show_errors_briefly


def start_lesson(lang: str, seed: int = 0) -> None:
    """Set the lesson's language, show course errors as one line, fix the seeds.

    Plots are stored as PNG and SVG: JupyterLab shows the PNG in a notebook it does
    not trust yet (a stored SVG counts as unsafe there), and the SVG once the cells
    ran, and the slide decks use the SVG (sharp on a projector, its text measurable).
    Their text is at least ``figures.draw.MIN_TEXT_PT``. A fixed ``svg.hashsalt`` keeps
    matplotlib's SVG output identical from run to run, so stored notebooks do not
    change when nothing changed. In Chinese, every
    later plot (training curve, image grids, widgets) must draw Chinese: the
    course's font comes from pip (``noto-cjk-sans-otc``) and is switched on here
    for the whole kernel by :func:`course_utils.figures.use_cjk_font`.
    """
    import matplotlib

    from .figures import FONT_HINT, use_cjk_font
    from .figures.draw import PLOT_RC

    set_lang(lang)
    show_errors_briefly(lang)
    torch.manual_seed(seed)
    matplotlib.rcParams["svg.hashsalt"] = "vgg-course"
    matplotlib.rcParams.update(PLOT_RC)
    _store_plots_as_png_and_svg()
    if lang == "zh" and use_cjk_font() is None:
        # Only when the set-up was skipped: say, in Chinese, the one pip command.
        print("提示：" + FONT_HINT[0])


def _store_plots_as_png_and_svg() -> None:
    """Inline figures in both formats (nothing to do outside IPython)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        # no creation date in the SVG: an unchanged plot stores the same bytes
        set_matplotlib_formats("png", "svg", metadata={"Date": None})
