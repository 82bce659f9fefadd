"""The model-zoo chart: ImageNet accuracy against measured speed, bubble area = file size."""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import NullLocator
from matplotlib.transforms import ScaledTranslation

from ..messages import pick
from .draw import GREY, MIN_TEXT_PT, baseline_text
from .model_zoo import FAMILIES, FAMILY_COLORS, ORIGINAL_WEIGHTS, load_speeds, model_zoo_table

BUBBLE_AREA_PER_MB = 1.8   # pt² of bubble per MB of weights: VGG-19 is ~35 pt across
LABEL_SIZE = MIN_TEXT_PT   # pt
WIDTH, HEIGHT = 11.8, 5.4  # inches: shown at its own size on a slide (draw.MAX_SIZE_IN)
AXES = (0.95, 1.2, 8.55, 4.85)   # left, bottom, right, top, in inches


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
    fig = Figure(figsize=(WIDTH, HEIGHT))
    left, bottom, right, top = AXES    # fixed: no layout engine measures labels
    ax = fig.add_axes((left / WIDTH, bottom / HEIGHT, (right - left) / WIDTH,
                       (top - bottom) / HEIGHT))
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
    ax.tick_params(labelsize=LABEL_SIZE)
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
        baseline_text(ax, *xy, r["name"], LABEL_SIZE, ha="left", transform=label_at, zorder=4)

    # Everything outside the axes is placed in inches from the bottom left corner,
    # on baselines, not by matplotlib's label layout (which would measure the
    # font-dependent Chinese text).
    inch = fig.dpi_scale_trans

    def note(x, y, s, size, **kw):
        return baseline_text(fig, x, y, s, size, transform=inch, **kw)

    threads = _threads_phrase(speeds["threads"], lang)
    note((left + right) / 2, 0.78, pick(f"推理速度（每秒图像数，{threads}，对数坐标）→ 越往右越快",
                                        f"inference speed (images per second, {threads}, log "
                                        "scale) → faster", lang), 12)
    note(0.3, (bottom + top) / 2, pick("ImageNet top-1 准确率（%）→ 越往上越准",
                                       "ImageNet top-1 accuracy (%) → more accurate", lang), 12,
         rotation=90)
    note(left, 5.08, pick("常见图像分类模型：准确率、速度与大小",
                          "Model zoo: accuracy, speed and size", lang), 15,
         ha="left", fontweight="bold")

    # Family colours (Latin names: the same in both languages), in two columns.
    x0, y = right + 0.35, top - 0.1
    note(x0, y, pick("模型系列", "family", lang), LABEL_SIZE, ha="left", fontweight="bold")
    present = [fam for _, fam in FAMILIES if any(r["family"] == fam for r in rows)]
    per_column = math.ceil(len(present) / 2)
    for k, fam in enumerate(present):
        xx, yy = x0 + 1.45 * (k // per_column), y - 0.235 * (k % per_column + 1)
        fig.add_artist(Circle((xx + 0.08, yy + 0.055), 0.07, transform=inch,
                              facecolor=FAMILY_COLORS[fam], alpha=0.7, edgecolor="black",
                              linewidth=0.5))
        note(xx + 0.24, yy, fam, LABEL_SIZE, ha="left")

    # Bubble-size key, drawn with the same area scale as the bubbles.
    yk = y - 0.235 * (per_column + 1) - 0.2
    note(x0, yk, pick("气泡面积：权重文件大小", "bubble area: file size", lang),
         LABEL_SIZE, ha="left", fontweight="bold")
    for k, mb in enumerate((10, 100, 500)):
        radius = (mb * BUBBLE_AREA_PER_MB / math.pi) ** 0.5 / 72      # inches
        cy = yk - 0.35 - 0.45 * k - (0.1 if mb == 500 else 0)
        fig.add_artist(Circle((x0 + 0.3, cy), radius, transform=inch, facecolor="#cccccc",
                              alpha=0.6, edgecolor="black", linewidth=0.5))
        note(x0 + 0.72, cy - 0.055, f"{mb} MB", LABEL_SIZE, ha="left")

    m = speeds["machine"]
    # Three short lines rather than two long ones: a line wider than the figure is cut.
    sources = [
        pick("准确率与文件大小：torchvision {tv} 自带的权重元数据（ImageNet-1K），"
             "每个模型取第一版权重 {w}；",
             "Accuracy and file size: torchvision {tv}'s weights metadata (ImageNet-1K), "
             "each model's first weights, {w};", lang).format(tv=m["torchvision"],
                                                              w=ORIGINAL_WEIGHTS),
        pick("各自怎么训练的，见课上的表格。速度：在 {cpu} 上实测（{how}），",
             "how each was trained: the lesson's table. Speed: measured on {cpu} ({how}),",
             lang).format(cpu=m["cpu"], how=_threads_phrase(speeds["threads"], lang, clock=True)),
        pick("torch {torch}，批量 {b}，{s}×{s} 输入，随机权重，{date}。",
             "torch {torch}, batch {b}, {s}×{s} input, random weights, {date}.", lang).format(
            torch=m["torch"], b=speeds["batch_size"], s=speeds["input_size"],
            date=speeds["date"]),
    ]
    for k, line in enumerate(sources):
        note(0.3, 0.5 - 0.2 * k, line, LABEL_SIZE, ha="left", color=GREY)
    return fig


def _threads_phrase(threads: int, lang: str, clock: bool = False) -> str:
    if threads == 1:
        return pick("单线程，计 CPU 时间" if clock else "单线程",
                    "one thread, its CPU time" if clock else "one thread", lang)
    return pick(f"{threads} 个线程" + ("，计墙钟时间" if clock else ""),
                f"{threads} threads" + (", wall-clock time" if clock else ""), lang)
