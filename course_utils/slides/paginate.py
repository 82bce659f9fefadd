"""Fitting a 1280x720 screen: each cell's estimated height, and continuation sub-slides."""

from __future__ import annotations

import base64
import copy
import math
import re
import unicodedata

from ..cells import slide_type, text_of
from ..messages import pick
from .style import (CODE_PX, HEADING_PX, IMAGE_MAX, LINE_HEIGHT, OUTPUT_PX, SLIDE_HEIGHT,
                    SLIDE_WIDTH, TABLE_PX, TEXT_PX)

CONTINUED = ("（续）", " (cont.)")


def set_slide_type(cell, kind: str) -> None:
    cell.metadata.setdefault("slideshow", {})["slide_type"] = kind


# A slide's content beyond SLIDE_BUDGET (slide units) continues on a sub-slide. The
# estimates below follow the sizes DECK_CSS sets (style.py); tests/test_decks.py
# checks the result on every slide of every deck in Chromium.
SLIDE_BUDGET = SLIDE_HEIGHT - 40
TEXT_LINE = TEXT_PX * LINE_HEIGHT["text"]
MONO_EM = 0.61                          # DejaVu Sans Mono's advance, in em
CODE_CHAR, CODE_LINE = CODE_PX * MONO_EM, CODE_PX * LINE_HEIGHT["code"]
OUTPUT_LINE = OUTPUT_PX * LINE_HEIGHT["code"]
TABLE_ROW = TABLE_PX * LINE_HEIGHT["table"] + 3   # DECK_CSS: 1px padding, a rule
HEADING = {level: int(px * 1.7) for level, px in HEADING_PX.items()}
# The estimates run high; a page may use this much of SLIDE_BUDGET's margin rather than
# leave a continuation with NEAR_EMPTY (a share of a slide) or less on it.
SCREEN_MARGIN = 15
NEAR_EMPTY = 0.25


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


def _png_height(b64: str) -> int:
    """A PNG's height on the slide: drawn at its own size, narrowed to the slide's
    width, capped at IMAGE_MAX (the size is in the header, bytes 16-24)."""
    try:
        head = base64.b64decode(b64.strip()[:64])
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    except ValueError:
        return IMAGE_MAX
    if not width or not height:
        return IMAGE_MAX
    return int(min(IMAGE_MAX, height * min(1.0, (SLIDE_WIDTH - 60) / width)))


def markdown_height(source: str) -> int:
    """Rough px height of a rendered markdown cell on a slide."""
    width_em = SLIDE_WIDTH * 0.94 / TEXT_PX
    height, in_math, in_code = 12, False, False
    for line in re.sub(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", "", source).splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            height += CODE_LINE / 2 + 4       # the block's padding
            continue
        if in_code:
            height += CODE_LINE * max(1, math.ceil(len(line) / _code_chars_per_line()))
            continue
        if stripped.startswith("$$"):
            if not (len(stripped) > 2 and stripped.endswith("$$")):   # "$$ ... $$" on one line
                in_math = not in_math
            height += 25
            continue
        if in_math:
            height += 25
            continue
        if stripped.startswith("|"):             # a table row; "|---|" draws a rule only
            height += 0 if re.fullmatch(r"[|:\-\s]+", stripped) else TABLE_ROW
            continue
        heading = re.match(r"^(#{1,6})\s", stripped)
        if heading:
            level = len(heading.group(1))
            height += HEADING[level] * _wrapped(stripped, width_em * TEXT_PX / HEADING_PX[level])
        elif not stripped:
            height += 8                       # paragraph spacing
        else:
            indent = 2 if re.match(r"^\s*([-*+]|\d+\.)\s", line) else 0
            plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", stripped)
            height += TEXT_LINE * _wrapped(plain, width_em - indent)
    return int(height + _image_height(source))


def _code_chars_per_line() -> float:
    return (SLIDE_WIDTH - 60) / CODE_CHAR


def _output_lines(text: str) -> float:
    """Screen lines a printout takes, long lines wrapped (a CJK character is 1 em)."""
    per_line = (SLIDE_WIDTH - 60) / OUTPUT_PX
    return sum(max(1, math.ceil(_display_width(t) * MONO_EM / 0.52 / per_line))
               for t in text.splitlines())


def output_height(out) -> float:
    data = out.get("data", {})
    if out.get("output_type") in ("stream", "error"):
        text = text_of(out.get("text") or "\n".join(out.get("traceback", [])))
        return 16 + OUTPUT_LINE * _output_lines(text)
    if "image/png" in data:
        return 10 + _png_height(text_of(data["image/png"]))
    if "image/svg+xml" in data:
        return IMAGE_MAX
    if "text/html" in data:
        html_text = text_of(data["text/html"])
        rows = len(re.findall(r"<tr\b", html_text, re.I))
        return 20 + (rows * TABLE_ROW if rows else 30 * max(1, html_text.count("<p")))
    if "text/plain" in data:
        return 16 + OUTPUT_LINE * len(text_of(data["text/plain"]).splitlines())
    return 0


def source_height(source: str) -> float:
    if not source:
        return 0
    per_line = _code_chars_per_line()
    return 30 + sum(CODE_LINE * max(1, math.ceil(len(line) / per_line))
                    for line in source.splitlines())


def code_height(cell) -> int:
    return int(source_height(cell.source) + sum(output_height(o) for o in cell.get("outputs", [])))


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


def _split_stream(out, budget: float) -> list:
    """A printout taller than ``budget`` as several printouts, cut between lines."""
    if out.get("output_type") != "stream" or output_height(out) <= budget:
        return [out]
    parts, lines = [], []
    for line in text_of(out.get("text")).splitlines(keepends=True):
        if lines and 16 + OUTPUT_LINE * _output_lines("".join(lines + [line])) > budget:
            parts.append("".join(lines))
            lines = []
        lines.append(line)
    parts.append("".join(lines))
    pieces = []
    for text in parts:
        piece = copy.deepcopy(out)
        piece["text"] = text
        pieces.append(piece)
    return pieces


def split_code(cell, budget: float) -> list:
    """A code cell taller than a slide as pieces that each fit: its code cut between
    lines, then its outputs (a long printout cut between lines). A piece with no code
    is tagged ``deck-output-only``, and the deck hides its empty input area."""
    if code_height(cell) <= budget:
        return [cell]
    budget -= max(HEADING.values()) + 12             # each piece has room for a title
    pieces, lines = [], []
    for line in cell.source.splitlines():
        if lines and source_height("\n".join(lines + [line])) > budget:
            pieces.append(("\n".join(lines), []))
            lines = []
        lines.append(line)
    source, outputs = "\n".join(lines), []
    for out in cell.get("outputs", []):
        for part in _split_stream(out, budget - 30):
            height = source_height(source) + sum(map(output_height, outputs + [part]))
            if (source or outputs) and height > budget:
                pieces.append((source, outputs))
                source, outputs = "", []
            outputs.append(part)
    pieces.append((source, outputs))
    cells = []
    for i, (source, outputs) in enumerate(pieces):
        piece = copy.deepcopy(cell)
        piece.source, piece.outputs = source, outputs
        if i:
            if "id" in cell:
                piece["id"] = f"{cell['id']}-{i}"
            set_slide_type(piece, "-")
        if not source:
            piece.metadata.setdefault("tags", []).append("deck-output-only")
        cells.append(piece)
    return cells


def _split_tall(cell, budget: float) -> list:
    """A cell taller than a slide as pieces that each fit (markdown between
    paragraphs, code between lines); any other cell as itself."""
    if slide_type(cell) in ("notes", "skip"):
        return [cell]
    if cell.cell_type == "code":
        return split_code(cell, budget)
    if cell.cell_type != "markdown" or markdown_height(cell.source) <= budget:
        return [cell]
    pieces = []
    for i, source in enumerate(split_markdown(cell.source, budget - HEADING[3])):  # + "(cont.)"
        piece = copy.deepcopy(cell)
        piece.source = source
        if i:
            if "id" in cell:
                piece["id"] = f"{cell['id']}-{i}"
            set_slide_type(piece, "-")
        pieces.append(piece)
    return pieces


def _only_heading(cell) -> bool:
    return cell.cell_type == "markdown" and bool(re.fullmatch(r"\s*#{1,6}\s[^\n]*\s*",
                                                             cell.source))


def _page_breaks(cells, heights, budget: float) -> list[int]:
    """Where a slide's cells start a new page.

    In order of importance: nothing taller than the screen, no continuation with
    next to nothing on it, the slide's title on every continuation, the fewest pages,
    pages within ``budget`` (the estimate's safety margin), the most even pages. A page may start before any cell with
    content, except right after a cell that is only a heading (notes take no room
    and stay where they are). A continuation repeats the slide's title when there is
    room for it.
    """
    if sum(heights) <= budget:
        return []
    cont, limit = HEADING[3], budget + SCREEN_MARGIN
    cuts = [0] + [i for i in range(1, len(cells)) if heights[i] and not _only_heading(cells[i - 1])]
    cuts.append(len(cells))
    # best[j]: (cost, previous cut) for the cells before cuts[j]; the cost adds up,
    # field by field, px beyond the screen, near-empty continuations, continuations
    # without their title, pages and px beyond the budget, then keeps the tallest page.
    best = {0: ((0.0, 0, 0, 0, 0.0, 0.0), None)}
    for j in range(1, len(cuts)):
        for i in range(j):
            page = sum(heights[cuts[i]:cuts[j]])
            titled = i > 0 and page + cont <= budget
            shown = page + cont if titled else page
            (screen, empty, untitled, pages, over, tallest), _ = best[i]
            cost = (screen + max(0.0, shown - limit),
                    empty + (i > 0 and page < NEAR_EMPTY * budget),
                    untitled + (i > 0 and not titled), pages + 1,
                    over + max(0.0, shown - budget), max(tallest, shown))
            if j not in best or cost < best[j][0]:
                best[j] = (cost, i)
    breaks, j = [], len(cuts) - 1
    while best[j][1] is not None:
        j = best[j][1]
        if j:
            breaks.append(cuts[j])
    return sorted(breaks)


def fit_slides(cells, lang: str, budget: int = SLIDE_BUDGET) -> list:
    """Continue a slide that would run off the screen on sub-slides, filled evenly.

    A cell taller than a slide is cut into pieces first (markdown between
    paragraphs, code and printouts between lines: nothing is left out); the slide's
    title is repeated, marked "(cont.)", on every continuation.
    """
    from nbformat.v4 import new_markdown_cell

    groups = []                                      # one list of cells per slide
    for cell in cells:
        if not groups or slide_type(cell) in ("slide", "subslide"):
            groups.append([])
        groups[-1] += _split_tall(cell, budget)
    out = []
    for group in groups:
        first = group[0]
        title = _heading(first.source) if first.cell_type == "markdown" else None
        heights = [cell_height(c) for c in group]
        breaks = _page_breaks(group, heights, budget)
        ends = dict(zip(breaks, breaks[1:] + [len(group)]))
        for i, cell in enumerate(group):
            if i in ends:
                set_slide_type(cell, "subslide")
                # the title is repeated where it fits (one tall cell may fill the page)
                room = budget - sum(heights[i:ends[i]]) >= HEADING[3]
                if title and room and not (cell.cell_type == "markdown" and _heading(cell.source)):
                    head = new_markdown_cell(f"### {title}{pick(*CONTINUED, lang)}")
                    set_slide_type(head, "subslide")
                    set_slide_type(cell, "-")
                    out.append(head)
            out.append(cell)
    return out
