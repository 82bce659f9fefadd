"""The three pictures of the lesson's ideas: modularization, one VGG block, AlexNet beside VGG-11.

Every shape they show is measured by :func:`course_utils.shapes.layer_table`.
"""

from __future__ import annotations

import torch
from matplotlib.patches import Circle, FancyBboxPatch
from torch import nn

from ..messages import pick
from ..models import VGG11, alexnet, vgg
from ..shapes import layer_table
from .draw import (COLORS, GREY, MIN_TEXT_PT, arrow, baseline_text, box, canvas, shape_label,
                   text_lines)


# ---------------------------------------------------------------------------
# Figure 1: modularization
# ---------------------------------------------------------------------------

def draw_modularization(lang: str):
    fig, ax = canvas(11.6, 4.4)
    mid = 2.55
    titles = [pick("神经元", "neuron", lang), pick("层", "layer", lang),
              pick("块", "block", lang), pick("网络", "network", lang)]
    # Short lines: at MIN_TEXT_PT a column holds about 30 Latin characters.
    captions = [
        [pick("加权求和，", "a weighted sum,", lang), pick("再经过非线性", "then a nonlinearity", lang),
         "y = σ(w · x + b)"],
        [pick("许多神经元", "many neurons", lang), pick("并排", "side by side", lang),
         pick("例：一个 3×3 卷积层", "e.g. one 3×3 conv layer", lang)],
        [pick("层的一种", "a repeated pattern", lang), pick("重复模式", "of layers", lang),
         pick("例：一个 VGG 块", "e.g. one VGG block", lang)],
        [pick("把块堆叠起来，", "blocks stacked,", lang),
         pick("再接全连接层", "then dense layers", lang),
         pick("例：VGG-11（5 个块）", "e.g. VGG-11 (5 blocks)", lang)],
    ]
    centers = [1.65, 4.35, 7.15, 9.95]
    for xc, title, caption in zip(centers, titles, captions):
        baseline_text(ax, xc, 4.1, title, 16, fontweight="bold")
        text_lines(ax, xc, 0.62, caption, MIN_TEXT_PT + 0.5, colors=["black", "black", GREY])
    for left, right in zip(centers, centers[1:]):
        arrow(ax, (left + 0.95, mid), (right - 0.85, mid), width=2)

    # A neuron: three inputs, one output.
    fill, edge = COLORS["conv"]
    x0 = centers[0]
    for dy in (0.55, 0.0, -0.55):
        arrow(ax, (x0 - 0.95, mid + dy), (x0 - 0.3 * (1 - abs(dy) / 2), mid + dy * 0.35))
    ax.add_patch(Circle((x0, mid), 0.3, facecolor=fill, edgecolor=edge, linewidth=1.5))
    baseline_text(ax, x0, mid - 0.06, "σ", 14, color=edge)
    arrow(ax, (x0 + 0.3, mid), (x0 + 0.75, mid))

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
              ("pool", pick("最大汇聚", "max-pool", lang))]
    for k, (kind, label) in enumerate(layers):
        box(ax, x2, mid + 0.86 - k * 0.43, 1.5, 0.35, kind, [label], MIN_TEXT_PT)

    # A network: five blocks, then three dense layers.
    x3 = centers[3]
    for k in range(5):
        y = mid + 1.0 - k * 0.36
        box(ax, x3, y, 1.3, 0.28, "block", dashed=True)
        box(ax, x3 - 0.22, y, 0.7, 0.16, "conv")
        box(ax, x3 + 0.4, y, 0.3, 0.16, "pool")
    for k in range(3):
        box(ax, x3, mid - 0.85 - k * 0.17, 1.0, 0.11, "fc")
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
    fig, ax = canvas(11, 4.9)
    baseline_text(ax, 0.3, 4.45, pick("VGG 块", "A VGG block", lang), 16, ha="left", fontweight="bold")

    # Row 1: the general block.
    y = 3.3
    box(ax, 0.95, y, 1.3, 0.95, "input", [pick("输入", "input", lang), "c_in × h × w"], 12)
    arrow(ax, (1.6, y), (2.05, y))
    ax.add_patch(FancyBboxPatch((2.1, y - 0.78), 4.0, 1.56,
                                boxstyle="round,pad=0,rounding_size=0.1",
                                facecolor=COLORS["block"][0], edgecolor=COLORS["block"][1],
                                linewidth=1.2, linestyle="--"))
    baseline_text(ax, 5.95, y + 0.5, pick("重复 n 次", "× n", lang), 12, ha="right",
          color=COLORS["block"][1], fontweight="bold")
    box(ax, 3.3, y - 0.1, 2.1, 0.9, "conv",
         [pick("3×3 卷积", "3×3 convolution", lang), pick("填充 1", "padding 1", lang),
          pick("c_out 个输出通道", "c_out channels", lang)], 12)
    arrow(ax, (4.35, y - 0.1), (4.75, y - 0.1))
    box(ax, 5.35, y - 0.1, 1.2, 0.9, "relu", ["ReLU"], 12)
    arrow(ax, (6.1, y), (6.55, y))
    box(ax, 7.6, y, 2.1, 0.95, "pool",
         [pick("2×2 最大汇聚", "2×2 max-pool", lang), pick("步幅 2", "stride 2", lang)], 12)
    arrow(ax, (8.65, y), (9.05, y))
    box(ax, 9.95, y, 1.8, 0.95, "input",
         [pick("输出", "output", lang), "c_out × h/2 × w/2"], 12)
    text_lines(ax, 4.1, y - 1.2, [pick("高、宽不变", "height, width unchanged", lang),
                                  pick("（填充 1 抵消了 3×3 核）", "(padding 1 offsets the 3×3 kernel)",
                                       lang)], MIN_TEXT_PT, colors=[GREY, GREY])
    baseline_text(ax, 7.6, y - 1.14, pick("高、宽减半", "height, width halved", lang), MIN_TEXT_PT,
                  color=GREY)

    # Row 2: a real block with the shapes layer_table measures.
    in_shape, layers = vgg_block_example()
    n_convs = sum(name == "Conv2d" for name, _ in layers)
    baseline_text(ax, 0.3, 1.5,
          pick(f"例：VGG-11 的第 {EXAMPLE_BLOCK} 块，n = {n_convs}，输入图像 224×224"
               "（形状为 通道×高×宽）",
               f"Example: block {EXAMPLE_BLOCK} of VGG-11, n = {n_convs}, 224×224 input image "
               "(shapes are channels×height×width)", lang),
          MIN_TEXT_PT + 0.5, ha="left", color=GREY)
    labels = {"Conv2d": ("conv", pick("3×3 卷积", "3×3 conv", lang)),
              "ReLU": ("relu", "ReLU"),
              "MaxPool2d": ("pool", pick("最大汇聚", "max-pool", lang))}
    steps = [("input", pick("输入", "input", lang), in_shape)]
    steps += [(*labels[name], shape) for name, shape in layers]
    xs = [0.95 + k * (9.0 / (len(steps) - 1)) for k in range(len(steps))]
    for k, ((kind, label, shape), x) in enumerate(zip(steps, xs)):
        box(ax, x, 0.75, 1.4, 0.72, kind, [label, shape_label(shape)], 12,
             colors=["black", "#222222"], weights=["normal", "bold"])
        if k:
            arrow(ax, (xs[k - 1] + 0.72, 0.75), (x - 0.72, 0.75))
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
        shape = shape_label(row.output_shape)
        if isinstance(layer, nn.Conv2d):
            (k, _), (s, _) = layer.kernel_size, layer.stride
            text = pick(f"{k}×{k} 卷积，{layer.out_channels}",
                        f"{k}×{k} conv, {layer.out_channels}", lang)
            if s > 1:
                text += pick(f"，步幅 {s}", f", stride {s}", lang)
            rows.append(("conv", text, shape))
        elif isinstance(layer, nn.MaxPool2d):
            k, s = layer.kernel_size, layer.stride
            rows.append(("pool", pick(f"{k}×{k} 最大汇聚，步幅 {s}",
                                      f"{k}×{k} max-pool, stride {s}", lang), shape))
        elif isinstance(layer, nn.Flatten):
            flattened = row.output_shape[1]
        elif isinstance(layer, nn.Linear):
            rows.append(("fc", _dense_label(layer.out_features, flattened, lang), shape))
            flattened = None
    return rows


def _vgg11_rows(lang: str, input_size: int):
    """VGG-11 as rows: a block's title and output shape on one line, its layers below."""
    with torch.device("meta"):
        net = vgg(VGG11, input_size=input_size)
    table = layer_table(net, (1, 1, input_size, input_size))
    rows = []
    for i, (num_convs, out) in enumerate(VGG11):
        rows.append(("block", [pick(f"VGG 块 {i + 1}", f"VGG block {i + 1}", lang)
                               + f"  →  {shape_label(table[i].output_shape)}",
                               pick(f"{num_convs} ×（3×3 卷积，{out}）+ 最大汇聚",
                                    f"{num_convs} × (3×3 conv, {out}) + max-pool", lang)],
                     shape_label(table[i].output_shape)))
    flat = next(r.output_shape[1] for r in table if r.name == "Flatten")
    for k, r in enumerate(r for r in table if r.name == "Linear"):
        rows.append(("fc", [_dense_label(r.output_shape[1], flat if k == 0 else None, lang)],
                     shape_label(r.output_shape)))
    return rows


def _dense_label(out: int, flattened: int | None, lang: str) -> str:
    """'dense, 4096', preceded by the flatten that feeds the first dense layer."""
    text = pick(f"全连接，{out}", f"dense, {out}", lang)
    if flattened is None:
        return text
    return pick(f"展平（{flattened}）+ ", f"flatten ({flattened}) + ", lang) + text


def draw_vgg(lang: str, input_size: int = 224):
    """AlexNet's eleven layers beside VGG-11's five blocks, one row a layer.

    Short enough for a slide (``MAX_SIZE_IN``): rows touch, with a small arrow
    between them, and each VGG block says its output on its title line.
    """
    fig, ax = canvas(9.4, 5.4)
    alex, vggr = _alexnet_rows(lang, input_size), _vgg11_rows(lang, input_size)
    cols = {"AlexNet": 2.3, "VGG-11": 7.05}
    w, h, gap = 4.2, 0.27, 0.085
    pitch = h + gap
    top = 4.72
    size = MIN_TEXT_PT

    def link(x, upper, lower):
        arrow(ax, (x, upper), (x, lower), width=1.0, head=6)

    for name, x in cols.items():
        baseline_text(ax, x, 5.13, name, 16, fontweight="bold")
        box(ax, x, top, w, h, "input",
            [pick(f"输入 1×{input_size}×{input_size}", f"input 1×{input_size}×{input_size}",
                  lang)], size)

    # AlexNet: one row per layer.
    x = cols["AlexNet"]
    y = top
    for kind, text, shape in alex:
        link(x, y - h / 2, y - pitch + h / 2)
        y -= pitch
        box(ax, x, y, w, h, kind, [f"{text}  →  {shape}"], size)
    fc_top = y + 2 * pitch                      # where the three dense layers start

    # VGG-11: five blocks fill the space AlexNet's eight feature rows take.
    x = cols["VGG-11"]
    feat_bottom = fc_top + h / 2 + gap
    bh = (top - h / 2 - feat_bottom - 5 * gap) / 5
    y_prev_bottom = top - h / 2
    for lines in [r[1] for r in vggr if r[0] == "block"]:
        yc = y_prev_bottom - gap - bh / 2
        link(x, y_prev_bottom, yc + bh / 2)
        box(ax, x, yc, w, bh, "block", lines, size, dashed=True,
            colors=[COLORS["block"][1], "black"], weights=["bold", "normal"])
        y_prev_bottom = yc - bh / 2
    for k, (kind, lines, shape) in enumerate([r for r in vggr if r[0] == "fc"]):
        yc = fc_top - k * pitch
        link(x, y_prev_bottom, yc + h / 2)
        box(ax, x, yc, w, h, "fc", [f"{lines[0]}  →  {shape}"], size)
        y_prev_bottom = yc - h / 2

    text_lines(ax, 4.7, 0.3, [
        pick("两者都以 Fashion-MNIST 为输入（1 个通道，放大到 224×224），输出 10 类。",
             "Both read Fashion-MNIST (1 channel, upscaled to 224×224) and output 10 classes.",
             lang),
        pick("箭头后是该层的输出：通道×高×宽，或特征数。",
             "After each arrow: the layer's output, channels×height×width or features.", lang),
    ], size, colors=[GREY, GREY])
    return fig
