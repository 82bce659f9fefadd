"""``make slides``: every notebook, in both languages, as a deck, plus an index page."""

from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path

from ..messages import CourseError, pick
from .export import deck_name, finish_page, render_deck
from .font_subset import (embedded_chars, find_cjk_font, font_face_css, missing_glyphs,
                          svg_sources, union_font)
from .style import SANS
from .vendor import CACHE_DIR, install_vendor

from ..paths import NOTEBOOKS_DIR
LANGS = ("zh", "en")


def find_notebooks(root: Path = NOTEBOOKS_DIR) -> list[tuple[str, Path]]:
    """``(lang, path)`` for every ``root/<lang>/*.ipynb``, in a stable order."""
    found = []
    for lang in LANGS:
        found += [(lang, p) for p in sorted((Path(root) / lang).glob("*.ipynb"))]
    return found


def _title(notebook: Path) -> str:
    import nbformat
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return notebook.stem


def index_page(decks: list[tuple[str, Path, Path]], font: Path | None = None) -> str:
    """The page linking every deck; its Chinese drawn with a subset of ``font``
    (``None``: the viewer's own fonts)."""
    sections = []
    for lang, heading in (("zh", "中文"), ("en", "English")):
        items = [f'<li><a href="{html.escape(deck.name)}">{html.escape(_title(nb))}</a></li>'
                 for deck_lang, nb, deck in decks if deck_lang == lang]
        if items:
            sections.append(f"<h2>{heading}</h2>\n<ol>\n" + "\n".join(items) + "\n</ol>")
    body = ("<title>VGG · 幻灯片 slides</title></head><body>\n"
            "<h1>使用块的网络 VGG · Networks Using Blocks (VGG)</h1>\n"
            + "\n".join(sections) + "\n</body></html>\n")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<style>\n{font_face_css(font, embedded_chars(body))}"
            f"body {{ font-family: {SANS}; max-width: 40em; margin: 2em auto; }}\n</style>"
            + body)


def write_index(out_dir: Path, decks: list[tuple[str, Path, Path]],
                font: Path | None = None) -> Path:
    """A page linking every deck, so the instructor opens one file."""
    target = out_dir / "index.html"
    target.write_text(index_page(decks, font), encoding="utf-8")
    return target


def build(out_dir: Path | str = "slides", notebooks_dir: Path | str = NOTEBOOKS_DIR,
          cache_dir: Path = CACHE_DIR) -> list[Path]:
    """Export every notebook as an offline deck into ``out_dir``; return the decks."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = find_notebooks(Path(notebooks_dir))
    if not notebooks:
        raise CourseError(f"{notebooks_dir} 下没有 zh/*.ipynb 或 en/*.ipynb。",
                          f"No zh/*.ipynb or en/*.ipynb under {notebooks_dir}.")
    install_vendor(out_dir, cache_dir)
    bodies = [render_deck(nb, lang) for lang, nb in notebooks]
    decks = [(lang, nb, out_dir / deck_name(lang, nb)) for lang, nb in notebooks]
    everything = "".join(bodies) + index_page(decks) + "".join(map(svg_sources, bodies))
    font = union_font(find_cjk_font(), embedded_chars(everything))
    missing = missing_glyphs(font, everything) if font is not None else ""
    if missing:
        print(pick(f"提示：课程字体里没有这些字符，没有相应字体的电脑上会显示成方框：{missing}"
                   "（可以在 course_utils/slides/font_subset.py 的 SLIDE_SYMBOLS 里换成别的符号）。",
                   f"Note: the course's font has no glyph for {missing}: a PC without a font "
                   "for them shows boxes (SLIDE_SYMBOLS in course_utils/slides/font_subset.py "
                   "can swap them for other symbols)."), file=sys.stderr)
    for (_, _, target), body in zip(decks, bodies):
        target.write_text(finish_page(body, font), encoding="utf-8")
    write_index(out_dir, decks, font)
    return [deck for _, _, deck in decks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.slides",
                                     description="Export the notebooks as offline reveal.js "
                                     "slides.")
    parser.add_argument("--out", default=os.environ.get("SLIDES_DIR", "slides"),
                        help="folder for the decks (default: $SLIDES_DIR or slides/)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR),
                        help="folder holding zh/ and en/ (default: notebooks/)")
    args = parser.parse_args(argv)
    try:
        decks = build(args.out, args.notebooks)
    except CourseError as err:
        print(err, file=sys.stderr)
        return 1
    for deck in decks:
        print(deck)
    if find_cjk_font() is None:
        print(pick("提示：没有找到中文字体，幻灯片里的中文将使用放映电脑自带的字体"
                   "（pip install -r requirements.txt 会安装课程的字体）。",
                   "Note: no Chinese font was found, so the decks' Chinese relies on the "
                   "presenting computer's fonts (pip install -r requirements.txt installs "
                   "the course's font)."), file=sys.stderr)
    print(f"open {Path(args.out) / 'index.html'}")
    return 0
