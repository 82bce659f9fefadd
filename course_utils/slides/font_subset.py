"""Chinese on any classroom PC: a subset of the course's CJK font embedded in each deck,
and in each SVG figure it shows."""

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


def font_face_css(font: Path | None, chars: str) -> str:
    """``@font-face`` for the deck's Chinese, the subset font inlined as a data URI:
    a deck is one file that renders Chinese on a machine with no Chinese font."""
    if font is None or not chars:
        return ""
    data, flavor = subset_font(font, chars)
    uri = f"data:font/{flavor};base64," + base64.b64encode(data).decode("ascii")
    return (f'@font-face {{ font-family: "{CJK_FAMILY}"; src: url({uri}) format("{flavor}");'
            f" unicode-range: {CJK_RANGES}; font-display: block; }}\n")


_SVG_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def svg_with_font(svg: str, font: Path | None) -> str:
    """An SVG figure carrying the glyphs of its own Chinese labels.

    A figure shown with ``<img>`` cannot use the page's fonts, so on a machine with
    no Chinese font its labels would be boxes; the subset travels inside the SVG.
    """
    chars = cjk_chars(svg)
    if font is None or not chars:
        return svg
    style = (f"<style>{font_face_css(font, chars)}text, tspan {{ font-family: "
             f'"{CJK_FAMILY}", "DejaVu Sans", Arial, sans-serif !important; }}</style>')
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + style, svg, count=1)


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
