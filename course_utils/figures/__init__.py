"""The lesson's four pictures, drawn by code so they can be corrected and translated.

``make images`` (``python -m course_utils.figures``) writes, for each figure and
each language, ``Images/<name>.<lang>.svg``:

* ``modularization``: neuron -> layer -> block -> network;
* ``vgg_block``: n x (3x3 conv, padding 1, ReLU) -> 2x2 max-pool, with shapes;
* ``vgg``: AlexNet beside VGG-11, block by block, with channels and sizes;
* ``model_zoo``: ImageNet accuracy against measured speed, bubble area = weights file size.

Every shape in these pictures comes from :func:`course_utils.shapes.layer_table`,
the one place that computes shapes; the model-zoo numbers come from torchvision's
own weights metadata plus speeds measured on a real machine (cached in
``model_zoo_speeds.json``; ``python -m course_utils.figures --measure`` redoes it).

Why the SVGs look the same on every machine, and regenerate byte for byte:

* text is stored as glyph outlines (``svg.fonttype = 'path'``), drawn with
  matplotlib's DejaVu Sans and the course's Chinese font from pip (Noto Sans CJK
  SC, package ``noto-cjk-sans-otc``), so a viewer with no Chinese font sees the same
  picture; each glyph is stored once and reused;
* only those two fonts are visible to matplotlib while a figure is drawn, so the
  fonts installed on the machine never change a byte;
* every label is anchored on its baseline, so no layout depends on a label's width;
* ``svg.hashsalt`` is fixed and the date is left out of the metadata.

:func:`use_cjk_font` sets the same fonts for every other figure a lesson draws.

The modules, by concern:

* ``fonts``: which fonts draw Latin and Chinese, for the figures, the lessons' plots
  and the slide decks;
* ``draw``: boxes, arrows and baseline-anchored text on a canvas measured in inches;
* ``lesson_figures``: modularization, one VGG block, AlexNet beside VGG-11;
* ``model_zoo``: torchvision's metadata and the measured speeds; ``model_zoo_chart``
  draws them;
* ``images``: one figure as SVG/PNG bytes, ``Images/`` written, the command line.
"""

from .fonts import (CJK_FONTS, COURSE_CJK_FONT, FONT_HINT, LATIN_FONT, cjk_font,
                    cjk_font_path, cjk_rc, course_font_file, register_course_font, use_cjk_font)
from .images import (FIGURE_NAMES, IMAGES_DIR, figure_path, main, make_images, render,
                     show)
from .lesson_figures import (EXAMPLE_BLOCK, draw_modularization, draw_vgg, draw_vgg_block,
                             vgg_block_example)
from .model_zoo import (FAMILIES, FAMILY_COLORS, MODEL_ZOO, ORIGINAL_WEIGHTS, SPEED_DEFAULTS,
                        SPEEDS_FILE, family, load_speeds, machine_info, measure_speed,
                        how_trained, measure_speeds, model_meta, model_weights, model_zoo_table,
                        save_speeds)
from .model_zoo_chart import draw_model_zoo

__all__ = [
    "CJK_FONTS", "COURSE_CJK_FONT", "FONT_HINT", "LATIN_FONT", "cjk_font", "cjk_font_path",
    "cjk_rc", "course_font_file", "register_course_font", "use_cjk_font",
    "FIGURE_NAMES", "IMAGES_DIR", "figure_path", "main", "make_images", "render", "show",
    "EXAMPLE_BLOCK", "draw_modularization", "draw_vgg", "draw_vgg_block", "vgg_block_example",
    "FAMILIES", "FAMILY_COLORS", "MODEL_ZOO", "ORIGINAL_WEIGHTS", "SPEED_DEFAULTS",
    "SPEEDS_FILE", "family", "how_trained", "load_speeds", "machine_info", "measure_speed", "measure_speeds",
    "model_meta", "model_weights", "model_zoo_table", "save_speeds", "draw_model_zoo",
]
