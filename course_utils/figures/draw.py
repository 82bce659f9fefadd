"""Drawing primitives shared by the lesson figures: one axes in inches, text on baselines."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..shapes import shape_text

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

# The smallest text any course figure draws, in points. A figure is shown at its own
# size (an SVG inch is 96 CSS px, 72 pt) on a 1280x720 slide that reveal.js scales by
# 0.96, so 11.5 pt is 14.7 px on the projector; figures are at most 12 in wide and
# 5.4 in tall, so no slide has to shrink one (tests/test_decks.py measures it).
MIN_TEXT_PT = 11.5
MAX_SIZE_IN = (12.0, 5.4)
# The lessons' own plots (training curves, image grids, experiments) follow the same
# rule: start_lesson sets these for the kernel, and the plots are stored as SVG too, so
# a deck shows them sharp and tests/test_decks.py can read their text size.
PLOT_RC = {"font.size": MIN_TEXT_PT, "figure.titlesize": MIN_TEXT_PT + 1}


def canvas(width: float, height: float):
    """A figure whose data coordinates are inches, origin bottom left."""
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def baseline_text(ax, x, y, s, size=11, ha="center", **kw):
    """One line of text with its *baseline* at y.

    Baseline anchoring is what keeps the SVG independent of the font matplotlib
    finds: the position written is (x, y) whatever the glyphs measure.
    """
    return ax.text(x, y, s, fontsize=size, ha=ha, va="baseline",
                   rotation_mode="anchor", **kw)


def text_lines(ax, x, yc, lines, size=11, ha="center", colors=None, weights=None):
    """Lines of text centred (visually) on yc; lines are given top to bottom."""
    em = size / 72                       # one em, in inches
    step = 1.3 * em
    # The visual middle of a line sits about 0.36 em above its baseline.
    top = yc + (len(lines) - 1) * step / 2 - 0.36 * em
    for i, line in enumerate(lines):
        color = colors[i] if colors else "black"
        weight = weights[i] if weights else "normal"
        baseline_text(ax, x, top - i * step, line, size, ha=ha, color=color, fontweight=weight)


def box(ax, xc, yc, w, h, kind, lines=(), size=11, dashed=False, colors=None, weights=None):
    """A rounded box centred on (xc, yc) holding lines of text."""
    fill, edge = COLORS[kind]
    ax.add_patch(FancyBboxPatch((xc - w / 2, yc - h / 2), w, h,
                                boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=fill, edgecolor=edge, linewidth=1.2,
                                linestyle="--" if dashed else "-"))
    if lines:
        text_lines(ax, xc, yc, lines, size, colors=colors, weights=weights)


def arrow(ax, start, end, color=GREY, width=1.3, head=12):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=head,
                                 color=color, linewidth=width, shrinkA=0, shrinkB=0))


def shape_label(shape) -> str:
    """``(1, 256, 28, 28)`` -> ``'256×28×28'`` (the batch dimension dropped)."""
    return shape_text(shape[1:])
