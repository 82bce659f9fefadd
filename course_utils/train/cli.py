"""``python -m course_utils.train``: train the lesson's VGG with a tested profile."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from ..messages import CourseError, pick, set_lang
from .precision import PRECISIONS
from .profiles import PROFILES, choose_profile, get_profile, run_profile


def _default_profile() -> str:
    try:
        return choose_profile()
    except CourseError as err:              # a typo in $COURSE_PROFILE must not break --help
        return f"? ({err.message()})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.train",
        description="Train the lesson's VGG with one of the tested profiles.")
    parser.add_argument("--profile", default=None,
                        help=f"one of {', '.join(PROFILES)} (default here: {_default_profile()})")
    parser.add_argument("--precision", default=None, choices=PRECISIONS,
                        help="default: the profile's (reference: fp32; others: auto)")
    parser.add_argument("--device", default=None, help="cpu, cuda:0, mps (default: try_gpu())")
    parser.add_argument("--checkpoint", default=None, help="save a checkpoint after each epoch")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the profile's epochs (e.g. --epochs 1 in class)")
    parser.add_argument("--lang", default=None, choices=("zh", "en"))
    parser.add_argument("--list", action="store_true", help="list the profiles and exit")
    args = parser.parse_args(argv)
    if args.lang:
        set_lang(args.lang)
    if args.list:
        for p in PROFILES.values():
            print(f"{p.name:10s} {p.note}\n           {p}")
        return 0
    try:
        profile = get_profile(args.profile or choose_profile())
        if args.epochs is not None:
            if args.epochs < 1:
                raise CourseError("--epochs 至少是 1。", "--epochs must be at least 1.")
            profile = replace(profile, num_epochs=args.epochs)
        print(pick(f"设置 {profile.name}：ratio {profile.ratio}，输入 {profile.input_size}，"
                   f"lr {profile.lr}（{profile.schedule}），{profile.num_epochs} 轮，"
                   f"批量 {profile.batch_size}，初始化 {profile.init}",
                   f"profile {profile.name}: ratio {profile.ratio}, input {profile.input_size}, "
                   f"lr {profile.lr} ({profile.schedule}), {profile.num_epochs} epochs, "
                   f"batch {profile.batch_size}, init {profile.init}"), flush=True)
        _, history = run_profile(profile, live=True, device=args.device,
                                 precision=args.precision, checkpoint=args.checkpoint,
                                 resume=args.resume)
    except CourseError as err:
        print(err, file=sys.stderr)          # str() falls back to both languages if needed
        return 1
    except KeyboardInterrupt:               # before training started (loading, building)
        print(pick("⏹ 已中断：训练还没有开始。", "⏹ Interrupted before training started."),
              file=sys.stderr)
        return 130
    print(pick(f"精度 {history.precision}，实际耗时 {history.wall_seconds:.1f} s，结束原因：",
               f"precision {history.precision}, {history.wall_seconds:.1f} s wall, stop: ")
          + history.stop_reason, flush=True)
    return 0 if history.stop_reason == "finished" else 2
