"""What every lesson's first cell does: language, quiet errors, repeatable output."""

from __future__ import annotations

import torch

from .messages import set_lang, show_errors_briefly


def start_lesson(lang: str, seed: int = 0) -> None:
    """Set the lesson's language, show course errors as one line, fix the seeds.

    A fixed ``svg.hashsalt`` keeps matplotlib's SVG output identical from run to
    run, so stored notebooks do not change when nothing changed. In Chinese,
    plots need a font with Chinese glyphs; without one the labels would be boxes,
    so we say how to install one.
    """
    import matplotlib

    from .figures import cjk_font

    set_lang(lang)
    show_errors_briefly(lang)
    torch.manual_seed(seed)
    matplotlib.rcParams["svg.hashsalt"] = "vgg-course"
    if lang == "zh":
        font = cjk_font(required=False)
        if font is None:
            print("提示：没有找到中文字体，图里的中文会显示成方框。可以安装一个（例如 "
                  "sudo apt-get install fonts-wqy-microhei），再删除 ~/.cache/matplotlib。")
        else:
            matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
