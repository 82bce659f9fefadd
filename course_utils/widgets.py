"""Two explorers for the VGG lesson, as thin ipywidgets wrappers.

Each explorer turns its controls into arguments for a pure function of
:mod:`course_utils.explore` and its result into HTML; nothing is computed here.
Every control is an attribute, so tests (and curious students) can drive them by
setting ``.value``::

    w = vgg_explorer("en")
    w.ratio.value = 4          # channels ÷ 4, as the book trains
    w.blocks[4].value = 0      # leave block 5 out
    w.summary.value            # the totals a person sees, as HTML

Design choices:

* The ratio is a row of ``ToggleButtons``, not a slider: it has only six values,
  all of them visible at once, and one click (or one ``.value``) picks one. A
  browser test clicks the button labelled ``4``; no drag geometry is involved.
* A block's slider runs from 0 to 4 convolutions. 0 leaves the block out, so the
  same sliders also change the *number* of blocks, which is what makes the input
  size matter (five blocks need at least 32x32). A note says which blocks are
  out; with every block out, the explorer shows check_arch's message.
* Sliders update on release (``continuous_update=False``); each update builds the
  network on the ``meta`` device and takes milliseconds.
* Any setting that cannot be built shows its reason, in the chosen language, in
  place of the totals; no traceback reaches the student.
* Made for a classroom screen (1280x800): two columns, the controls and the
  totals on the left, the layer table on the right, so both are in sight while a
  slider moves; on a narrow window the right column wraps below. Block sliders
  name the channels the ratio leaves ("16 channels" at ratio 4), and every colour
  that marks something comes from JupyterLab's theme variables, so the light and
  the dark theme both read.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from .explore import arch_report, block_report, lesson_vgg11_report, stack_vs_single
from .messages import CourseError, get_lang, pick
from .models import VGG11, VGG_ARCHS, scale_arch
from .shapes import human, shape_text

RATIOS = (1, 2, 4, 8, 16, 32)
MAX_CONVS = 4                                   # VGG-19's deepest block has 4
BLOCK_CHANNELS = tuple(c for _, c in VGG11)     # 64, 128, 256, 512, 512 in every preset
CUSTOM = "custom"                               # the preset menu's value when no preset fits

_PARAMS_COLOR, _MACS_COLOR = "#4c72b0", "#dd8452"    # mid tones: readable on light and dark
# JupyterLab's theme variables (with a light fallback outside JupyterLab).
_HIGHLIGHT = ("background:var(--jp-layout-color3,#e0e0e0);color:var(--jp-ui-font-color0,#000);"
              "box-shadow:inset 4px 0 0 var(--jp-brand-color1,#1976d2);font-weight:bold")
_ERROR_COLOR = "var(--jp-error-color1,#d32f2f)"
_QUIET_COLOR = "var(--jp-ui-font-color2,#616161)"
_RULE_COLOR = "var(--jp-border-color2,#e0e0e0)"
_NOWRAP = ";white-space:nowrap"
LABEL_WIDTH = "11.5em"                          # the controls' labels, so the sliders line up
LEFT_COLUMN = "400px"                           # controls; the rest of the width is the table's


def _control(kind, **options):
    """A control that updates on release, its label in a column wide enough for the
    longest one so the sliders line up, filling the controls' column."""
    if kind is not widgets.Dropdown:
        options.setdefault("continuous_update", False)
    return kind(style={"description_width": LABEL_WIDTH}, layout=widgets.Layout(width="100%"),
                **options)


def _columns(left: list, right: list) -> widgets.HBox:
    """Controls on the left, results on the right; wraps to one column when narrow."""
    return widgets.HBox(
        [widgets.VBox(left, layout=widgets.Layout(flex=f"0 1 {LEFT_COLUMN}", min_width="330px")),
         widgets.VBox(right, layout=widgets.Layout(flex="1 1 400px", min_width="0",
                                                   overflow="auto"))],
        layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start", width="100%",
                              grid_gap="4px 16px"))


# ------------------------------------------------------------------- HTML helpers


def _shape(shape) -> str:
    return shape_text(shape, " × ")


def _times(x: float, lang: str) -> str:
    """A ratio for people: ``2.4×`` / ``2.4 倍`` from 1 up, ``33% of`` / ``33%`` below."""
    if x >= 1:
        number = f"{x:.0f}" if x >= 10 else f"{x:.1f}"
        return pick(f"{number} 倍", f"{number}×", lang)
    return pick(f"{x * 100:.2g}%", f"{x * 100:.2g}% of", lang)


def _table(headers, rows, highlight: int | None = None) -> str:
    head = "".join(f"<th style='text-align:left;padding:1px 6px;border-bottom:1px solid "
                   f"{_RULE_COLOR}'>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        style = f" style='{_HIGHLIGHT}'" if i == highlight else ""
        # numbers and shapes stay on one line; only a long name may wrap
        cells = "".join(f"<td style='padding:1px 6px{_NOWRAP if len(str(c)) < 24 else ''}'>{c}</td>"
                        for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return ("<table style='border-collapse:collapse;font-size:88%;line-height:1.3'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _bar(fraction: float, color: str, text: str) -> str:
    width = max(0.0, min(1.0, fraction)) * 120
    return (f"<span style='white-space:nowrap'><span style='display:inline-block;"
            f"width:{width:.0f}px;height:10px;background:{color};margin-right:6px'></span>"
            f"{text}</span>")


def _message(err: Exception, lang: str) -> str:
    if isinstance(err, CourseError):
        return err.message(lang)
    return pick(f"意外的错误（{type(err).__name__}）：{err}", f"{type(err).__name__}: {err}", lang)


def _problem(head: str, message: str) -> str:
    return f"<div style='color:{_ERROR_COLOR}'>⚠️ {head}{escape(message)}</div>"


def _tag(box: widgets.DOMWidget, prefix: str, **parts) -> None:
    """CSS classes (``vgg-explorer-ratio``...) so a browser test finds each part
    whatever the language and wherever the notebook puts the explorer."""
    box.add_class(prefix)
    for name, part in parts.items():
        for widget in part if isinstance(part, list) else [part]:
            widget.add_class(f"{prefix}-{name.replace('_', '-')}")


_LAYER_HEADERS = (("层", "layer"), ("输出形状", "output shape"), ("参数量", "parameters"),
                  ("乘加运算", "multiply-adds"))


class _Explorer(widgets.VBox):
    """What both explorers share: a language and its ``_t(zh, en)``."""

    lang = "en"

    def _t(self, zh: str, en: str) -> str:
        return pick(zh, en, self.lang)

    def _layer_headers(self) -> list[str]:
        return [self._t(zh, en) for zh, en in _LAYER_HEADERS]


# ------------------------------------------------------------------ VGG explorer


class VGGExplorer(_Explorer):
    """Presets, a channel ratio, convs per block and an input size -> a VGG's cost.

    Controls: ``preset`` (Dropdown), ``ratio`` (ToggleButtons), ``blocks`` (list of
    five IntSliders, 0 to 4 convs), ``input_size`` (IntSlider). Results, as HTML
    widgets: ``summary`` (totals, or the reason a setting is impossible),
    ``compare`` (against the lesson's VGG-11), ``chart`` (params and MACs per
    block), ``table`` (one row per layer, like the book's shape check). The last
    result is ``report`` (an :class:`~course_utils.explore.ArchReport`, or ``None``
    with ``error`` holding the message).
    """

    def __init__(self, lang: str | None = None, in_channels: int = 1, num_classes: int = 10):
        self.lang = get_lang(lang)
        self.in_channels, self.num_classes = in_channels, num_classes
        self.report, self.error = None, None
        self._reference = lesson_vgg11_report()
        self._holding = False   # set while one change moves several controls

        t = self._t
        self.preset = _control(
            widgets.Dropdown, description=t("预设", "Preset"), value="VGG-11",
            options=[(name, name) for name in VGG_ARCHS] + [(t("自定义", "custom"), CUSTOM)])
        self.ratio = widgets.ToggleButtons(
            options=[(str(r), r) for r in RATIOS], value=1, style={"button_width": "3.1em"},
            tooltips=[t(f"每个块的通道数除以 {r}", f"divide every block's channels by {r}")
                      for r in RATIOS])
        self.blocks = [_control(widgets.IntSlider, value=num_convs, min=0, max=MAX_CONVS)
                       for num_convs, _ in VGG11]
        self.input_size = _control(widgets.IntSlider, value=224, min=4, max=256, step=4,
                                   description=t("输入尺寸（高 = 宽）", "Input size (h = w)"))
        self.summary, self.compare = widgets.HTML(), widgets.HTML()
        self.chart, self.table = widgets.HTML(), widgets.HTML()

        self.preset.observe(self._on_preset, "value")
        for control in (self.ratio, self.input_size, *self.blocks):
            control.observe(self._on_control, "value")
        # ToggleButtons put their own description above the buttons; a label of the
        # sliders' width in front of them keeps every control on one column.
        ratio_label = widgets.HTML(
            f"<div style='text-align:right;padding-right:8px'>{t('通道数 ÷', 'Channels ÷')}</div>",
            layout=widgets.Layout(width="6.5em", flex="0 0 auto"))
        ratio_row = widgets.HBox([ratio_label, self.ratio])
        blocks_head = widgets.HTML(t("<b>每个块的卷积层数</b>（0 表示去掉这个块）",
                                     "<b>Convolutions per block</b> (0 leaves the block out)"))
        self.columns = _columns(
            [self.preset, ratio_row, blocks_head, *self.blocks, self.input_size, self.summary,
             self.compare],
            [self.table, self.chart])
        super().__init__([self.columns])
        _tag(self, "vgg-explorer", preset=self.preset, ratio=self.ratio, block=self.blocks,
             input_size=self.input_size, summary=self.summary, compare=self.compare,
             chart=self.chart, table=self.table)
        self.refresh()

    # -- what the controls mean

    def _label_blocks(self) -> None:
        """Each block slider names the channels its block has at the chosen ratio."""
        try:
            channels = [c for _, c in scale_arch([(1, c) for c in BLOCK_CHANNELS], self.ratio.value)]
        except Exception:  # noqa: BLE001 - a label must never stop the explorer
            channels = list(BLOCK_CHANNELS)
        for i, (slider, c) in enumerate(zip(self.blocks, channels), start=1):
            slider.description = self._t(f"第 {i} 块（{c} 通道）", f"Block {i} ({c} channels)")

    def conv_arch(self) -> list[tuple[int, int]]:
        """The unscaled ``conv_arch`` the sliders describe; 0-conv blocks are left out."""
        return [(s.value, c) for s, c in zip(self.blocks, BLOCK_CHANNELS) if s.value > 0]

    def _kept_blocks(self) -> list[int]:
        """The slider number of each block in the network, so that with block 1 left
        out the chart's first bar still says "block 2", as its slider does."""
        return [i for i, s in enumerate(self.blocks, start=1) if s.value > 0]

    def _matching_preset(self) -> str:
        convs = tuple(s.value for s in self.blocks)
        for name, arch in VGG_ARCHS.items():
            if convs == tuple(n for n, _ in arch):
                return name
        return CUSTOM

    # -- reacting

    def _on_preset(self, change) -> None:
        if self._holding or change["new"] == CUSTOM:
            return
        self._holding = True    # five slider moves, one update
        try:
            for slider, (num_convs, _) in zip(self.blocks, VGG_ARCHS[change["new"]]):
                slider.value = num_convs
        finally:
            self._holding = False
        self.refresh()

    def _on_control(self, change) -> None:
        if self._holding:
            return
        self._holding = True    # the menu follows the sliders without echoing back
        try:
            self.preset.value = self._matching_preset()
        finally:
            self._holding = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the controls and redraw every result."""
        self._label_blocks()
        try:
            report = arch_report(self.conv_arch(), self.ratio.value, self.input_size.value,
                                 self.in_channels, self.num_classes)
        except Exception as err:  # noqa: BLE001 - a wrong number left on screen is worse
            self.report, self.error = None, _message(err, self.lang)
            head = self._t("无法构建这个网络：", "This network cannot be built: ")
            self.summary.value = _problem(head, self.error) + self._left_out_note()
            self.compare.value = self.chart.value = self.table.value = ""
            return
        self.report, self.error = report, None
        self.summary.value = self._summary_html(report)
        self.compare.value = self._compare_html(report)
        self.chart.value = self._chart_html(report)
        self.table.value = self._table_html(report)

    # -- drawing

    def _left_out_note(self) -> str:
        off = [str(i) for i, s in enumerate(self.blocks, start=1) if s.value == 0]
        if not off:
            return ""
        kept = len(self.blocks) - len(off)
        return f"<div style='color:{_QUIET_COLOR}'>" + self._t(
            f"卷积层数为 0 的块（第 {'、'.join(off)} 块）被去掉了：这个网络有 {kept} 个块。",
            f"Blocks with 0 convs ({', '.join(off)}) are left out: this network has {kept} blocks.",
        ) + "</div>"

    def _summary_html(self, r) -> str:
        last = r.blocks[-2].output_shape   # what the last block hands to Flatten
        flat = last[1] * last[2] * last[3]
        totals = self._t(
            f"<b>参数量：{human(r.total_params)}</b>（{r.total_params:,} 个）"
            f" · 每张图片的乘加运算：{human(r.total_macs)} 次",
            f"<b>Parameters: {human(r.total_params)}</b> ({r.total_params:,})"
            f" · multiply-adds per image: {human(r.total_macs)}")
        shape_in = _shape((r.in_channels, r.input_size, r.input_size))
        flow = self._t(
            f"输入 {shape_in} → 最后一个块输出 {_shape(last[1:])}"
            f" → 展平后 {flat:,} 个数进入第一个全连接层 → {r.num_classes} 类",
            f"Input {shape_in} → last block outputs {_shape(last[1:])}"
            f" → {flat:,} numbers enter the first fully connected layer → {r.num_classes} classes")
        return f"<div>{totals}</div><div>{flow}</div>{self._left_out_note()}"

    def _compare_html(self, r) -> str:
        p = _times(r.total_params / self._reference.total_params, self.lang)
        m = _times(r.total_macs / self._reference.total_macs, self.lang)
        return "<div>" + self._t(
            f"参数量是本课 VGG-11（1×224×224 输入，10 类）的 {p}，乘加运算是它的 {m}。",
            f"{p} the parameters and {m} the multiply-adds of the lesson's VGG-11 "
            "(1×224×224 input, 10 classes).") + "</div>"

    def _chart_html(self, r) -> str:
        """Bars in plain HTML: nothing to render, nothing to go stale, cheap to redraw."""
        top_p = max(b.params for b in r.blocks) or 1
        top_m = max(b.macs for b in r.blocks) or 1
        names = [self._t(f"块 {i}", f"block {i}") for i in self._kept_blocks()]
        names.append(self._t("全连接", "FC"))
        rows = [(name, _bar(b.params / top_p, _PARAMS_COLOR, human(b.params)),
                 _bar(b.macs / top_m, _MACS_COLOR, human(b.macs)))
                for name, b in zip(names, r.blocks)]
        return _table([""] + self._layer_headers()[2:], rows)

    def _table_html(self, r) -> str:
        rows, blocks = [], self._kept_blocks()
        for i, row in enumerate(r.rows):
            name = row["name"]
            if i < len(r.conv_arch):       # the blocks come first, in order
                (n, c), b = r.conv_arch[i], blocks[i]
                name += self._t(f"（块 {b}：{n} 层卷积，{c} 通道）",
                                f" (block {b}: {n} conv, {c} channels)" if n == 1 else
                                f" (block {b}: {n} convs, {c} channels)")
            rows.append((name, _shape(row["output_shape"]), human(row["params"]), human(row["macs"])))
        total = [f"<b>{human(r.total_params)}</b>", f"<b>{human(r.total_macs)}</b>"]
        rows.append((self._t("<b>合计</b>", "<b>total</b>"), "", *total))
        return _table(self._layer_headers(), rows)


def vgg_explorer(lang: str | None = None, in_channels: int = 1, num_classes: int = 10) -> VGGExplorer:
    """Explore the VGG family: presets, channel ratio, convs per block, input size."""
    return VGGExplorer(lang, in_channels, num_classes)


# ---------------------------------------------------------------- block explorer

IN_CHANNELS = (1, 3, 8, 16, 32, 64, 128, 256, 512)
OUT_CHANNELS = (8, 16, 32, 64, 128, 256, 512)


class BlockExplorer(_Explorer):
    """One VGG block, and why VGG stacks 3x3 convolutions.

    Controls: ``num_convs`` (IntSlider 1-4), ``in_channels`` and ``out_channels``
    (SelectionSliders), ``input_size`` (IntSlider). Results: ``summary`` (output
    shape, parameters, multiply-adds, or the reason a setting is impossible),
    ``table`` (the block layer by layer), ``compare`` (n stacked 3x3 convs against
    one (2n+1)x(2n+1) conv with the same receptive field, the current n
    highlighted). ``report`` and ``comparisons`` hold the last results.
    """

    def __init__(self, lang: str | None = None):
        self.lang = get_lang(lang)
        self.report, self.comparisons, self.error = None, [], None
        t = self._t
        self.num_convs = _control(widgets.IntSlider, value=2, min=1, max=MAX_CONVS,
                                  description=t("卷积层数", "Convs in the block"))
        self.in_channels = _control(widgets.SelectionSlider, options=IN_CHANNELS, value=64,
                                    description=t("输入通道数", "Input channels"))
        self.out_channels = _control(widgets.SelectionSlider, options=OUT_CHANNELS, value=128,
                                     description=t("输出通道数", "Output channels"))
        self.input_size = _control(widgets.IntSlider, value=56, min=1, max=224,
                                   description=t("输入尺寸（高 = 宽）", "Input size (h = w)"))
        self.summary, self.table, self.compare = widgets.HTML(), widgets.HTML(), widgets.HTML()
        controls = [self.num_convs, self.in_channels, self.out_channels, self.input_size]
        # the 3x3 comparison has seven columns: it takes the full width, under both
        self.columns = _columns([*controls, self.summary], [self.table])
        super().__init__([self.columns, self.compare])
        for control in controls:
            control.observe(lambda change: self.refresh(), "value")
        _tag(self, "block-explorer", num_convs=self.num_convs, in_channels=self.in_channels,
             out_channels=self.out_channels, input_size=self.input_size, summary=self.summary,
             table=self.table, compare=self.compare)
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the controls and redraw every result."""
        try:
            report = block_report(self.num_convs.value, self.in_channels.value,
                                  self.out_channels.value, self.input_size.value)
            # The lesson's claim is about C -> C convolutions (the paper's 27C² vs 49C²),
            # so the comparison keeps the block's output channels on both sides.
            comparisons = [stack_vs_single(n, self.out_channels.value,
                                           input_size=self.input_size.value)
                           for n in range(1, MAX_CONVS + 1)]
        except Exception as err:  # noqa: BLE001 - a wrong number left on screen is worse
            self.report, self.comparisons, self.error = None, [], _message(err, self.lang)
            head = self._t("无法构建这个块：", "This block cannot be built: ")
            self.summary.value = _problem(head, self.error)
            self.table.value = self.compare.value = ""
            return
        self.report, self.comparisons, self.error = report, comparisons, None
        self.summary.value = self._summary_html(report)
        self.table.value = self._table_html(report)
        self.compare.value = self._compare_html(comparisons)

    def _summary_html(self, r) -> str:
        shape_in = _shape((r.in_channels, r.input_size, r.input_size))
        return "<div>" + self._t(
            f"输入 {shape_in} → 输出 <b>{_shape(r.output_shape[1:])}</b> · "
            f"<b>参数量：{human(r.params)}</b>（{r.params:,} 个）· 乘加运算：{human(r.macs)} 次",
            f"Input {shape_in} → output <b>{_shape(r.output_shape[1:])}</b> · "
            f"<b>parameters: {human(r.params)}</b> ({r.params:,}) · multiply-adds: {human(r.macs)}",
        ) + "</div>"

    def _table_html(self, r) -> str:
        rows = [(row["name"], _shape(row["output_shape"]), f"{row['params']:,}", human(row["macs"]))
                for row in r.rows]
        return _table(self._layer_headers(), rows)

    def _compare_html(self, comparisons) -> str:
        t, c = self._t, self.out_channels.value
        rows = [(t(f"{s.num_convs} 个 3×3", f"{s.num_convs} × 3×3"),
                 t(f"1 个 {s.kernel_size}×{s.kernel_size}", f"1 × {s.kernel_size}×{s.kernel_size}"),
                 f"{s.receptive_field}×{s.receptive_field}",
                 f"{s.stacked_params:,}", f"{s.single_params:,}", f"{s.param_ratio:.0%}",
                 f"{s.stacked_relus} / {s.single_relus}")
                for s in comparisons]
        title = t(
            f"<b>为什么用 3×3？</b>堆叠的 3×3 卷积与感受野相同的单个大卷积（{c} → {c} 通道）：",
            f"<b>Why 3×3?</b> Stacked 3×3 convs against the one big conv with the same "
            f"receptive field ({c} → {c} channels):")
        headers = [t("堆叠", "stacked"), t("单个", "single"), t("感受野", "receptive field"),
                   t("堆叠的参数", "stacked params"), t("单个的参数", "single params"),
                   t("堆叠 / 单个", "stacked / single"),
                   t("ReLU 个数（堆叠 / 单个）", "ReLUs (stacked / single)")]
        return f"<div>{title}</div>" + _table(headers, rows, highlight=self.num_convs.value - 1)


def block_explorer(lang: str | None = None) -> BlockExplorer:
    """Explore one VGG block, and stacked 3x3 convs against one 5x5 or 7x7."""
    return BlockExplorer(lang)
