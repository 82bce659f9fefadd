"""Tables and pictures the notebooks show, labelled in the lesson's language."""

from __future__ import annotations

import torch

from .data import get_fashion_mnist_labels
from .inspect import LayerRow, human, shape_text
from .messages import get_lang, pick

# The seed's result: d2l's train_ch6 on a GPU, ratio 4, lr 0.05, 10 epochs, input 224.
SEED_RESULT = {"train_loss": 0.178, "train_acc": 0.934, "test_acc": 0.919}


def layer_frame(rows: list[LayerRow], lang: str | None = None):
    """A pandas table of :func:`course_utils.inspect.layer_table` rows, plus a total."""
    import pandas as pd

    lang = get_lang(lang)
    cols = (["层", "输出形状", "参数", "乘加 (MACs)", "激活值"] if lang == "zh"
            else ["layer", "output shape", "parameters", "MACs", "activations"])
    records = [[r.name, shape_text(r.output_shape[1:]), human(r.params),
                human(r.macs), human(r.activations)] for r in rows]
    records.append([pick("合计", "total", lang), "", human(sum(r.params for r in rows)),
                    human(sum(r.macs for r in rows)), human(sum(r.activations for r in rows))])
    return pd.DataFrame(records, columns=cols)


def show_images(images, titles=None, ncols: int = 8, scale: float = 1.4, colors=None):
    """A grid of grey images (tensor (N, 1, H, W) or (N, H, W)) with optional titles."""
    import matplotlib.pyplot as plt

    images = images.detach().float().cpu()
    if images.dim() == 4:
        images = images[:, 0]
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * (scale + 0.3)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r")
            if titles is not None:
                ax.set_title(titles[i], fontsize=9, color=(colors[i] if colors else "black"))
    fig.tight_layout()
    return fig


def predict(net, images: torch.Tensor) -> torch.Tensor:
    """Class indices that ``net`` predicts for a float batch, on the net's device."""
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(images.to(device)).argmax(dim=1).cpu()
    finally:
        net.train(was_training)


def show_predictions(net, test_iter, n: int = 8, lang: str | None = None):
    """The first ``n`` test images with 'true / predicted' labels; mistakes in red."""
    X, y = next(iter(test_iter))
    X, y = X[:n], y[:n].cpu()
    preds = predict(net, X)
    true_names = get_fashion_mnist_labels(y, lang)
    pred_names = get_fashion_mnist_labels(preds, lang)
    titles = [f"{t}\n{p}" for t, p in zip(true_names, pred_names)]
    colors = ["black" if a == b else "red" for a, b in zip(y.tolist(), preds.tolist())]
    return show_images(X, titles, ncols=n, colors=colors)


def compare_with_seed(final: dict, lang: str | None = None):
    """Our last epoch next to the seed's GPU result, as a small table."""
    import pandas as pd

    lang = get_lang(lang)
    names = {"train_loss": pick("训练损失", "train loss", lang),
             "train_acc": pick("训练准确率", "train accuracy", lang),
             "test_acc": pick("测试准确率", "test accuracy", lang)}
    return pd.DataFrame({
        pick("本次运行", "this run", lang): [round(final[k], 3) for k in names],
        pick("教材参考（GPU，224，10 轮）", "seed's reference (GPU, 224, 10 epochs)", lang):
            [SEED_RESULT[k] for k in names],
    }, index=list(names.values()))
