"""Fitting a 1280x720 screen: each cell's estimated height, and continuation sub-slides."""

from __future__ import annotations

import base64
import copy
import math
import re
import unicodedata

from ..cells import slide_type, text_of
from ..messages import pick

CONTINUED = ("（续）", " (cont.)")


def set_slide_type(cell, kind: str) -> None:
    cell.metadata.setdefault("slideshow", {})["slide_type"] = kind


# reveal.js draws a 960x700 slide and scales it to the screen; a slide's content
# beyond SLIDE_BUDGET px (in slide units) gets a continuation slide. The sizes are
# those set by DECK_CSS (style.py), measured in Chromium (tests/test_decks.py checks
# the result on every slide of every deck).
SLIDE_WIDTH, SLIDE_HEIGHT = 960, 700
SLIDE_BUDGET = 660
TEXT_PX, TEXT_LINE = 20, 30            # markdown text
CODE_CHAR, CODE_LINE = 9.6, 21         # code at 16px (13px for long cells: DECK_CSS)
SMALL_CODE_CHAR, SMALL_CODE_LINE = 7.8, 17.5
OUTPUT_LINE = 19
TABLE_ROW = 25
HEADING = {1: 70, 2: 60, 3: 46, 4: 40, 5: 34, 6: 30}
IMAGE_MAX = 420                        # DECK_CSS caps figures at this height


def _display_width(text: str) -> float:
    """Width in em: a CJK character is one em, a Latin one about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.52 for ch in text)


def _wrapped(text: str, width_em: float) -> int:
    return max(1, math.ceil(_display_width(text) / width_em))


def _image_height(source: str) -> int:
    """Figures are scaled to the slide's width and capped at IMAGE_MAX."""
    total = 0
    for uri in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", source):
        svg = base64.b64decode(uri)[:2000].decode("utf-8", "replace")
        box = re.search(r'viewBox="[\d.\s-]+?\s([\d.]+)\s+([\d.]+)"', svg)
        w, h = (float(box.group(1)), float(box.group(2))) if box else (4, 3)
        total += min(IMAGE_MAX, int(SLIDE_WIDTH * 0.9 * h / w)) + 10
    total += IMAGE_MAX * len(re.findall(r"data:image/(?!svg)", source))
    return total


def markdown_height(source: str) -> int:
    """Rough px height of a rendered markdown cell on a slide."""
    width_em = SLIDE_WIDTH * 0.94 / TEXT_PX
    height, in_math = 12, False
    for line in re.sub(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", "", source).splitlines():
        stripped = line.strip()
        if stripped.startswith("$$"):
            if not (len(stripped) > 2 and stripped.endswith("$$")):   # "$$ ... $$" on one line
                in_math = not in_math
            height += 25
            continue
        if in_math:
            height += 25
            continue
        heading = re.match(r"^(#{1,6})\s", stripped)
        if heading:
            level = len(heading.group(1))
            height += HEADING[level] * _wrapped(stripped, width_em / (HEADING[level] / 34))
        elif not stripped:
            height += 8                       # paragraph spacing
        else:
            indent = 2 if re.match(r"^\s*([-*+]|\d+\.)\s", line) else 0
            plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", stripped)
            height += TEXT_LINE * _wrapped(plain, width_em - indent)
    return height + _image_height(source)


def code_height(cell) -> int:
    small = "deck-small" in cell.metadata.get("tags", [])
    char, line_px = (SMALL_CODE_CHAR, SMALL_CODE_LINE) if small else (CODE_CHAR, CODE_LINE)
    per_line = (SLIDE_WIDTH - 40) / char
    height = 24 + sum(line_px * max(1, math.ceil(len(line) / per_line))
                      for line in cell.source.splitlines())
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if out.get("output_type") in ("stream", "error"):
            text = text_of(out.get("text") or "\n".join(out.get("traceback", [])))
            height += 10 + sum(OUTPUT_LINE * max(1, math.ceil(_display_width(t) * 8.5 / (SLIDE_WIDTH - 60)))
                               for t in text.splitlines())
        elif "image/png" in data or "image/svg+xml" in data:
            height += IMAGE_MAX
        elif "text/html" in data:
            html_text = text_of(data["text/html"])
            rows = len(re.findall(r"<tr\b", html_text, re.I))
            height += 20 + (rows * TABLE_ROW if rows else 30 * max(1, html_text.count("<p")))
        elif "text/plain" in data:
            height += 10 + OUTPUT_LINE * len(text_of(data["text/plain"]).splitlines())
    return int(height)


def cell_height(cell) -> int:
    if slide_type(cell) in ("notes", "skip"):
        return 0
    if cell.cell_type == "markdown":
        return markdown_height(cell.source)
    if cell.cell_type == "code":
        return code_height(cell)
    return 0


def split_markdown(source: str, budget: int) -> list[str]:
    """Cut a markdown cell that is taller than a slide at paragraph (or list item)
    boundaries, outside math and code fences, into pieces that each fit."""
    blocks, current, fenced = [], [], False
    for line in source.splitlines():
        boundary = (not fenced and current and (
            not line.strip() or re.match(r"^\s*([-*+]|\d+\.)\s", line) and not line.startswith("  ")))
        if boundary and current and any(x.strip() for x in current):
            blocks.append("\n".join(current))
            current = []
        current.append(line)
        if line.strip().startswith(("$$", "```")) and not (
                len(line.strip()) > 2 and line.strip().endswith("$$") and line.strip() != "$$"):
            fenced = not fenced
    if current:
        blocks.append("\n".join(current))
    pieces, piece = [], ""
    for block in blocks:
        candidate = f"{piece}\n{block}" if piece else block
        if piece and markdown_height(candidate) > budget:
            pieces.append(piece.strip("\n"))
            piece = block
        else:
            piece = candidate
    if piece.strip():
        pieces.append(piece.strip("\n"))
    return pieces or [source]


def _heading(source: str) -> str | None:
    """A cell's title: its leading heading, or a leading bold line ("**Solution**")."""
    match = re.match(r"\s*(?:#{1,4}\s+(.+)|\*\*([^*\n]+)\*\*[ \t]*$)", source, re.M)
    return (match.group(1) or match.group(2)).strip() if match else None


def fit_slides(cells, lang: str, budget: int = SLIDE_BUDGET) -> list:
    """Start a continuation sub-slide wherever a slide would run off the screen.

    A markdown cell taller than a slide is split into pieces first; the slide's
    title is repeated, marked "(cont.)", on every continuation.
    """
    from nbformat.v4 import new_markdown_cell

    out, used, title = [], 0, None
    for cell in cells:
        kind = slide_type(cell)
        if kind in ("slide", "subslide"):
            used = 0
            title = _heading(cell.source) if cell.cell_type == "markdown" else None
        pieces = [cell]
        if cell.cell_type == "markdown" and kind not in ("notes", "skip") \
                and markdown_height(cell.source) > budget:
            sources = split_markdown(cell.source, budget - HEADING[3])   # room for "(cont.)"
            pieces = []
            for i, source in enumerate(sources):
                piece = copy.deepcopy(cell)
                piece.source = source
                if i:
                    if "id" in cell:
                        piece["id"] = f"{cell['id']}-{i}"
                    set_slide_type(piece, "-")
                pieces.append(piece)
        for piece in pieces:
            height = cell_height(piece)
            if height and used and used + height > budget and slide_type(piece) in ("-", "fragment"):
                set_slide_type(piece, "subslide")
                if title and not (piece.cell_type == "markdown" and _heading(piece.source)):
                    head = new_markdown_cell(f"### {title}{pick(*CONTINUED, lang)}")
                    set_slide_type(head, "subslide")
                    set_slide_type(piece, "-")
                    out.append(head)
                    height += HEADING[3]
                used = 0
            used += height
            out.append(piece)
    return out
