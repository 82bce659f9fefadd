"""The explorers in plain pytest: set each control through ``.value``, read what is shown.

A traitlets observer that raises would raise right here, out of ``.value = ...``,
so every assignment below also checks that no traceback can reach a student.
"""

import random
from html import unescape
import re
import time

import pytest

from course_utils.explore import arch_report, block_report, stack_vs_single
from course_utils.messages import CourseError
from course_utils.models import VGG11, VGG_ARCHS
from course_utils.shapes import human
from course_utils.widgets import (CUSTOM, IN_CHANNELS, OUT_CHANNELS, RATIOS, BlockExplorer,
                                  VGGExplorer, block_explorer, vgg_explorer)

CHANNELS = [c for _, c in VGG11]


def text(html: str) -> str:
    """What a person reads: the HTML without its tags."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def expected(w: VGGExplorer):
    """arch_report for what the controls show, computed independently of the widget."""
    arch = [(s.value, c) for s, c in zip(w.blocks, CHANNELS) if s.value]
    return arch_report(arch, w.ratio.value, w.input_size.value)


def assert_shows(w: VGGExplorer):
    """The widget shows the right totals, or the right reason in place of them."""
    try:
        report = expected(w)
    except CourseError as err:
        assert w.report is None and w.error == err.message(w.lang)
        assert err.message(w.lang) in text(w.summary.value)
        assert w.table.value == w.chart.value == w.compare.value == ""
        return
    assert w.error is None
    assert w.report.total_params == report.total_params
    assert w.report.total_macs == report.total_macs
    shown = text(w.summary.value)
    assert f"{report.total_params:,}" in shown and human(report.total_params) in shown
    assert human(report.total_macs) in shown
    assert text(w.table.value).count("Sequential") == len(report.conv_arch)


@pytest.fixture(params=["en", "zh"])
def explorer(request):
    return vgg_explorer(request.param)


def test_returns_container_with_controls(explorer):
    assert isinstance(explorer, VGGExplorer)
    assert [s.value for s in explorer.blocks] == [1, 1, 2, 2, 2]
    assert explorer.preset.value == "VGG-11" and explorer.ratio.value == 1
    assert explorer.input_size.value == 224
    assert all(not s.continuous_update for s in [*explorer.blocks, explorer.input_size])
    assert "128,806,154" in text(explorer.summary.value)   # the seed's VGG-11
    assert "7.55 G" in text(explorer.summary.value)
    assert_shows(explorer)


def test_labels_speak_the_chosen_language():
    en, zh = vgg_explorer("en"), vgg_explorer("zh")
    assert "Parameters" in text(en.summary.value) and "参数量" in text(zh.summary.value)
    assert "VGG-11" in text(en.compare.value) and "倍" in text(zh.compare.value)
    assert en.blocks[0].description.startswith("Block 1")
    assert zh.blocks[0].description.startswith("第 1 块")
    assert "custom" in en.preset.options[-1] and "自定义" in zh.preset.options[-1]
    assert "layer" in en.table.value and "输出形状" in zh.table.value


def test_every_ratio(explorer):
    for ratio in RATIOS:
        explorer.ratio.value = ratio
        assert_shows(explorer)
    # channels ÷ 4 is what the seed trains: a third of VGG-11's parameters
    explorer.ratio.value = 4
    assert explorer.report.total_params == 43_093_322


def test_every_preset_moves_the_sliders(explorer):
    for name, arch in VGG_ARCHS.items():
        explorer.preset.value = name
        assert [s.value for s in explorer.blocks] == [n for n, _ in arch]
        assert_shows(explorer)
    explorer.preset.value = CUSTOM            # choosing "custom" changes nothing
    assert [s.value for s in explorer.blocks] == [n for n, _ in VGG_ARCHS["VGG-19"]]
    assert_shows(explorer)


def test_sliders_move_the_preset(explorer):
    explorer.blocks[0].value = 2              # VGG-11 with a second conv in block 1 ...
    explorer.blocks[1].value = 2              # ... and in block 2 is VGG-13
    assert explorer.preset.value == "VGG-13"
    explorer.blocks[2].value = 4
    assert explorer.preset.value == CUSTOM
    assert_shows(explorer)


def test_each_block_slider_at_its_extremes(explorer):
    for i, slider in enumerate(explorer.blocks):
        before = explorer.report.total_params
        for value in (slider.max, slider.min):
            slider.value = value
            assert_shows(explorer)
        assert explorer.report.total_params != before   # block i is gone now
        assert f"({i + 1})" in text(explorer.summary.value) or f"第 {i + 1} 块" in text(
            explorer.summary.value)
        slider.value = VGG11[i][0]


def test_zero_convs_leaves_the_block_out(explorer):
    explorer.blocks[4].value = 0
    report = explorer.report
    assert report.conv_arch == ((1, 64), (1, 128), (2, 256), (2, 512))
    # four blocks leave 14x14, so the first fully connected layer grows 4x
    assert report.rows[3]["output_shape"] == (1, 512, 14, 14)
    assert "100,352" in text(explorer.summary.value)


def test_all_blocks_out_shows_the_reason(explorer):
    for slider in explorer.blocks:
        slider.value = 0
    assert explorer.report is None
    with pytest.raises(CourseError) as reason:             # the explore module's own words
        arch_report([], explorer.ratio.value, explorer.input_size.value)
    assert explorer.error == reason.value.message(explorer.lang)
    assert_shows(explorer)
    explorer.blocks[2].value = 1              # and it recovers
    assert explorer.report is not None and explorer.error is None
    assert_shows(explorer)


def test_input_size_extremes(explorer):
    explorer.input_size.value = explorer.input_size.min      # 4x4 cannot take five pools
    assert explorer.report is None
    assert ("block 3 would output 0x0" in explorer.error) or ("第 3 个块的输出会是 0×0" in explorer.error)
    assert_shows(explorer)
    explorer.input_size.value = explorer.input_size.max
    assert explorer.report.blocks[4].output_shape == (1, 512, 8, 8)
    assert_shows(explorer)
    explorer.input_size.value = 32                           # the smallest that fits five blocks
    assert explorer.report.blocks[4].output_shape == (1, 512, 1, 1)
    assert_shows(explorer)


def test_compare_line_against_the_lesson_vgg11():
    w = vgg_explorer("en")
    assert "1.0× the parameters and 1.0× the multiply-adds" in text(w.compare.value)
    w.ratio.value = 4
    assert "33% of the parameters" in text(w.compare.value)
    w.ratio.value, w.input_size.value = 1, 256
    assert "1.3× the multiply-adds" in text(w.compare.value)


def test_random_walk_never_raises():
    rng = random.Random(7)
    w = vgg_explorer("en")
    for _ in range(60):
        control = rng.choice([w.preset, w.ratio, w.input_size, *w.blocks])
        if control is w.preset:
            control.value = rng.choice([value for _, value in control.options])
        elif control is w.ratio:
            control.value = rng.choice(RATIOS)
        else:
            control.value = rng.randrange(control.min, control.max + 1, control.step)
        assert_shows(w)


def test_updates_are_fast():
    w = vgg_explorer("en")
    w.preset.value = "VGG-19"                 # warm up
    start = time.perf_counter()
    for ratio in RATIOS:
        w.ratio.value = ratio
    w.preset.value = "VGG-11"
    assert (time.perf_counter() - start) / 7 < 0.5


def test_in_channels_and_classes_are_options():
    w = vgg_explorer("en", in_channels=3, num_classes=1000)
    assert w.report.total_params == 132_863_336              # torchvision's vgg11
    assert "7.61 G" in text(w.summary.value)


# ------------------------------------------------------------------ block explorer


@pytest.fixture(params=["en", "zh"])
def blocks(request):
    return block_explorer(request.param)


def assert_block_shows(b: BlockExplorer):
    try:
        report = block_report(b.num_convs.value, b.in_channels.value, b.out_channels.value,
                              b.input_size.value)
    except CourseError as err:
        assert b.report is None and err.message(b.lang) in text(b.summary.value)
        assert b.table.value == b.compare.value == ""
        return
    shown = text(b.summary.value)
    assert f"{report.params:,}" in shown
    assert " × ".join(map(str, report.output_shape[1:])) in shown
    assert len(b.comparisons) == 4
    c = b.out_channels.value
    for n, s in enumerate(b.comparisons, start=1):
        assert s == stack_vs_single(n, c, input_size=b.input_size.value)
        assert f"{s.stacked_params:,}" in text(b.compare.value)
        assert f"{s.single_params:,}" in text(b.compare.value)
    # the row of the block's own depth is the highlighted one
    rows = re.findall(r"<tr[^>]*>.*?</tr>", b.compare.value)
    highlighted = [i for i, row in enumerate(rows[1:], start=1) if "background" in row]
    assert highlighted == [b.num_convs.value]


def test_block_explorer_defaults(blocks):
    assert isinstance(blocks, BlockExplorer)
    assert blocks.report.output_shape == (1, 128, 28, 28)
    assert blocks.report.params == 221_440
    assert_block_shows(blocks)


def test_block_explorer_extremes(blocks):
    controls = {blocks.num_convs: (1, 4), blocks.in_channels: (IN_CHANNELS[0], IN_CHANNELS[-1]),
                blocks.out_channels: (OUT_CHANNELS[0], OUT_CHANNELS[-1]),
                blocks.input_size: (2, 224)}
    for control, (low, high) in controls.items():
        for value in (high, low):
            control.value = value
            assert_block_shows(blocks)


def test_block_explorer_shows_the_claim():
    b = block_explorer("en")
    b.out_channels.value, b.num_convs.value = 64, 3
    claim = text(b.compare.value)
    assert "3 × 3×3" in claim and "1 × 7×7" in claim and "7×7" in claim
    assert "110,784" in claim and "200,768" in claim and "55%" in claim   # 27C² vs 49C²


def test_block_explorer_too_small_input_in_place(blocks):
    blocks.input_size.value = 1
    assert blocks.report is None
    assert_block_shows(blocks)
    assert "⚠️" in blocks.summary.value
    blocks.input_size.value = 2
    assert blocks.report.output_shape[-1] == 1


def test_labels_follow_the_sliders_when_a_block_is_out():
    w = vgg_explorer("en")
    w.blocks[0].value = 0                     # the network's first block is slider 2
    chart, table = text(w.chart.value), text(w.table.value)
    assert "block 1" not in chart and "block 2" in chart and "block 5" in chart
    assert "Sequential (block 2: 1 conv, 128 channels)" in table


# ------------------------------------------------------- a classroom screen, two languages


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def shown_strings(explorer) -> list[str]:
    """Every label, option, tooltip and message a person can read in the explorer."""
    found = []
    for w in _walk(explorer):
        found.append(getattr(w, "description", "") or "")
        found += [str(label) for label in getattr(w, "_options_labels", ())]
        found += list(getattr(w, "tooltips", None) or ())
        if isinstance(w, __import__("ipywidgets").HTML):
            found.append(re.sub(r"<[^>]+>", " ", w.value))   # cells apart, as on screen
    return [f for f in found if f.strip()]


# Identifiers and units a zh student may meet in the explorers: layer class names,
# the network's names, units of numbers.
ALLOWED_LATIN = {"VGG", "ReLU", "Sequential", "Conv2d", "MaxPool2d", "Flatten", "Linear",
                 "Dropout", "conv_arch", "ratio", "k", "M", "G", "T"}


def latin_words(strings) -> set[str]:
    words = set()
    for s in strings:
        words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", s))
    return {w for w in words if w not in ALLOWED_LATIN and not re.fullmatch(r"VGG|\d+", w)}


def _all_states(explorer):
    """The explorer in its default state, at ratio 4, and with an impossible setting."""
    yield shown_strings(explorer)
    if isinstance(explorer, VGGExplorer):
        explorer.ratio.value = 4
        explorer.preset.value = CUSTOM
        yield shown_strings(explorer)
        explorer.input_size.value = explorer.input_size.min
        yield shown_strings(explorer)
        for s in explorer.blocks:
            s.value = 0
        yield shown_strings(explorer)
    else:
        explorer.input_size.value = 1
        yield shown_strings(explorer)


@pytest.mark.parametrize("make", [vgg_explorer, block_explorer])
def test_zh_explorers_speak_chinese_everywhere(make):
    for strings in _all_states(make("zh")):
        assert latin_words(strings) == set(), strings


@pytest.mark.parametrize("make", [vgg_explorer, block_explorer])
def test_en_explorers_have_their_own_english_labels(make):
    for strings in _all_states(make("en")):
        assert not any(re.search(r"[\u4e00-\u9fff]", s) for s in strings), strings


def test_block_labels_follow_the_ratio():
    for lang, unit in (("zh", "{} 通道"), ("en", "{} channels")):
        w = vgg_explorer(lang)
        assert [unit.format(c) in s.description for s, c in zip(w.blocks, CHANNELS)] == [True] * 5
        w.ratio.value = 4                      # channels ÷ 4: block 1 has 16, not 64
        assert unit.format(16) in w.blocks[0].description
        assert unit.format(64) not in w.blocks[0].description
        assert [unit.format(c // 4) in s.description for s, c in zip(w.blocks, CHANNELS)] == [True] * 5
        assert unit.format(16) in text(w.table.value)          # the table agrees
        w.ratio.value = 32
        assert unit.format(2) in w.blocks[0].description
        w.ratio.value = 1
        assert unit.format(64) in w.blocks[0].description


@pytest.mark.parametrize("make", [vgg_explorer, block_explorer])
def test_two_columns_controls_left_table_right(make):
    """On a 1280x800 screen the layer table sits beside the controls, not below them."""
    import ipywidgets as widgets

    w = make("en")
    columns = w.children[0]
    assert isinstance(columns, widgets.HBox) and len(columns.children) == 2
    left, right = columns.children
    assert w.table in right.children and w.table not in left.children
    assert w.summary in left.children
    controls = [c for c in left.children if c is not w.summary and c is not getattr(w, "compare", None)]
    # about 34 px a control row: the controls take well under the 600 px left on a
    # 1280x800 screen once JupyterLab's menus and the cell's code are drawn
    assert len(controls) * 34 < 400
    # the controls' column has a fixed basis, the table's takes what remains
    assert left.layout.flex.endswith("px") and right.layout.flex.startswith("1 ")
    assert columns.layout.flex_flow == "row wrap"       # a narrow window stacks them
    for c in controls:
        if hasattr(c, "layout") and c.layout.width:
            assert not c.layout.width.endswith("em")     # no fixed width wider than the column


def test_colours_come_from_the_jupyterlab_theme():
    b = block_explorer("en")
    highlighted = [row for row in re.findall(r"<tr[^>]*>", b.compare.value) if "background" in row]
    assert len(highlighted) == 1
    assert "var(--jp-layout-color" in highlighted[0] and "var(--jp-ui-font-color" in highlighted[0]
    assert "var(--jp-brand-color1" in highlighted[0]
    assert not re.search(r"background:\s*#", b.compare.value)   # no fixed light-only colour
    b.input_size.value = 1
    assert "var(--jp-error-color1" in b.summary.value
    w = vgg_explorer("en")
    w.blocks[0].value = 0
    assert "var(--jp-ui-font-color2" in w.summary.value
