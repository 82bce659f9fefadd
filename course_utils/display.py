"""Tables and pictures the notebooks show, labelled in the lesson's language.

Every function that writes words takes ``lang`` ("zh" or "en"; ``None``: the language set
by ``start_lesson``) and labels columns, titles and legends in it, so a Chinese
lesson shows Chinese tables and figures.
"""

from __future__ import annotations

import torch

from .data import get_fashion_mnist_labels
from .figures import cjk_rc
from .figures.draw import MIN_TEXT_PT
from .messages import get_lang, pick
from .shapes import LayerRow, human, shape_text

# The book's result (d2l-zh, section 7.2 "使用块的网络（VGG）"): d2l's train_ch6 on a
# GPU, channels divided by 4, lr 0.05, Xavier init, batch 128, 10 epochs, input 224.
BOOK_RESULT = {"train_loss": 0.178, "train_acc": 0.934, "test_acc": 0.919}


def layer_frame(rows: list[LayerRow], lang: str | None = None):
    """A pandas table of :func:`course_utils.shapes.layer_table` rows, plus a total."""
    import pandas as pd

    lang = get_lang(lang)
    cols = (["层", "输出形状", "参数", "乘加 (MACs)", "激活值"] if lang == "zh"
            else ["layer", "output shape", "parameters", "MACs", "activations"])
    records = [[r.name, shape_text(r.output_shape[1:]), human(r.params),
                human(r.macs), human(r.activations)] for r in rows]
    records.append([pick("合计", "total", lang), "", human(sum(r.params for r in rows)),
                    human(sum(r.macs for r in rows)), human(sum(r.activations for r in rows))])
    return pd.DataFrame(records, columns=cols)


def _cjk_family() -> dict:
    """``fontfamily=`` for one text with Chinese in it (the course font as fallback).

    Given per text, not through ``rc_context``: a context around a notebook's first
    pyplot figure would also undo the inline backend's own settings, and later
    figures would no longer be shown.
    """
    families = cjk_rc().get("font.family")
    return {"fontfamily": families} if families else {}


def show_images(images, titles=None, ncols: int = 8, scale: float = 1.4, colors=None,
                heading: str | None = None):
    """A grid of grey images (tensor (N, 1, H, W) or (N, H, W)) with optional titles
    (``colors``: one per title) and a ``heading`` above the grid.

    Chinese titles are drawn with the course's font even before ``start_lesson``.
    """
    import matplotlib.pyplot as plt

    chinese = any(not str(t).isascii() for t in [*(titles or []), heading or ""])
    family = _cjk_family() if chinese else {}
    images = images.detach().float().cpu()
    if images.dim() == 4:
        images = images[:, 0]
    images = images.numpy()
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * (scale + 0.3)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r")
            if titles is not None:
                ax.set_title(titles[i], fontsize=MIN_TEXT_PT,
                             color=(colors[i] if colors else "black"),
                             **family)
    if heading:
        fig.suptitle(heading, fontsize=MIN_TEXT_PT + 1, **family)
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


def _pick_examples(net, test_iter, n: int, mistakes: int):
    """Up to ``n`` test images: ``mistakes`` that ``net`` gets wrong, the rest right.

    Walks the loader only as far as needed; keeps the loader's order. When the
    whole test set has fewer mistakes than asked, right ones fill the grid.
    """
    mistakes = max(0, min(mistakes, n))
    wrong, right = [], []                       # (position, image, label, prediction)
    seen = 0
    for X, y in test_iter:
        preds = predict(net, X)
        for i, (label, pred) in enumerate(zip(y.cpu().tolist(), preds.tolist())):
            bucket = wrong if label != pred else right
            if len(bucket) < (mistakes if label != pred else n):
                bucket.append((seen + i, X[i].detach().cpu(), label, pred))
        seen += len(y)
        if len(wrong) >= mistakes and len(right) >= n - mistakes:
            break
    chosen = wrong + right[:n - len(wrong)]
    chosen.sort(key=lambda item: item[0])
    return chosen


def show_predictions(net, test_iter, n: int = 8, lang: str | None = None, mistakes: int = 0):
    """``n`` test images titled with the true and the predicted class; mistakes in red.

    With ``mistakes=k`` the grid holds ``k`` images the network gets wrong (searched
    for in ``test_iter``) and ``n - k`` it gets right, so the red marking is seen;
    with ``mistakes=0`` it shows the first ``n`` test images, right or wrong.
    """
    lang = get_lang(lang)
    if not trained(net, lang):
        return None
    if mistakes:
        chosen = _pick_examples(net, test_iter, n, mistakes)
        X = torch.stack([image for _, image, _, _ in chosen])
        y = torch.tensor([label for _, _, label, _ in chosen])
        preds = torch.tensor([pred for _, _, _, pred in chosen])
    else:
        X, y = next(iter(test_iter))
        X, y = X[:n], y[:n].cpu()
        preds = predict(net, X)
    true_names = get_fashion_mnist_labels(y, lang)
    pred_names = get_fashion_mnist_labels(preds, lang)
    titles = [f"{t}\n{p}" for t, p in zip(true_names, pred_names)]
    colors = ["black" if a == b else "red" for a, b in zip(y.tolist(), preds.tolist())]
    heading = pick("每张图上方：第一行是真实类别，第二行是网络的预测；预测错误的标成红色",
                   "Above each image: the true class, then the network's prediction; "
                   "wrong predictions in red", lang)
    return show_images(X, titles, ncols=len(titles), colors=colors, heading=heading)


def trained(history, lang: str | None = None) -> bool:
    """Whether the training cell ran in this kernel; if not, one line says where the
    stored run is and what to run, so a class that skips training loses nothing."""
    if history is not None:
        return True
    print(pick("这个内核里还没有训练：训练单元格下面存好的输出是课前跑的那一次；"
               "想看自己的结果，先运行训练单元格，再运行这一格。",
               "Nothing has been trained in this kernel yet: the output stored under the "
               "training cell is the run made before class; to see your own, run the "
               "training cell, then this one.", lang))
    return False


def compare_with_book(final, lang: str | None = None):
    """Our last epoch next to the book's GPU result (d2l-zh), as a small table.

    ``final`` is a run's ``History`` or its ``.final`` dict; ``None`` (no run in this
    kernel) prints one line instead."""
    import pandas as pd

    lang = get_lang(lang)
    if not trained(final, lang):
        return None
    final = getattr(final, "final", final)
    if not final:
        from .messages import CourseError
        raise CourseError("还没有训练完一整轮，没有结果可以和教材对比：请让训练至少跑完一轮。",
                          "No epoch has finished yet, so there is nothing to compare with the "
                          "book: let training run for at least one epoch.")
    names = {"train_loss": pick("训练损失", "train loss", lang),
             "train_acc": pick("训练准确率", "train accuracy", lang),
             "test_acc": pick("测试准确率", "test accuracy", lang)}
    return pd.DataFrame({
        pick("本次运行", "this run", lang): [round(final[k], 3) for k in names],
        pick("教材（d2l-zh，GPU，224，10 轮）", "the book (d2l-zh), GPU, 224, 10 epochs", lang):
            [BOOK_RESULT[k] for k in names],
    }, index=list(names.values()))



def _init_name(init, lang: str) -> str:
    if init is None:
        return pick("PyTorch 默认", "PyTorch default", lang)
    return {"xavier": "Xavier", "kaiming": "Kaiming"}.get(str(init).lower(), str(init))


def _precision_name(precision, lang: str) -> str:
    if precision == "auto":
        return pick("自动", "auto", lang)
    return str(precision)


def profile_frame(profiles, lang: str | None = None):
    """Lesson 4's training profiles as a table, one row per profile.

    ``profiles``: a dict name -> Profile (``course_utils.train.PROFILES``) or a list
    of profiles. Columns: ratio, input size, lr, how lr moves, epochs, batch, init,
    precision.
    """
    import pandas as pd

    lang = get_lang(lang)
    items = list(profiles.values()) if isinstance(profiles, dict) else list(profiles)
    cols = (["通道缩小倍数", "输入尺寸", "学习率", "学习率变化", "轮数", "批量大小", "初始化", "精度"]
            if lang == "zh" else
            ["ratio", "input size", "lr", "lr schedule", "epochs", "batch", "init", "precision"])
    schedules = {"constant": pick("不变", "constant", lang),
                 "cosine": pick("余弦衰减到 0", "cosine, down to 0", lang)}
    records = [[p.ratio, f"{p.input_size}×{p.input_size}", p.lr,
                schedules.get(getattr(p, "schedule", "constant"), getattr(p, "schedule", "")),
                p.num_epochs, p.batch_size,
                _init_name(p.init, lang),
                _precision_name(getattr(p, "precision", "auto"), lang)] for p in items]
    frame = pd.DataFrame(records, columns=cols, index=[p.name for p in items])
    frame.index.name = pick("设置", "profile", lang)
    return frame


def how_trained_text(how: dict | None, lang: str | None = None) -> str:
    """torchvision's note on a model's weights (see ``figures.how_trained``) in a few
    words of the lesson's language, e.g. "from scratch, simplified recipe"."""
    how = how or {}
    origin = {"ported": pick("移植来的权重", "ported weights", lang),
              "reproduces": pick("复现论文", "reproduces the paper", lang),
              "improves": pick("超过论文", "improves on the paper", lang),
              "from scratch": pick("从头训练", "trained from scratch", lang)}.get(how.get("origin"))
    recipe = {"simple": pick("简单方案", "simple recipe", lang),
              "simplified": pick("简化方案", "simplified recipe", lang),
              "modified": pick("改进的新方案", "modified new recipe", lang)}.get(how.get("recipe"))
    parts = [p for p in (origin, recipe) if p]
    return pick("，", ", ", lang).join(parts) if parts else "—"


def model_zoo_frame(lang: str | None = None, rows: list[dict] | None = None):
    """The model zoo (``figures.model_zoo_table()``) as a labelled table, best first.

    Every accuracy is for torchvision's first-release weights (IMAGENET1K_V1), which
    are not always the paper's own recipe: the "V1 weights" column says how each was
    obtained, read from torchvision's own notes. The last column gives torchvision's
    newer-recipe accuracy where there is one, to show how much training alone adds
    (ResNet-50: 76.1 -> 80.9).
    """
    import pandas as pd

    from .figures import model_zoo_table

    lang = get_lang(lang)
    rows = model_zoo_table() if rows is None else rows
    labels = {
        "acc1": pick("top-1 准确率 (%)", "top-1 accuracy (%)", lang),
        "params": pick("参数 (M)", "parameters (M)", lang),
        "gmacs": pick("乘加 (G 次)", "GMACs", lang),
        "file_mb": pick("文件 (MB)", "file (MB)", lang),
        "images_per_sec": pick("速度 (张/秒)", "speed (images/s)", lang),
        "how_trained": pick("V1 权重的来历", "V1 weights", lang),
        "newer_acc1": pick("新训练方案的 top-1 (%)", "newer recipe top-1 (%)", lang),
    }
    records = []
    for r in rows:
        speed = r.get("images_per_sec")
        records.append({
            labels["acc1"]: round(r["acc1"], 2),
            labels["params"]: round(r["params"] / 1e6, 1),
            labels["gmacs"]: round(r["gmacs"], 2),
            labels["file_mb"]: round(r["file_mb"], 1),
            labels["images_per_sec"]: round(speed, 1) if speed else "—",
            labels["how_trained"]: how_trained_text(r.get("how_trained"), lang),
            labels["newer_acc1"]: (round(r["newer_acc1"], 2)
                                   if r.get("newer_acc1") is not None else "—"),
        })
    frame = pd.DataFrame(records, index=[r["name"] for r in rows])
    frame.index.name = pick("模型", "model", lang)
    return frame.sort_values(labels["acc1"], ascending=False, kind="stable")
