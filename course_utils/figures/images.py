"""Each figure rendered to bytes, and ``make images``: every figure in every language
written to ``Images/<name>.<lang>.svg``, the same bytes on every machine."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import matplotlib

from ..messages import LANGS, CourseError, get_lang
from .fonts import (COURSE_CJK_FONT, FONT_HINT, LATIN_FONT, cjk_font, no_missing_glyphs,
                    only_course_fonts, register_course_font)
from .lesson_figures import draw_modularization, draw_vgg, draw_vgg_block
from .model_zoo import SPEED_DEFAULTS, SPEEDS_FILE, measure_speeds, save_speeds
from .model_zoo_chart import draw_model_zoo

from ..paths import IMAGES_DIR
FIGURE_NAMES = ("modularization", "vgg_block", "vgg", "model_zoo")
_DRAW = {"modularization": draw_modularization, "vgg_block": draw_vgg_block,
         "vgg": draw_vgg, "model_zoo": draw_model_zoo}

SVG_RC = {
    # Text becomes glyph outlines, so a viewer with no Chinese font (a fresh browser,
    # a slide deck on a classroom PC) sees the same picture; each glyph is stored once.
    "svg.fonttype": "path",
    "svg.hashsalt": "vgg-course",    # fixed ids for clip paths: same bytes every run
    "font.family": [LATIN_FONT, COURSE_CJK_FONT],
    "font.size": 11,
    "axes.unicode_minus": False,     # a plain "-" exists in every font
}
SVG_METADATA = {"Date": None, "Creator": "course_utils.figures (vgg-course)"}
PNG_METADATA = {"Software": None}


def _rc(fmt: str, lang: str) -> dict:
    """rcParams for one figure: the course font when it exists (it must, for zh)."""
    cjk = register_course_font() if fmt == "svg" else cjk_font(required=False)
    if lang == "zh" and cjk is None:
        raise CourseError(*FONT_HINT)
    return {**SVG_RC, "font.family": [LATIN_FONT] + ([cjk] if cjk else [])}


def render(name: str, lang: str | None = None, fmt: str = "svg", **kwargs) -> bytes:
    """The bytes of one figure (``fmt`` "svg" or "png") in one language.

    SVG is drawn with matplotlib's own fonts and the course's pip font only, so the
    bytes are the same on every machine; PNG (a quick look) may fall back to a
    system CJK font when the pip one is missing.
    """
    lang = get_lang(lang)
    if fmt not in ("svg", "png"):
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    draw = _DRAW[_check_name(name)]
    rc = _rc(fmt, lang)
    buf = io.BytesIO()
    fonts = only_course_fonts() if fmt == "svg" else contextlib.nullcontext()
    # A bare Figure, not pyplot: no backend is switched and nothing pops up inline
    # in the notebook that calls this.
    with matplotlib.rc_context(rc), fonts, no_missing_glyphs():
        fig = draw(lang, **kwargs)
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata=SVG_METADATA)
        else:
            fig.savefig(buf, format="png", dpi=150, metadata=PNG_METADATA)
    return buf.getvalue()


def show(name: str, lang: str | None = None, **kwargs):
    """Display one figure in a notebook (as SVG, its text already turned into outlines)."""
    from IPython.display import SVG
    return SVG(render(name, lang, "svg", **kwargs))


def figure_path(name: str, lang: str, out_dir: Path | str = IMAGES_DIR, fmt: str = "svg") -> Path:
    """Where ``make images`` puts one figure: ``Images/<name>.<lang>.<fmt>``."""
    return Path(out_dir) / f"{_check_name(name)}.{get_lang(lang)}.{fmt}"


def make_images(out_dir: Path | str = IMAGES_DIR, names=FIGURE_NAMES, langs=LANGS) -> list[Path]:
    """Write every figure in every language; return the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        for lang in langs:
            path = figure_path(name, lang, out_dir)
            path.write_bytes(render(name, lang, "svg"))
            written.append(path)
    return written


def _check_name(name: str) -> str:
    if name not in FIGURE_NAMES:
        raise CourseError(f"没有名为 {name!r} 的图；可选：{', '.join(FIGURE_NAMES)}。",
                          f"There is no figure named {name!r}; choose from "
                          f"{', '.join(FIGURE_NAMES)}.")
    return name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.figures",
                                     description="Draw the lesson's figures into Images/.")
    parser.add_argument("--out", default=str(IMAGES_DIR), help="folder to write (default Images/)")
    parser.add_argument("--only", nargs="+", choices=FIGURE_NAMES, default=FIGURE_NAMES)
    parser.add_argument("--lang", nargs="+", choices=LANGS, default=LANGS)
    parser.add_argument("--measure", action="store_true",
                        help="re-measure the model-zoo speeds on this machine first and "
                             f"save them to {SPEEDS_FILE.name}")
    parser.add_argument("--batch-size", type=int, default=SPEED_DEFAULTS["batch_size"])
    parser.add_argument("--threads", type=int, default=SPEED_DEFAULTS["threads"],
                        help="threads for --measure (1: CPU time, robust on a busy machine)")
    args = parser.parse_args(argv)
    if args.measure:
        data = measure_speeds(batch_size=args.batch_size, threads=args.threads, verbose=True)
        save_speeds(data)
        print(f"measured in {data['seconds']} s -> {SPEEDS_FILE}")
    for path in make_images(args.out, args.only, args.lang):
        print(path)
    return 0
