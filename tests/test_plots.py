"""The lessons' own plots, as a real kernel stores them: PNG and SVG, text readable
from the back row.

Each plotting function of the course runs in a kernel after ``start_lesson`` (as in a
lesson), on tiny data. Every figure must come out as PNG (what JupyterLab shows in a
notebook it does not trust yet) and as SVG (what the decks show, sharp on a
projector), no wider than a slide holds, and with no text under
``figures.draw.MIN_TEXT_PT``, read from the SVG itself: matplotlib draws each label
as outlines scaled by font size / 100, in points.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.figures.draw import MAX_SIZE_IN, MIN_TEXT_PT

SETUP = """
import torch
from torch import nn
from course_utils.notebook import start_lesson
start_lesson({lang!r})
torch.manual_seed(0)
X, y = torch.rand(32, 1, 32, 32), torch.arange(32) % 10
batches = [(X[i:i + 16], y[i:i + 16]) for i in range(0, 32, 16)]
from course_utils.models import vgg
net = vgg([(1, 8), (1, 8), (1, 8), (1, 8), (1, 8)], input_size=32)
"""

PLOTS = {
    "image grid": """
from course_utils.display import show_images
from course_utils.data import get_fashion_mnist_labels
show_images(X[:8], get_fashion_mnist_labels(y[:8]), heading="Fashion-MNIST");
""",
    "predictions": """
from course_utils.display import show_predictions
show_predictions(net, batches, n=8, mistakes=3);
""",
    "training curve": """
from course_utils.train import train_ch6
history = train_ch6(net, batches, batches, 2, 0.05, "cpu")
""",
    "first filters": """
from course_utils.feature_maps import show_first_filters
show_first_filters(net);
""",
    "experiment": """
from course_utils.experiments import Run, show_runs
runs = [Run(f"input {s}×{s}", net, s, losses=[2.3 - 0.01 * i for i in range(60)],
            test_acc=0.7 + s / 1000, seconds=1.0) for s in (32, 56, 96)]
show_runs(runs, "input size");
""",
}

_TEXT_SCALE = re.compile(r'<g transform="[^"]*?scale\(([\d.e-]+) -([\d.e-]+)\)"')


def svg_text_points(svg: str) -> list[float]:
    """The font size, in points, of every label matplotlib drew as outlines."""
    return [100 * float(a) for a, _ in _TEXT_SCALE.findall(svg)]


def svg_width_points(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))


@pytest.fixture(scope="module", params=["zh", "en"])
def plotted(request, tmp_path_factory):
    cells = [nbformat.v4.new_code_cell(SETUP.format(lang=request.param))]
    cells += [nbformat.v4.new_code_cell(code) for code in PLOTS.values()]
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("plots"))}}
                   ).execute()
    return request.param, dict(zip(PLOTS, nb.cells[1:]))


def _figures(cell) -> list[dict]:
    return [o["data"] for o in cell.outputs
            if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]


@pytest.mark.parametrize("plot", PLOTS)
def test_each_plot_is_stored_as_png_and_svg(plotted, plot):
    lang, cells = plotted
    figures = _figures(cells[plot])
    assert figures, f"{plot} ({lang}) drew nothing: {cells[plot].outputs}"
    for data in figures:
        assert {"image/png", "image/svg+xml"} <= set(data), (plot, lang, sorted(data))
        # the same plot stores the same bytes: no creation date, ids from svg.hashsalt
        assert "<dc:date>" not in data["image/svg+xml"], plot


@pytest.mark.parametrize("plot", PLOTS)
def test_each_plot_is_readable_on_a_slide(plotted, plot):
    lang, cells = plotted
    for data in _figures(cells[plot]):
        svg = data["image/svg+xml"]
        sizes = svg_text_points(svg)
        assert sizes, f"{plot} ({lang}): no text found in its SVG"
        assert min(sizes) >= MIN_TEXT_PT, (
            f"{plot} ({lang}): text of {min(sizes):.1f} pt, under {MIN_TEXT_PT} pt")
        assert svg_width_points(svg) <= 72 * MAX_SIZE_IN[0], (plot, lang, svg_width_points(svg))
