"""Chinese and symbols on any classroom PC: a subset of the course's CJK font embedded in
each deck, its speaker view, the index page and each SVG figure a deck shows.

A classroom PC may have Latin fonts only (Arial, Times New Roman, Courier New: the
Windows Glyph List 4, :data:`LATIN_PC`). Every other character a page shows, the
Chinese and symbols such as ✓ ⚠ ①, is drawn from the embedded subset; the few
symbols the course's font lacks are swapped for ones it has in the slides
(:data:`SLIDE_SYMBOLS`; the notebooks keep theirs)."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
from pathlib import Path

from ..machine import cache_dir

FONTS_CACHE = cache_dir() / "fonts"

CJK_FAMILY = "VGG Course CJK"
# Where the embedded face applies: CJK ideographs, kana, punctuation, full-width forms.
CJK_RANGES = "U+2E80-2FFF, U+3000-30FF, U+3190-31FF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, " \
             "U+FE30-FE4F, U+FF00-FFEF"
_CJK_CHAR = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                       r"\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")

# Characters the Latin fonts of every PC draw (a safe part of the Windows Glyph List 4
# that Arial, Times New Roman, Courier New and their Liberation twins share): left to
# those fonts, so English text keeps its proportional quotes and dashes. Everything
# else a page shows comes from the embedded subset.
LATIN_PC = re.compile(r"[\s\u0020-\u007e\u00a0-\u017f\u0370-\u03ff\u0400-\u045f"
                      r"\u2013-\u2015\u2018-\u201e\u2020-\u2022\u2026\u2030\u2032\u2033"
                      r"\u2039\u203a\u20ac\u2122\u2190-\u2195\u2212\u221e\u2248\u2260"
                      r"\u2264\u2265\u25a0\u25a1\u25cb\u25cf]")
# Drawn as nothing, or asking for an emoji font: not worth a glyph.
_INVISIBLE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2060-\u206f"
                        r"\ufe00-\ufe0f\ufeff]")

# Symbols the notebooks print that the course's font has no glyph for (emoji, mostly),
# and what a slide shows instead: a glyph of the font that says the same to a student.
SLIDE_SYMBOLS = {
    "\u2705": "\u2713",      # ✅ -> ✓  right
    "\u274c": "\u00d7",      # ❌ -> ×  wrong
    "\u23f3": "\u2026",      # ⏳ -> …  not answered yet (a ○ would read "right" to some)
    "\u23f9": "\u25a0",      # ⏹ -> ■  stopped (the toolbar's interrupt button is ■)
    "\u231b": "\u2026",      # ⌛ -> …
    "\u2714": "\u2713",      # ✔ -> ✓
    "\u2716": "\u00d7",      # ✖ -> ×
    "\u2717": "\u00d7",      # ✗ -> ×
    "\u2718": "\u00d7",      # ✘ -> ×
    "\ufe0f": "",             # emoji presentation (⚠️ -> ⚠, which the font has)
    "\ufe0e": "",
}
_SLIDE_SYMBOLS = str.maketrans(SLIDE_SYMBOLS)


def slide_symbols(text: str) -> str:
    """``text`` with the symbols the font cannot draw swapped (:data:`SLIDE_SYMBOLS`)."""
    return text.translate(_SLIDE_SYMBOLS)


def find_cjk_font() -> Path | None:
    """The course's Chinese font file, or ``None``.

    ``$COURSE_CJK_FONT`` when set; else the file :func:`course_utils.figures.cjk_font_path`
    names (the pip font, else a system CJK font), so figures and decks draw the
    same glyphs.
    """
    env = os.environ.get("COURSE_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env)
    from ..figures import cjk_font_path
    return cjk_font_path()


def _open_face(path: Path):
    """A TTFont; from a collection (.ttc), its simplified-Chinese sans face."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() != ".ttc":
        return TTFont(path, lazy=False)
    names = [f["name"].getDebugName(4) or "" for f in TTCollection(path, lazy=True).fonts]
    best = next((i for i, n in enumerate(names) if " SC" in n and "Mono" not in n), 0)
    return TTFont(path, fontNumber=best, lazy=False)


def _flavor() -> str:
    try:
        import brotli  # noqa: F401 - fontTools needs it for woff2
        return "woff2"
    except ImportError:
        return "woff"


def subset_font(font: Path, chars: str, cache_dir: Path | None = None) -> tuple[bytes, str]:
    """The glyphs for ``chars`` only, as (bytes, "woff2" or "woff"); cached on disk."""
    from fontTools import subset

    flavor = _flavor()
    chars = "".join(sorted(set(chars)))
    stat = font.stat()
    key = hashlib.sha256(f"{font}|{stat.st_size}|{stat.st_mtime_ns}|{flavor}|{chars}".encode())
    cache_dir = cache_dir or FONTS_CACHE
    cached = cache_dir / f"{key.hexdigest()[:24]}.{flavor}"
    if cached.is_file():
        return cached.read_bytes(), flavor
    options = subset.Options()
    options.flavor, options.hinting, options.desubroutinize = flavor, False, True
    options.name_IDs, options.notdef_outline = ["*"], True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    face = _open_face(font)
    subsetter.subset(face)
    buffer = io.BytesIO()
    face.flavor = flavor
    face.save(buffer)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(buffer.getvalue())
    return buffer.getvalue(), flavor


def cjk_chars(page: str) -> str:
    """The CJK characters a page shows (its text; data URIs are plain ASCII)."""
    return "".join(sorted(set(_CJK_CHAR.findall(html.unescape(page)))))


_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)


def embedded_chars(page: str) -> str:
    """Every character of a page that the embedded font draws: its Chinese, and each
    symbol a PC's Latin fonts may lack (not :data:`LATIN_PC`)."""
    text = html.unescape(page)
    others = html.unescape(_MARKUP.sub(" ", page))      # tags, scripts: not shown
    extra = {c for c in others if not LATIN_PC.match(c) and not _INVISIBLE.match(c)}
    return "".join(sorted(set(_CJK_CHAR.findall(text)) | extra))


def _unicode_range(chars: str) -> str:
    """CSS ``unicode-range`` for the CJK blocks plus each of ``chars`` outside them."""
    points = sorted({ord(c) for c in chars if not _CJK_CHAR.match(c)})
    spans: list[list[int]] = []
    for point in points:
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    extra = [f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans]
    return ", ".join([CJK_RANGES] + extra)


def font_chars(font: Path) -> set[str]:
    """The characters ``font`` has glyphs for."""
    return {chr(c) for c in _open_face(font).getBestCmap()}


def missing_glyphs(font: Path | None, page: str) -> str:
    """The characters of a page that neither the embedded font nor a PC's Latin
    fonts draw: boxes on a classroom PC (empty: none)."""
    wanted = embedded_chars(page)
    if font is None:
        return "".join(c for c in wanted if not _CJK_CHAR.match(c))
    have = font_chars(font)
    return "".join(c for c in wanted if c not in have)


def font_face_css(font: Path | None, chars: str) -> str:
    """``@font-face`` for a page's Chinese and symbols (``chars``, from
    :func:`embedded_chars`), the subset font inlined as a data URI: a deck is one
    file that renders Chinese on a machine with no Chinese font."""
    if font is None or not chars:
        return ""
    data, flavor = subset_font(font, chars)
    uri = f"data:font/{flavor};base64," + base64.b64encode(data).decode("ascii")
    return (f'@font-face {{ font-family: "{CJK_FAMILY}"; src: url({uri}) format("{flavor}");'
            f" unicode-range: {_unicode_range(chars)}; font-display: block; }}\n")


_SVG_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def svg_with_font(svg: str, font: Path | None) -> str:
    """An SVG figure carrying the glyphs of its own Chinese labels.

    A figure shown with ``<img>`` cannot use the page's fonts, so on a machine with
    no Chinese font its labels would be boxes; the subset travels inside the SVG.
    """
    chars = embedded_chars(svg)
    if font is None or not chars:
        return svg
    style = (f"<style>{font_face_css(font, chars)}text, tspan {{ font-family: "
             f'"{CJK_FAMILY}", "DejaVu Sans", Arial, sans-serif !important; }}</style>')
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, svg, count=1)


def svg_sources(page: str) -> str:
    """The SVG figures a page embeds as data URIs, decoded (their labels need glyphs too)."""
    return "".join(base64.b64decode(m.group(1)).decode("utf-8", "replace")
                   for m in _SVG_URI.finditer(page))


def embed_svg_fonts(page: str, font: Path | None) -> str:
    def swap(match):
        svg = base64.b64decode(match.group(1)).decode("utf-8")
        fitted = svg_with_font(svg, font)
        if fitted is svg:
            return match.group(0)
        return "data:image/svg+xml;base64," + base64.b64encode(fitted.encode("utf-8")).decode("ascii")
    return _SVG_URI.sub(swap, page) if font is not None else page


def union_font(font: Path | None, chars: str) -> Path | None:
    """The few thousand glyphs all decks use, as one small font file (cached), so
    that cutting each deck's own subset from it takes milliseconds, not seconds."""
    if font is None or not chars:
        return font
    data, flavor = subset_font(font, chars)
    path = FONTS_CACHE / f"all-{hashlib.sha256(data).hexdigest()[:16]}.{flavor}"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path
