"""The model zoo's numbers: torchvision's weights metadata and speeds measured on a CPU.

The speeds are cached in ``course_utils/model_zoo_speeds.json``;
``python -m course_utils.figures --measure`` measures them again on this machine.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import torch

from ..machine import cpu_name

SPEEDS_FILE = Path(__file__).resolve().parent.parent / "model_zoo_speeds.json"

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


# Like with like: every model's accuracy is that of torchvision's first release of its
# weights, IMAGENET1K_V1. Its `_docs` say how each was trained, and they differ (ported
# from the paper's authors, reproducing the paper, improving on it, or from scratch with
# a simplified recipe as for the VGGs): `how_trained` reads them for the lesson's table
# rather than the lesson paraphrasing them. Some
# models also have IMAGENET1K_V2 weights from torchvision's 2021 recipe (longer
# training, stronger augmentation): ResNet-50 goes from 76.13 to 80.858 without any
# change to the network, which would flatter it next to VGG's V1 weights.
ORIGINAL_WEIGHTS = "IMAGENET1K_V1"


def model_weights(name: str):
    """torchvision's first-release ImageNet weights for ``name`` (its V1 entry)."""
    from torchvision.models import get_model_weights
    weights = get_model_weights(name)
    return getattr(weights, ORIGINAL_WEIGHTS, weights.DEFAULT)


def _imagenet(weights) -> dict:
    return weights.meta["_metrics"]["ImageNet-1K"]


def model_meta(name: str) -> dict:
    """torchvision's offline metadata for ``name``'s first-release (V1) ImageNet weights.

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
            "newer_acc1": _imagenet(best)["acc@1"] if best else None,
            "how_trained": how_trained(meta.get("_docs", ""))}


def how_trained(docs: str) -> dict:
    """torchvision's note on how a set of weights was obtained (its ``_docs``), read into
    two parts a table can print in either language: ``origin`` ("ported", "reproduces",
    "improves", "from scratch" or ``None`` when the note says none of these) and
    ``recipe`` ("simple", "simplified", "modified" or ``None``), plus the note itself."""
    text = " ".join(docs.split())
    low = text.lower()
    origin = ("ported" if "ported from" in low else "improves" if "improve upon" in low
              else "reproduces" if "reproduce" in low else "from scratch"
              if "from scratch" in low else None)
    recipe = next((r for r in ("simplified", "modified", "simple") if f"{r} " in low), None)
    return {"origin": origin, "recipe": recipe, "docs": text}


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
    from torchvision's metadata for each model's first-release (V1) weights (see
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
