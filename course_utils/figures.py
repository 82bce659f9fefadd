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
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import logging
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import matplotlib
import torch
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import NullLocator
from matplotlib.transforms import ScaledTranslation
from torch import nn

from .machine import cpu_name
from .messages import LANGS, CourseError, get_lang, pick
from .models import VGG11, alexnet, vgg
from .shapes import layer_table, shape_text

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = REPO_ROOT / "Images"
SPEEDS_FILE = Path(__file__).resolve().parent / "model_zoo_speeds.json"
FIGURE_NAMES = ("modularization", "vgg_block", "vgg", "model_zoo")

# ---------------------------------------------------------------------------
# Fonts and deterministic output
# ---------------------------------------------------------------------------

# The course's Chinese font comes from pip (requirements.txt: noto-cjk-sans-otc),
# so no root and no apt is needed: Noto Sans CJK, one .ttc file holding the SC, TC,
# JP, KR and HK faces. matplotlib >= 3.11 registers every face of a .ttc, and we ask
# for the Simplified Chinese one; older matplotlib registers only the first face
# (JP), which still draws every Chinese character, a few in Japanese forms.
COURSE_CJK_FONT = "Noto Sans CJK SC"
# System fonts with Chinese glyphs, used only when the pip font is missing.
CJK_FONTS = [COURSE_CJK_FONT, "Noto Sans CJK JP", "Source Han Sans SC",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "PingFang SC", "Hiragino Sans GB",
             "Microsoft YaHei", "SimHei", "Droid Sans Fallback"]
# DejaVu Sans (shipped with matplotlib) draws Latin letters and digits, the same
# in both languages; a character it lacks (Chinese) falls through to the CJK font.
LATIN_FONT = "DejaVu Sans"

SVG_RC = {
    # Text becomes glyph outlines, so a viewer with no Chinese font (a fresh browser,
    # a slide deck on a classroom PC) sees the same picture; each glyph is stored once.
    "svg.fonttype": "path",
    "svg.hashsalt": "vgg-course",    # fixed ids for clip paths: same bytes every run
    "font.family": [LATIN_FONT, COURSE_CJK_FONT],
    "font.size": 11,
    "axes.unicode_minus": False,     # a plain "-" exists in every font
}
SVG_METADATA = {"Date": None, "Creator": "course_utils.figures (vgg-course)"}
PNG_METADATA = {"Software": None}

FONT_HINT = (
    "找不到中文字体，图里的中文会画成方框。课程的字体来自 pip：\n"
    "  pip install noto-cjk-sans-otc（或 make setup，会安装 requirements.txt 里的全部依赖）\n"
    "装好后重启内核即可，不需要 root。",
    "No Chinese (CJK) font was found, so Chinese would be drawn as boxes. The course's "
    "font comes from pip:\n"
    "  pip install noto-cjk-sans-otc (or make setup, which installs requirements.txt)\n"
    "then restart the kernel; no root is needed.",
)


def course_font_file() -> Path | None:
    """The Noto Sans CJK file that pip installed with the course, or ``None``."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the CJK font has no bold face.

    The pip font is Regular only; bold Chinese is drawn regular, which is fine, and
    the English notice would otherwise print under a Chinese lesson's plots.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


_NO_BOLD_NOTICE = _NoBoldNotice()


def _quiet_bold_notice() -> None:
    logger = logging.getLogger("matplotlib.font_manager")
    if _NO_BOLD_NOTICE not in logger.filters:
        logger.addFilter(_NO_BOLD_NOTICE)


def _clear_font_caches() -> None:
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()


def register_course_font() -> str | None:
    """Make the pip font known to matplotlib; return the family name to ask for.

    Idempotent. The course font's entries go to the front of matplotlib's list, so
    a system font of the same name (e.g. apt's fonts-noto-cjk, another version)
    never replaces it: the figures look, and the SVGs hash, the same everywhere.
    """
    path = course_font_file()
    if path is None:
        return None
    _quiet_bold_notice()
    fm = font_manager.fontManager
    ours = [f for f in fm.ttflist if Path(f.fname) == path]
    if not ours:
        before = len(fm.ttflist)
        fm.addfont(str(path))
        ours = fm.ttflist[before:]
    if fm.ttflist[:len(ours)] != ours:
        fm.ttflist = ours + [f for f in fm.ttflist if Path(f.fname) != path]
        _clear_font_caches()
    names = [f.name for f in ours]
    return COURSE_CJK_FONT if COURSE_CJK_FONT in names else (names[0] if names else None)


def cjk_font(required: bool = True) -> str | None:
    """Name of a font with Chinese glyphs: the course's pip font, else a system one.

    Raises :class:`CourseError` saying how to install the course's font when none
    is found and ``required``; returns ``None`` otherwise.
    """
    course = register_course_font()
    if course is not None:
        return course
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    if required:
        raise CourseError(*FONT_HINT)
    return None


def cjk_font_path() -> Path | None:
    """The file of the font :func:`cjk_font` names (for the slide decks, which embed
    a subset of the same font): the pip font, else a system CJK font, else ``None``."""
    name = cjk_font(required=False)
    if name is None:
        return None
    course = course_font_file()
    if course is not None:
        return course
    return next(Path(f.fname) for f in font_manager.fontManager.ttflist if f.name == name)


def cjk_rc() -> dict:
    """rcParams that draw Chinese (``{}`` with no CJK font): for ``rc_context`` around
    a figure made without pyplot, or, its ``font.family``, as one text's
    ``fontfamily=`` (see ``display.show_images``)."""
    name = cjk_font(required=False)
    return {"font.family": [LATIN_FONT, name]} if name else {}


def use_cjk_font(required: bool = False) -> str | None:
    """Draw Chinese in every later matplotlib figure of this kernel.

    The one place that chooses the course's fonts: sets ``rcParams`` so that Latin
    text uses DejaVu Sans and Chinese the course's Noto Sans CJK SC (a system CJK
    font only when the pip one is missing). ``start_lesson("zh")`` calls it, so the
    training curve, image grids and widgets drawn later in a lesson are covered.
    Returns the CJK font's name, or ``None`` (with ``required`` false) if there is none.
    """
    name = cjk_font(required=required)
    if name is None:
        return None
    # matplotlib falls back glyph by glyph only along the family *list*: a generic
    # "sans-serif" resolves to one font. So the list names both fonts, and a plot
    # that asks for "sans-serif" explicitly gets the CJK font (it has Latin too).
    matplotlib.rcParams["font.family"] = [LATIN_FONT, name]
    matplotlib.rcParams["font.sans-serif"] = [name] + [
        f for f in matplotlib.rcParams["font.sans-serif"] if f != name]
    return name


@contextlib.contextmanager
def _only_course_fonts():
    """Let matplotlib see only its own fonts and the course's pip font.

    With text stored as outlines, the SVG's bytes depend on the fonts used; hiding
    the system's fonts makes ``make images`` give the same files on every machine.
    """
    fm = font_manager.fontManager
    course = course_font_file()
    data = Path(matplotlib.get_data_path()).resolve()
    saved = fm.ttflist
    fm.ttflist = [f for f in saved
                  if Path(f.fname) == course or data in Path(f.fname).resolve().parents]
    _clear_font_caches()
    try:
        yield
    finally:
        fm.ttflist = saved
        _clear_font_caches()


@contextlib.contextmanager
def _no_missing_glyphs():
    """Turn a missing glyph into an error while drawing a course figure.

    The figures are drawn with the course font, so a missing glyph is a bug (a
    character no font has), not something to hide.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing from")
        yield


def _rc(fmt: str, lang: str) -> dict:
    """rcParams for one figure: the course font when it exists (it must, for zh)."""
    cjk = register_course_font() if fmt == "svg" else cjk_font(required=False)
    if lang == "zh" and cjk is None:
        raise CourseError(*FONT_HINT)
    return {**SVG_RC, "font.family": [LATIN_FONT] + ([cjk] if cjk else [])}


def render(name: str, lang: str | None = None, fmt: str = "svg", **kwargs) -> bytes:
    """The bytes of one figure (``fmt`` "svg" or "png") in one language.

    SVG is drawn with matplotlib's own fonts and the course's pip font only, so the
    bytes are the same on every machine; PNG (a quick look) may fall back to a
    system CJK font when the pip one is missing.
    """
    lang = get_lang(lang)
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    draw = _DRAW[_check_name(name)]
    rc = _rc(fmt, lang)
    buf = io.BytesIO()
    fonts = _only_course_fonts() if fmt == "svg" else contextlib.nullcontext()
    # A bare Figure, not pyplot: no backend is switched and nothing pops up inline
    # in the notebook that calls this.
    with matplotlib.rc_context(rc), fonts, _no_missing_glyphs():
        fig = draw(lang, **kwargs)
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata=SVG_METADATA)
        else:
            fig.savefig(buf, format="png", dpi=150, metadata=PNG_METADATA)
    return buf.getvalue()


def show(name: str, lang: str | None = None, **kwargs):
    """Display one figure in a notebook (as SVG, its text already turned into outlines)."""
    from IPython.display import SVG
    return SVG(render(name, lang, "svg", **kwargs))


def figure_path(name: str, lang: str, out_dir: Path | str = IMAGES_DIR, fmt: str = "svg") -> Path:
    """Where ``make images`` puts one figure: ``Images/<name>.<lang>.<fmt>``."""
    return Path(out_dir) / f"{_check_name(name)}.{get_lang(lang)}.{fmt}"


def make_images(out_dir: Path | str = IMAGES_DIR, names=FIGURE_NAMES, langs=LANGS) -> list[Path]:
    """Write every figure in every language; return the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        for lang in langs:
            path = figure_path(name, lang, out_dir)
            path.write_bytes(render(name, lang, "svg"))
            written.append(path)
    return written


def _check_name(name: str) -> str:
    if name not in FIGURE_NAMES:
        raise CourseError(f"没有名为 {name!r} 的图；可选：{', '.join(FIGURE_NAMES)}。",
                          f"There is no figure named {name!r}; choose from "
                          f"{', '.join(FIGURE_NAMES)}.")
    return name


# ---------------------------------------------------------------------------
# Drawing helpers: one axes in inches, text anchored on baselines
# ---------------------------------------------------------------------------

# (fill, edge) per kind of layer; the same colours in every figure.
COLORS = {
    "input": ("#eeeeee", "#777777"),
    "conv": ("#d6e6f5", "#2f6aa3"),
    "relu": ("#dcefd9", "#3f8a3a"),
    "pool": ("#fde3c8", "#c76b16"),
    "fc": ("#e7dcf2", "#6f4a9b"),
    "block": ("#f4f8fc", "#2f6aa3"),
}
GREY = "#555555"


def _canvas(width: float, height: float):
    """A figure whose data coordinates are inches, origin bottom left."""
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def _text(ax, x, y, s, size=11, ha="center", **kw):
    """One line of text with its *baseline* at y.

    Baseline anchoring is what keeps the SVG independent of the font matplotlib
    finds: the position written is (x, y) whatever the glyphs measure.
    """
    return ax.text(x, y, s, fontsize=size, ha=ha, va="baseline",
                   rotation_mode="anchor", **kw)


def _lines(ax, x, yc, lines, size=11, ha="center", colors=None, weights=None):
    """Lines of text centred (visually) on yc; lines are given top to bottom."""
    em = size / 72                       # one em, in inches
    step = 1.3 * em
    # The visual middle of a line sits about 0.36 em above its baseline.
    top = yc + (len(lines) - 1) * step / 2 - 0.36 * em
    for i, line in enumerate(lines):
        color = colors[i] if colors else "black"
        weight = weights[i] if weights else "normal"
        _text(ax, x, top - i * step, line, size, ha=ha, color=color, fontweight=weight)


def _box(ax, xc, yc, w, h, kind, lines=(), size=11, dashed=False, colors=None, weights=None):
    """A rounded box centred on (xc, yc) holding lines of text."""
    fill, edge = COLORS[kind]
    ax.add_patch(FancyBboxPatch((xc - w / 2, yc - h / 2), w, h,
                                boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=fill, edgecolor=edge, linewidth=1.2,
                                linestyle="--" if dashed else "-"))
    if lines:
        _lines(ax, xc, yc, lines, size, colors=colors, weights=weights)


def _arrow(ax, start, end, color=GREY, width=1.3):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                 color=color, linewidth=width, shrinkA=0, shrinkB=0))


def _shape(shape) -> str:
    """``(1, 256, 28, 28)`` -> ``'256×28×28'`` (the batch dimension dropped)."""
    return shape_text(shape[1:])


# ---------------------------------------------------------------------------
# Figure 1: modularization
# ---------------------------------------------------------------------------

def draw_modularization(lang: str):
    fig, ax = _canvas(11.6, 4.2)
    mid = 2.25
    titles = [pick("神经元", "neuron", lang), pick("层", "layer", lang),
              pick("块", "block", lang), pick("网络", "network", lang)]
    captions = [
        [pick("加权求和，再经过非线性", "a weighted sum, then a nonlinearity", lang),
         "y = σ(w · x + b)"],
        [pick("许多神经元并排", "many neurons side by side", lang),
         pick("例：一个 3×3 卷积层", "e.g. one 3×3 conv layer", lang)],
        [pick("层的一种重复模式", "a repeated pattern of layers", lang),
         pick("例：一个 VGG 块", "e.g. one VGG block", lang)],
        [pick("把块堆叠起来，再接全连接层", "blocks stacked, then dense layers", lang),
         pick("例：VGG-11（5 个块）", "e.g. VGG-11 (5 blocks)", lang)],
    ]
    centers = [1.65, 4.35, 7.15, 9.95]
    for xc, title, caption in zip(centers, titles, captions):
        _text(ax, xc, 3.8, title, 15, fontweight="bold")
        _lines(ax, xc, 0.55, caption, 10.5, colors=["black", GREY])
    for left, right in zip(centers, centers[1:]):
        _arrow(ax, (left + 0.95, mid), (right - 0.85, mid), width=2)

    # A neuron: three inputs, one output.
    fill, edge = COLORS["conv"]
    x0 = centers[0]
    for dy in (0.55, 0.0, -0.55):
        _arrow(ax, (x0 - 0.95, mid + dy), (x0 - 0.3 * (1 - abs(dy) / 2), mid + dy * 0.35))
    ax.add_patch(Circle((x0, mid), 0.3, facecolor=fill, edgecolor=edge, linewidth=1.5))
    _text(ax, x0, mid - 0.06, "σ", 14, color=edge)
    _arrow(ax, (x0 + 0.3, mid), (x0 + 0.75, mid))

    # A layer: a column of neurons in one frame.
    x1 = centers[1]
    ax.add_patch(FancyBboxPatch((x1 - 0.4, mid - 1.15), 0.8, 2.3,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor=COLORS["conv"][0], edgecolor=edge, linewidth=1.2))
    for k in range(5):
        ax.add_patch(Circle((x1, mid - 0.88 + k * 0.44), 0.16,
                            facecolor="white", edgecolor=edge, linewidth=1.2))

    # A block: conv, ReLU, conv, ReLU, max-pool in a dashed frame.
    x2 = centers[2]
    ax.add_patch(FancyBboxPatch((x2 - 0.85, mid - 1.2), 1.7, 2.4,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor=COLORS["block"][0], edgecolor=COLORS["block"][1],
                                linewidth=1.2, linestyle="--"))
    layers = [("conv", pick("3×3 卷积", "3×3 conv", lang)), ("relu", "ReLU"),
              ("conv", pick("3×3 卷积", "3×3 conv", lang)), ("relu", "ReLU"),
              ("pool", pick("最大池化", "max-pool", lang))]
    for k, (kind, label) in enumerate(layers):
        _box(ax, x2, mid + 0.86 - k * 0.43, 1.4, 0.33, kind, [label], 9.5)

    # A network: five blocks, then three dense layers.
    x3 = centers[3]
    for k in range(5):
        y = mid + 1.0 - k * 0.36
        _box(ax, x3, y, 1.3, 0.28, "block", dashed=True)
        _box(ax, x3 - 0.22, y, 0.7, 0.16, "conv")
        _box(ax, x3 + 0.4, y, 0.3, 0.16, "pool")
    for k in range(3):
        _box(ax, x3, mid - 0.85 - k * 0.17, 1.0, 0.11, "fc")
    return fig


# ---------------------------------------------------------------------------
# Figure 2: one VGG block
# ---------------------------------------------------------------------------

EXAMPLE_BLOCK = 3  # VGG-11's third block: two convolutions, 128 -> 256 channels


def vgg_block_example(block: int = EXAMPLE_BLOCK, input_size: int = 224):
    """Shapes through one VGG-11 block: ``(input_shape, [(layer name, output shape)])``.

    Built on the meta device and measured by :func:`layer_table`.
    """
    with torch.device("meta"):
        net = vgg(VGG11, input_size=input_size)
    rows = layer_table(net, (1, 1, input_size, input_size))
    in_shape = rows[block - 2].output_shape if block > 1 else (1, 1, input_size, input_size)
    inner = layer_table(net[block - 1], in_shape)
    return in_shape, [(r.name, r.output_shape) for r in inner]


def draw_vgg_block(lang: str):
    fig, ax = _canvas(11, 4.9)
    _text(ax, 0.3, 4.45, pick("VGG 块", "A VGG block", lang), 16, ha="left", fontweight="bold")

    # Row 1: the general block.
    y = 3.3
    _box(ax, 0.95, y, 1.3, 0.95, "input", [pick("输入", "input", lang), "c_in × h × w"], 10.5)
    _arrow(ax, (1.6, y), (2.05, y))
    ax.add_patch(FancyBboxPatch((2.1, y - 0.78), 4.0, 1.56,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor=COLORS["block"][0], edgecolor=COLORS["block"][1],
                                linewidth=1.2, linestyle="--"))
    _text(ax, 5.95, y + 0.5, pick("重复 n 次", "× n", lang), 12, ha="right",
          color=COLORS["block"][1], fontweight="bold")
    _box(ax, 3.3, y - 0.1, 2.1, 0.9, "conv",
         [pick("3×3 卷积", "3×3 convolution", lang), pick("填充 1", "padding 1", lang),
          pick("c_out 个输出通道", "c_out channels", lang)], 10.5)
    _arrow(ax, (4.35, y - 0.1), (4.75, y - 0.1))
    _box(ax, 5.35, y - 0.1, 1.2, 0.9, "relu", ["ReLU"], 11)
    _arrow(ax, (6.1, y), (6.55, y))
    _box(ax, 7.6, y, 2.1, 0.95, "pool",
         [pick("2×2 最大池化", "2×2 max-pool", lang), pick("步幅 2", "stride 2", lang)], 10.5)
    _arrow(ax, (8.65, y), (9.1, y))
    _box(ax, 9.95, y, 1.7, 0.95, "input",
         [pick("输出", "output", lang), "c_out × h/2 × w/2"], 10.5)
    _text(ax, 4.1, y - 1.08, pick("高、宽不变（填充 1 抵消了 3×3 核）",
                                  "height, width unchanged (padding 1 offsets the 3×3 kernel)",
                                  lang), 9.5, color=GREY)
    _text(ax, 7.6, y - 1.08, pick("高、宽减半", "height, width halved", lang), 9.5, color=GREY)

    # Row 2: a real block with the shapes layer_table measures.
    in_shape, layers = vgg_block_example()
    n_convs = sum(name == "Conv2d" for name, _ in layers)
    _text(ax, 0.3, 1.55,
          pick(f"例：VGG-11 的第 {EXAMPLE_BLOCK} 块，n = {n_convs}，输入图像 224×224"
               "（形状为 通道×高×宽）",
               f"Example: block {EXAMPLE_BLOCK} of VGG-11, n = {n_convs}, 224×224 input image "
               "(shapes are channels×height×width)", lang),
          10.5, ha="left", color=GREY)
    labels = {"Conv2d": ("conv", pick("3×3 卷积", "3×3 conv", lang)),
              "ReLU": ("relu", "ReLU"),
              "MaxPool2d": ("pool", pick("最大池化", "max-pool", lang))}
    steps = [("input", pick("输入", "input", lang), in_shape)]
    steps += [(*labels[name], shape) for name, shape in layers]
    xs = [0.95 + k * (9.0 / (len(steps) - 1)) for k in range(len(steps))]
    for k, ((kind, label, shape), x) in enumerate(zip(steps, xs)):
        _box(ax, x, 0.75, 1.4, 0.72, kind, [label, _shape(shape)], 10.5,
             colors=["black", "#222222"], weights=["normal", "bold"])
        if k:
            _arrow(ax, (xs[k - 1] + 0.72, 0.75), (x - 0.72, 0.75))
    return fig


# ---------------------------------------------------------------------------
# Figure 3: AlexNet beside VGG-11
# ---------------------------------------------------------------------------

def _alexnet_rows(lang: str, input_size: int = 224):
    """The course's AlexNet (``models.alexnet``) as rows; a conv and its ReLU share one."""
    with torch.device("meta"):
        net = alexnet()
    table = layer_table(net, (1, 1, input_size, input_size))
    rows, flattened = [], None
    for layer, row in zip(net.children(), table):
        shape = _shape(row.output_shape)
        if isinstance(layer, nn.Conv2d):
            (k, _), (s, _) = layer.kernel_size, layer.stride
            text = pick(f"{k}×{k} 卷积, {layer.out_channels}",
                        f"{k}×{k} conv, {layer.out_channels}", lang)
            if s > 1:
                text += pick(f", 步幅 {s}", f", stride {s}", lang)
            rows.append(("conv", text, shape))
        elif isinstance(layer, nn.MaxPool2d):
            k, s = layer.kernel_size, layer.stride
            rows.append(("pool", pick(f"{k}×{k} 最大池化, 步幅 {s}",
                                      f"{k}×{k} max-pool, stride {s}", lang), shape))
        elif isinstance(layer, nn.Flatten):
            flattened = row.output_shape[1]
        elif isinstance(layer, nn.Linear):
            rows.append(("fc", _dense_label(layer.out_features, flattened, lang), shape))
            flattened = None
    return rows


def _vgg11_rows(lang: str, input_size: int):
    with torch.device("meta"):
        net = vgg(VGG11, input_size=input_size)
    table = layer_table(net, (1, 1, input_size, input_size))
    rows = []
    for i, (num_convs, out) in enumerate(VGG11):
        rows.append(("block", [pick(f"VGG 块 {i + 1}", f"VGG block {i + 1}", lang),
                               pick(f"{num_convs} × (3×3 卷积, {out}) + 最大池化",
                                    f"{num_convs} × (3×3 conv, {out}) + max-pool", lang)],
                     _shape(table[i].output_shape)))
    flat = next(r.output_shape[1] for r in table if r.name == "Flatten")
    for k, r in enumerate(r for r in table if r.name == "Linear"):
        rows.append(("fc", [_dense_label(r.output_shape[1], flat if k == 0 else None, lang)],
                     _shape(r.output_shape)))
    return rows


def _dense_label(out: int, flattened: int | None, lang: str) -> str:
    """'dense, 4096', preceded by the flatten that feeds the first dense layer."""
    text = pick(f"全连接, {out}", f"dense, {out}", lang)
    if flattened is None:
        return text
    return pick(f"展平 ({flattened}) + ", f"flatten ({flattened}) + ", lang) + text


def draw_vgg(lang: str, input_size: int = 224):
    fig, ax = _canvas(10, 8.6)
    alex, vggr = _alexnet_rows(lang, input_size), _vgg11_rows(lang, input_size)
    cols = {"AlexNet": 2.7, "VGG-11": 7.3}
    w, h, gap = 3.6, 0.42, 0.16
    top = 7.55
    for name, x in cols.items():
        _text(ax, x, 8.15, name, 16, fontweight="bold")
        _box(ax, x, top, w, h, "input",
             [pick(f"输入 1×{input_size}×{input_size}", f"input 1×{input_size}×{input_size}",
                   lang)], 10.5)

    # AlexNet: one row per layer.
    x = cols["AlexNet"]
    y = top
    for kind, text, shape in alex:
        y_new = y - h - gap
        _arrow(ax, (x, y - h / 2), (x, y_new + h / 2))
        y = y_new
        _box(ax, x, y, w, h, kind, [f"{text}  →  {shape}"], 10.5)
    fc_top = y + 2 * (h + gap)                 # where the three dense layers start

    # VGG-11: five blocks fill the space AlexNet's eight feature rows take.
    x = cols["VGG-11"]
    feat_bottom = fc_top + h / 2 + gap
    bh = (top - h / 2 - feat_bottom - 5 * gap) / 5
    y_prev_bottom = top - h / 2
    for lines, shape in [(r[1], r[2]) for r in vggr if r[0] == "block"]:
        yc = y_prev_bottom - gap - bh / 2
        _arrow(ax, (x, y_prev_bottom), (x, yc + bh / 2))
        _box(ax, x, yc, w, bh, "block", [*lines, f"→ {shape}"], 10.5, dashed=True,
             colors=[COLORS["block"][1], "black", "black"], weights=["bold", "normal", "bold"])
        y_prev_bottom = yc - bh / 2
    for k, (kind, lines, shape) in enumerate([r for r in vggr if r[0] == "fc"]):
        yc = fc_top - k * (h + gap)
        _arrow(ax, (x, y_prev_bottom), (x, yc + h / 2))
        _box(ax, x, yc, w, h, "fc", [f"{lines[0]}  →  {shape}"], 10.5)
        y_prev_bottom = yc - h / 2

    _lines(ax, 5.0, 0.38, [
        pick("两者都以 Fashion-MNIST 为输入（1 个通道，放大到 224×224），输出 10 类。",
             "Both read Fashion-MNIST (1 channel, upscaled to 224×224) and output 10 classes.",
             lang),
        pick("箭头后是该层的输出：通道×高×宽，或特征数。",
             "After each arrow: the layer's output, channels×height×width or features.", lang),
    ], 9.5, colors=[GREY, GREY])
    return fig


# ---------------------------------------------------------------------------
# Figure 4: the model zoo (real data)
# ---------------------------------------------------------------------------

# torchvision classification models whose evaluation crop is 224x224, so one fixed
# input size is each model's own; from AlexNet and VGG to today's small networks.
MODEL_ZOO = ("alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg16_bn", "googlenet",
             "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "densenet121",
             "squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v2", "mobilenet_v3_small",
             "mobilenet_v3_large", "efficientnet_b0", "regnet_y_1_6gf", "convnext_tiny")
FAMILIES = (("alexnet", "AlexNet"), ("vgg", "VGG"), ("googlenet", "GoogLeNet"),
            ("resnet", "ResNet"), ("densenet", "DenseNet"), ("squeezenet", "SqueezeNet"),
            ("shufflenet", "ShuffleNet"), ("mobilenet", "MobileNet"),
            ("efficientnet", "EfficientNet"), ("regnet", "RegNet"), ("convnext", "ConvNeXt"))
FAMILY_COLORS = {"AlexNet": "#d62728", "VGG": "#1f77b4", "GoogLeNet": "#8c564b",
                 "ResNet": "#2ca02c", "DenseNet": "#9467bd", "SqueezeNet": "#7f7f7f",
                 "ShuffleNet": "#bcbd22", "MobileNet": "#ff7f0e", "EfficientNet": "#e377c2",
                 "RegNet": "#17becf", "ConvNeXt": "#393b79"}
SPEED_DEFAULTS = {"batch_size": 4, "input_size": 224, "warmup": 1, "iters": 2, "threads": 1}


def family(name: str) -> str:
    for prefix, fam in FAMILIES:
        if name.startswith(prefix):
            return fam
    return "other"


# Like with like: every model's accuracy is that of the weights trained with the
# recipe published with the model, which torchvision names IMAGENET1K_V1. Some
# models also have IMAGENET1K_V2 weights from torchvision's 2021 recipe (longer
# training, stronger augmentation): ResNet-50 goes from 76.13 to 80.858 without any
# change to the network, which would flatter it next to VGG's original weights.
ORIGINAL_WEIGHTS = "IMAGENET1K_V1"


def model_weights(name: str):
    """torchvision's original-recipe ImageNet weights for ``name`` (its V1 entry)."""
    from torchvision.models import get_model_weights
    weights = get_model_weights(name)
    return getattr(weights, ORIGINAL_WEIGHTS, weights.DEFAULT)


def _imagenet(weights) -> dict:
    return weights.meta["_metrics"]["ImageNet-1K"]


def model_meta(name: str) -> dict:
    """torchvision's offline metadata for ``name``'s original-recipe ImageNet weights.

    ``newer_weights`` / ``newer_acc1`` name the best newer-recipe weights torchvision
    also has (``None`` when there are none), to show how much the recipe alone adds.
    """
    from torchvision.models import get_model_weights
    weights = model_weights(name)
    meta = weights.meta
    newer = [w for w in get_model_weights(name)
             if w is not weights and w.name.startswith("IMAGENET1K_")
             and not math.isnan(_imagenet(w)["acc@1"])]
    best = max(newer, key=lambda w: _imagenet(w)["acc@1"], default=None)
    return {"name": name, "family": family(name), "weights": weights.name,
            "acc1": _imagenet(weights)["acc@1"], "acc5": _imagenet(weights)["acc@5"],
            "params": meta["num_params"], "gmacs": meta["_ops"],
            "file_mb": meta["_file_size"],
            "newer_weights": best.name if best else None,
            "newer_acc1": _imagenet(best)["acc@1"] if best else None}


def machine_info() -> dict:
    """What the speeds were measured on, in words a reader can compare with."""
    import torchvision
    return {"cpu": cpu_name(), "cores": os.cpu_count(),
            "device": "cpu", "python": platform.python_version(),
            "torch": torch.__version__, "torchvision": torchvision.__version__}


def measure_speed(name: str, batch_size: int = 4, input_size: int = 224, warmup: int = 1,
                  iters: int = 2, threads: int = 1) -> float:
    """Inference images/sec of ``name`` on the CPU: random weights, eval, no_grad.

    With ``threads=1`` (the default) the clock is the CPU time of the one thread
    that computes, so other programs sharing the machine barely change the result
    (wall-clock speeds on a busy 2-core machine swung 10x); with more threads it is
    wall-clock time. Returns the best of ``iters`` timed passes after ``warmup``.
    """
    from torchvision.models import get_model
    clock = time.thread_time if threads == 1 else time.perf_counter
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        net = get_model(name, weights=None).eval()
        x = torch.randn(batch_size, 3, input_size, input_size)
        best = float("inf")
        with torch.no_grad():
            for i in range(warmup + iters):
                start = clock()
                net(x)
                if i >= warmup:
                    best = min(best, clock() - start)
    finally:
        torch.set_num_threads(saved)
    return batch_size / best


def measure_speeds(names=MODEL_ZOO, verbose: bool = False, **settings) -> dict:
    """Measure every model; the result is what ``model_zoo_speeds.json`` holds."""
    settings = {**SPEED_DEFAULTS, **settings}
    speeds, start = {}, time.perf_counter()
    for name in names:
        speeds[name] = round(measure_speed(name, **settings), 2)
        if verbose:
            print(f"{name:22s} {speeds[name]:9.2f} images/s", flush=True)
    timer = ("CPU time of the computing thread" if settings["threads"] == 1
             else "wall-clock time")
    return {"machine": machine_info(), **settings,
            "statistic": f"best of the timed passes, {timer}; random weights, eval(), "
                         "no_grad()",
            "date": datetime.date.today().isoformat(),
            "seconds": round(time.perf_counter() - start, 1),
            "images_per_sec": speeds}


def load_speeds(path: Path | str = SPEEDS_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_speeds(data: dict, path: Path | str = SPEEDS_FILE) -> Path:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    return Path(path)


def model_zoo_table(measure: bool = False, names=None, speeds: dict | None = None,
                    **settings) -> list[dict]:
    """One dict per model: name, family, weights, acc1, acc5, params, gmacs, file_mb,
    newer_weights, newer_acc1, images_per_sec.

    Accuracy, parameters, GMACs (torchvision calls them GFLOPS) and file size come
    from torchvision's metadata for each model's original-recipe weights (see
    :data:`ORIGINAL_WEIGHTS`); :func:`course_utils.display.model_zoo_frame` shows
    them as a table labelled in the lesson's language; ``images_per_sec`` from the cached measurement, or
    measured now on this machine when ``measure`` is true (about a minute on a 2-core
    machine). Draw a fresh measurement with ``show("model_zoo", speeds=measure_speeds())``.
    """
    if speeds is None:
        speeds = measure_speeds(names or MODEL_ZOO, **settings) if measure else load_speeds()
    names = names or list(speeds["images_per_sec"]) or MODEL_ZOO
    return [{**model_meta(n), "images_per_sec": speeds["images_per_sec"].get(n)}
            for n in names]


BUBBLE_AREA_PER_MB = 1.8   # pt² of bubble per MB of weights: VGG-19 is ~35 pt across
LABEL_SIZE = 8.5           # pt


def _segment_distance(p, a, b) -> float:
    """Distance from point p to the segment a-b."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * (bx - ax)
                                                     + (py - ay) * (by - ay)) / length2))
    return math.hypot(px - ax - t * (bx - ax), py - ay - t * (by - ay))


def _place_labels(names, points, radii, bounds):
    """Offsets (points) that put each name beside its bubble, clear of the others.

    Tries eight spots around the bubble, then the same eight farther out (the
    caller draws a leader line to those). Label widths are *estimated* from the
    number of characters (names are Latin), never measured, so the placement, and
    so the file, does not depend on which fonts are installed.
    """
    em = LABEL_SIZE
    boxes = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(points, radii)]

    def overlap(box, own):
        """How much of ``box`` lies on other boxes or outside ``bounds`` (0: clear)."""
        total = sum(max(0, min(box[2], b[2]) - max(box[0], b[0]))
                    * max(0, min(box[3], b[3]) - max(box[1], b[1]))
                    for i, b in enumerate(boxes) if i != own)
        outside = (box[2] - box[0]) * (box[3] - box[1]) - (
            max(0, min(box[2], bounds[2]) - max(box[0], bounds[0]))
            * max(0, min(box[3], bounds[3]) - max(box[1], bounds[1])))
        return total + 10 * outside

    placed = {}
    for i in sorted(range(len(names)), key=lambda i: -radii[i]):   # big bubbles first
        (x, y), w = points[i], 0.6 * em * len(names[i])
        candidates = []
        for ring, extra in enumerate((3, 22)):
            pad, diag = radii[i] + extra, (radii[i] + extra) * 0.7
            candidates += [(ring, dx, dy) for dx, dy in (
                (pad, -0.35 * em), (-pad - w, -0.35 * em), (-w / 2, pad),
                (-w / 2, -pad - 0.75 * em), (diag, diag), (diag, -diag - 0.75 * em),
                (-diag - w, diag), (-diag - w, -diag - 0.75 * em))]

        def box_at(c):
            return (x + c[1], y + c[2] - 0.25 * em, x + c[1] + w, y + c[2] + 0.8 * em)

        def crosses(c):
            """Would the leader line to a far spot cut through another bubble?"""
            if not c[0]:
                return False
            ex, ey = x + c[1] + w / 2, y + c[2] + 0.3 * em
            return any(j != i and _segment_distance((bx, by), (x, y), (ex, ey)) < rj
                       for j, ((bx, by), rj) in enumerate(zip(points, radii)))

        # The first clear spot in the order above, else the least crowded one.
        scores = [overlap(box_at(c), i) + 100 * crosses(c) for c in candidates]
        best = candidates[scores.index(min(scores))]
        boxes.append(box_at(best))
        placed[i] = best
    return [placed[i] for i in range(len(names))]


def draw_model_zoo(lang: str, speeds: dict | None = None):
    speeds = speeds or load_speeds()
    rows = [r for r in model_zoo_table(speeds=speeds) if r["images_per_sec"]]
    fig = Figure(figsize=(10, 6.4))
    ax = fig.add_axes((0.075, 0.17, 0.68, 0.72))   # fixed: no layout engine measures labels
    areas = [r["file_mb"] * BUBBLE_AREA_PER_MB for r in rows]   # marker area in pt²
    for r, area in zip(rows, areas):
        ax.scatter(r["images_per_sec"], r["acc1"], s=area, color=FAMILY_COLORS[r["family"]],
                   alpha=0.55, edgecolors="black", linewidths=0.6, zorder=3)
    ax.set_xscale("log")
    lo = min(r["images_per_sec"] for r in rows) / 1.6
    hi = max(r["images_per_sec"] for r in rows) * 1.9
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
             if lo <= t <= hi]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(54, 85)
    ax.grid(True, color="#dddddd", linewidth=0.8, zorder=0)

    # Names beside bubbles, once the axes' scale is final.
    to_points = 72 / fig.dpi
    points = [tuple(ax.transData.transform((r["images_per_sec"], r["acc1"])) * to_points)
              for r in rows]
    radii = [(area / math.pi) ** 0.5 for area in areas]
    bounds = tuple(ax.get_window_extent().extents * to_points)    # keep names inside
    names = [r["name"] for r in rows]
    for r, (ring, dx, dy) in zip(rows, _place_labels(names, points, radii, bounds)):
        xy = (r["images_per_sec"], r["acc1"])
        if ring:    # a name set farther out gets a thin line to its bubble
            ax.annotate("", xy, xytext=(dx + 0.3 * LABEL_SIZE * len(r["name"]), dy + 3),
                        textcoords="offset points", zorder=2,
                        arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.8,
                                    "shrinkA": 0, "shrinkB": 0})
        label_at = ax.transData + ScaledTranslation(dx / 72, dy / 72, fig.dpi_scale_trans)
        _text(ax, *xy, r["name"], LABEL_SIZE, ha="left", transform=label_at, zorder=4)

    # Everything outside the axes is placed in inches from the bottom left corner,
    # on baselines, not by matplotlib's label layout (which would measure the
    # font-dependent Chinese text).
    inch = fig.dpi_scale_trans

    def note(x, y, s, size, **kw):
        return _text(fig, x, y, s, size, transform=inch, **kw)

    threads = _threads_phrase(speeds["threads"], lang)
    note(4.25, 0.62, pick(f"推理速度（每秒图像数，{threads}，对数坐标）→ 越往右越快",
                          f"inference speed (images per second, {threads}, log scale) → faster",
                          lang), 11)
    note(0.22, 3.4, pick("ImageNet top-1 准确率 (%) → 越往上越准",
                         "ImageNet top-1 accuracy (%) → more accurate", lang), 11, rotation=90)
    note(0.75, 5.95, pick("常见图像分类模型：准确率、速度与大小",
                          "Model zoo: accuracy, speed and size", lang), 15,
         ha="left", fontweight="bold")

    # Family colours (Latin names: the same in both languages).
    x0, y = 7.85, 5.55
    note(x0, y, pick("模型系列", "family", lang), 10.5, ha="left", fontweight="bold")
    present = [fam for _, fam in FAMILIES if any(r["family"] == fam for r in rows)]
    for k, fam in enumerate(present):
        yy = y - 0.23 * (k + 1)
        fig.add_artist(Circle((x0 + 0.08, yy + 0.05), 0.065, transform=inch,
                              facecolor=FAMILY_COLORS[fam], alpha=0.7, edgecolor="black",
                              linewidth=0.5))
        note(x0 + 0.22, yy, fam, 9.5, ha="left")

    # Bubble-size key, drawn with the same area scale as the bubbles.
    yk = y - 0.23 * (len(present) + 1) - 0.25
    note(x0, yk, pick("气泡面积：权重文件大小", "bubble area: file size", lang),
         10, ha="left", fontweight="bold")
    for k, mb in enumerate((10, 100, 500)):
        radius = (mb * BUBBLE_AREA_PER_MB / math.pi) ** 0.5 / 72      # inches
        cy = yk - 0.35 - 0.5 * k
        fig.add_artist(Circle((x0 + 0.3, cy), radius, transform=inch, facecolor="#cccccc",
                              alpha=0.6, edgecolor="black", linewidth=0.5))
        note(x0 + 0.72, cy - 0.05, f"{mb} MB", 9.5, ha="left")

    m = speeds["machine"]
    sources = [
        pick("准确率与文件大小：torchvision {tv} 自带的权重元数据（ImageNet-1K；每个模型都取它发表时的"
             "训练方案，即 {w} 权重）。",
             "Accuracy and file size: the weights metadata that ships with torchvision {tv} "
             "(ImageNet-1K; every model with the recipe it was published with, the {w} "
             "weights).", lang).format(tv=m["torchvision"], w=ORIGINAL_WEIGHTS),
        pick("速度：在 {cpu} 上实测（{how}），torch {torch}，批量 {b}，{s}×{s} 输入，"
             "随机权重，{date}。",
             "Speed: measured on {cpu} ({how}), torch {torch}, batch {b}, {s}×{s} input, "
             "random weights, {date}.", lang).format(
            cpu=m["cpu"], how=_threads_phrase(speeds["threads"], lang, clock=True),
            torch=m["torch"], b=speeds["batch_size"], s=speeds["input_size"],
            date=speeds["date"]),
    ]
    for k, line in enumerate(sources):
        note(0.75, 0.3 - 0.17 * k, line, 8.5, ha="left", color=GREY)
    return fig


def _threads_phrase(threads: int, lang: str, clock: bool = False) -> str:
    if threads == 1:
        return pick("单线程，计 CPU 时间" if clock else "单线程",
                    "one thread, its CPU time" if clock else "one thread", lang)
    return pick(f"{threads} 个线程" + ("，计墙钟时间" if clock else ""),
                f"{threads} threads" + (", wall-clock time" if clock else ""), lang)


_DRAW = {"modularization": draw_modularization, "vgg_block": draw_vgg_block,
         "vgg": draw_vgg, "model_zoo": draw_model_zoo}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Draw the lesson's figures into Images/.")
    parser.add_argument("--out", default=str(IMAGES_DIR), help="folder to write (default Images/)")
    parser.add_argument("--only", nargs="+", choices=FIGURE_NAMES, default=FIGURE_NAMES)
    parser.add_argument("--lang", nargs="+", choices=LANGS, default=LANGS)
    parser.add_argument("--measure", action="store_true",
                        help="re-measure the model-zoo speeds on this machine first and "
                             f"save them to {SPEEDS_FILE.name}")
    parser.add_argument("--batch-size", type=int, default=SPEED_DEFAULTS["batch_size"])
    parser.add_argument("--threads", type=int, default=SPEED_DEFAULTS["threads"],
                        help="threads for --measure (1: CPU time, robust on a busy machine)")
    args = parser.parse_args(argv)
    if args.measure:
        data = measure_speeds(batch_size=args.batch_size, threads=args.threads, verbose=True)
        save_speeds(data)
        print(f"measured in {data['seconds']} s -> {SPEEDS_FILE}")
    for path in make_images(args.out, args.only, args.lang):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
