"""What VGG sees: a trained network's feature maps, block by block, and its first filters.

:func:`block_outputs` runs one image through the network and keeps what every
block hands to the next (after its pooling layer); :class:`FeatureMapViewer` is a
widget that shows them for a chosen test image and block; :func:`show_first_filters`
draws the first convolution's 3x3 kernels. Nothing here trains: give it the network
lesson 4 trained (or any VGG built by ``course_utils.models.vgg``).
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import torch
from torch import nn

from .figures.draw import MIN_TEXT_PT
from .messages import CourseError, get_lang, pick
from .widgets import _control, _tag

MAPS_SHOWN = 16          # feature maps drawn per block (the most active ones)


def conv_blocks(net: nn.Module) -> list[nn.Module]:
    """The network's VGG blocks: the leading children that end in a pooling layer."""
    blocks = []
    for child in net.children():
        if isinstance(child, nn.Sequential) and any(isinstance(m, nn.Conv2d) for m in child):
            blocks.append(child)
        elif blocks:
            break
    if not blocks:
        raise CourseError("这个网络里没有 VGG 块（由卷积层和汇聚层组成的 nn.Sequential）：请传入用 vgg() 搭的网络。",
                          "This network has no VGG blocks (nn.Sequential of convolutions and a "
                          "pool): pass a network built with vgg().", )
    return blocks


@torch.no_grad()
def block_outputs(net: nn.Module, image: torch.Tensor) -> list[torch.Tensor]:
    """What each block outputs for one image (``1 x H x W`` or ``1 x 1 x H x W``):
    one ``channels x h x w`` tensor per block, on the CPU, in fp32."""
    device = next(net.parameters()).device
    x = image.reshape(1, *image.shape[-3:]).to(device, torch.float32)
    was_training = net.training
    net.eval()
    outs = []
    try:
        for block in conv_blocks(net):
            x = block(x)
            outs.append(x[0].float().cpu())
    finally:
        net.train(was_training)
    return outs


def _strongest(maps: torch.Tensor, k: int) -> list[int]:
    """The ``k`` channels with the largest mean activation: dead (all-zero) maps say
    little, so the most active ones are shown first."""
    strength = maps.flatten(1).mean(1)
    return strength.argsort(descending=True)[:k].tolist()


def draw_block(image: torch.Tensor, maps: torch.Tensor, block: int, label: str,
               lang: str | None = None):
    """A figure: the input image, then the block's strongest feature maps."""
    import matplotlib.pyplot as plt

    lang = get_lang(lang)
    chosen = _strongest(maps, MAPS_SHOWN)
    cols = 9
    rows = 1 + (len(chosen) + cols - 2) // (cols - 1)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.35))
    for ax in axes.flat:
        ax.axis("off")
    axes.flat[0].imshow(image.reshape(image.shape[-2:]), cmap="gray")
    axes.flat[0].set_title(label, fontsize=MIN_TEXT_PT)
    slots = [ax for i, ax in enumerate(axes.flat) if i % cols != 0]
    for ax, channel in zip(slots, chosen):
        ax.imshow(maps[channel], cmap="viridis")
        ax.set_title(pick(f"通道 {channel}", f"ch {channel}", lang), fontsize=MIN_TEXT_PT)
    c, h, w = maps.shape
    fig.suptitle(pick(f"第 {block} 块的输出：{c} 个通道，每个 {h}×{w}（显示最活跃的 {len(chosen)} 个）",
                      f"Block {block} output: {c} channels of {h}×{w} (the {len(chosen)} most active shown)",
                      lang), fontsize=MIN_TEXT_PT + 1)
    fig.tight_layout()
    return fig


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


class FeatureMapViewer(widgets.VBox):
    """A slider for the test image, buttons for the block, the feature maps below.

    ``viewer.image.value = 7`` and ``viewer.block.value = 3`` drive it from code;
    ``viewer.picture.value`` holds the PNG a person sees."""

    def __init__(self, net: nn.Module, images: torch.Tensor, labels: list[str],
                 lang: str | None = None):
        self.lang = get_lang(lang)
        self.net, self.images, self.labels = net, images, labels
        blocks = len(conv_blocks(net))
        self.image = _control(widgets.IntSlider, min=0, max=len(images) - 1, value=0,
                              description=pick("测试图片编号", "test image", self.lang))
        self.block = widgets.ToggleButtons(options=list(range(1, blocks + 1)), value=1,
                                           description=pick("块", "block", self.lang),
                                           style={"button_width": "3em"})
        self.picture = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.note = widgets.HTML()
        super().__init__([self.image, self.block, self.note, self.picture])
        _tag(self, "vgg-sees", image=self.image, block=self.block, picture=self.picture,
             note=self.note)
        self.image.observe(self._update, "value")
        self.block.observe(self._update, "value")
        self._update()

    def _update(self, *_):
        index, block = self.image.value, self.block.value
        image = self.images[index]
        maps = block_outputs(self.net, image)[block - 1]
        self.picture.value = _png(draw_block(image, maps, block, self.labels[index], self.lang))
        dead = int((maps.flatten(1).amax(1) == 0).sum())
        self.note.value = pick(
            f"第 {block} 块：{maps.shape[0]} 个通道里有 {dead} 个对这张图全是 0（ReLU 把负数都截成了 0）。",
            f"Block {block}: {dead} of {maps.shape[0]} channels are all zero for this image "
            "(ReLU cut every negative value to 0).", self.lang)


def what_vgg_sees(net, test_iter, lang: str | None = None, n: int = 32) -> FeatureMapViewer | None:
    """The viewer over the first ``n`` test images; ``net=None`` (nothing trained in this
    kernel) prints where to look instead."""
    from .data import get_fashion_mnist_labels
    from .display import trained

    lang = get_lang(lang)
    if not trained(net, lang):
        return None
    images, labels = [], []
    for X, y in test_iter:
        images.append(X.cpu())
        labels.append(y.cpu())
        if sum(len(b) for b in images) >= n:
            break
    images, labels = torch.cat(images)[:n], torch.cat(labels)[:n]
    return FeatureMapViewer(net, images, get_fashion_mnist_labels(labels, lang), lang)


def show_first_filters(net: nn.Module, lang: str | None = None):
    """The first convolution's kernels, one small picture per output channel (input
    channel 0): edge and blob detectors appear after training."""
    import matplotlib.pyplot as plt

    lang = get_lang(lang)
    conv = next(m for m in conv_blocks(net)[0] if isinstance(m, nn.Conv2d))
    weights = conv.weight.detach().float().cpu()[:, 0]
    cols = 8
    rows = (len(weights) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.95, rows * 0.95 + 0.4))
    for ax in axes.flat:
        ax.axis("off")
    limit = weights.abs().max().item() or 1.0
    for ax, kernel in zip(axes.flat, weights):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    h, w = weights.shape[-2:]
    fig.suptitle(pick(f"第一个卷积层的 {len(weights)} 个 {h}×{w} 卷积核（红为正，蓝为负）",
                      f"The first convolution's {len(weights)} {h}×{w} kernels (red positive, blue negative)",
                      lang), fontsize=MIN_TEXT_PT + 1)
    fig.tight_layout()
    plt.show()
    return fig
