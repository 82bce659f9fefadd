"""A notebook made fit for presenting: what a notebook shows that a deck should not.

Figures are embedded, test and solution markers dropped, widgets and progress bars
replaced, long printouts cut, ``<details>`` opened, lesson links pointed at decks,
solutions moved one sub-slide down; then :func:`paginate.fit_slides` continues
whatever would run off the screen.
"""

from __future__ import annotations

import base64
import copy
import html
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote

from ..cells import (is_solution, slide_type, strip_solution_markers, strip_test_markers,
                     text_of)
from ..messages import pick
from .paginate import fit_slides, set_slide_type

_MD_IMAGE = re.compile(r"(!\[[^\]]*\]\(\s*<?)([^)\s>]+)")
_HTML_IMAGE = re.compile(r"(<img\b[^>]*\bsrc\s*=\s*[\"'])([^\"']+)", re.I)


def _data_uri(url: str, base_dir: Path) -> str:
    """``url`` as a data URI when it names a local file, else unchanged."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith(("/", "#")):
        return url                                        # http:, data:, attachment:...
    path = (base_dir / unquote(url)).resolve()
    if not path.is_file():
        return url                                        # deck_problems() will name it
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def embed_local_images(source: str, base_dir: Path) -> str:
    """Inline the local images a markdown cell links (``../../Images/vgg.zh.svg``).

    nbconvert's own ``embed_images`` refuses files outside the notebook's folder,
    and the course keeps its figures in the repository's ``Images/``.
    """
    def swap(match):
        return match.group(1) + _data_uri(match.group(2), base_dir)
    return _HTML_IMAGE.sub(swap, _MD_IMAGE.sub(swap, source))


# A widget's text/plain repr: "BlockExplorer(children=(VBox(children=(...".
_WIDGET_REPR = re.compile(r"^\s*\w+\(children=\(")
# tqdm's bar, e.g. "  0%|          | 0/2345 [00:00<?, ?batch/s]".
_PROGRESS = re.compile(r"\d+%\|")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LIVE_NOTE = ("交互式浏览器：在 JupyterLab 中可交互，请打开本课的笔记本来操作。",
             "An interactive explorer: live in JupyterLab, in this lesson's notebook.")
SOLUTION_TITLE = ("参考答案", "Solution")
# A longer printout keeps its head and says how much is left; a shorter one is shown
# whole, continued on sub-slides (paginate.split_code) when it is taller than a slide.
MAX_OUTPUT_LINES = 60


def strip_markers(source: str) -> str:
    """Code as a deck shows it: no ``# NBVAL_...`` or ``### BEGIN/END SOLUTION`` lines."""
    return strip_solution_markers(strip_test_markers(source)).strip("\n")


def _is_progress(text: str) -> bool:
    return bool(_PROGRESS.search(text))


def clean_outputs(outputs, lang: str) -> list:
    """Outputs for a deck: widgets become one "live in JupyterLab" line, stale
    progress bars go, and a long printout is cut to its first lines."""
    from nbformat.v4 import new_output

    kept = []
    for out in outputs:
        data = out.get("data", {})
        plain = text_of(data.get("text/plain", ""))
        if WIDGET_MIME in data or _WIDGET_REPR.match(plain):
            if _is_progress(plain):
                continue                      # tqdm's bar, frozen at whatever it said
            note = html.escape(pick(*LIVE_NOTE, lang))
            kept.append(new_output("display_data", {
                "text/html": f'<p class="deck-live">{note}</p>', "text/plain": note}))
            continue
        if out.get("output_type") == "stream":
            lines = [line for line in text_of(out.get("text")).splitlines(keepends=True)
                     if not _is_progress(line)]
            if not lines:
                continue
            if len(lines) > MAX_OUTPUT_LINES:
                more = len(lines) - (MAX_OUTPUT_LINES - 1)
                lines = lines[:MAX_OUTPUT_LINES - 1] + [
                    pick(f"…（还有 {more} 行）\n", f"… ({more} more lines)\n", lang)]
            out = copy.deepcopy(out)
            out["text"] = "".join(lines)
        kept.append(out)
    return kept


_DETAILS = re.compile(r"<details\b[^>]*>\s*(?:<summary\b[^>]*>(.*?)</summary>)?(.*?)</details>",
                      re.I | re.S)
_CLICK_HINT = re.compile(r"[（(][^（()）]*(?:点击|click|expand|展开)[^（()）]*[）)]", re.I)


def open_details(source: str) -> str:
    """``<details><summary>S</summary>body</details>`` as a heading and its body:
    on a slide nobody clicks, and the solution gets a slide of its own anyway."""
    def swap(match):
        summary = re.sub(r"<[^>]+>", "", _CLICK_HINT.sub("", match.group(1) or "")).strip()
        body = match.group(2).strip("\n")
        return (f"#### {summary}\n\n" if summary else "") + body
    return _DETAILS.sub(swap, source)


_NOTEBOOK_LINK = re.compile(
    r"(\]\(\s*<?|\bhref\s*=\s*[\"'])((?:\.\./(zh|en)/|\./)?(\d\d-[\w.-]+?)\.ipynb)(#[^)\"'>\s]*)?")


def link_decks(source: str, lang: str) -> str:
    """"Next lesson: [..](03-assembling-vgg11.ipynb)" → the deck beside this one."""
    def swap(match):
        target_lang = match.group(3) or lang
        return f"{match.group(1)}{match.group(4)}.{target_lang}.html{match.group(5) or ''}"
    return _NOTEBOOK_LINK.sub(swap, source)


OPTIONAL_TAG = "optional"      # course_utils.timing: a topic outside the 90-minute core
OPTIONAL_BADGE = ("选讲", "optional")


def mark_optional(source: str, lang: str) -> str:
    """A small badge after the slide's first heading, so the class sees that the
    topic is outside the core plan (the speaker notes say the same)."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            lines[i] = (f"{line} <span class=\"deck-optional\">"
                        f"{pick(*OPTIONAL_BADGE, lang)}</span>")
            break
    return "\n".join(lines)


def prepare(nb, base_dir: Path | None = None, lang: str = "en"):
    """A copy of the notebook ready for slides (the file itself is left alone).

    Markers, widgets, stale progress bars and notebook links are made fit for a
    screen; solutions get a sub-slide of their own; long slides are continued.
    """
    from nbformat.v4 import new_markdown_cell

    nb = copy.deepcopy(nb)
    # Saved widget state would make the template load the widget manager from a
    # CDN; widgets need a live kernel anyway, so present those parts from JupyterLab.
    nb.metadata.pop("widgets", None)
    if not any("slide_type" in c.get("metadata", {}).get("slideshow", {}) for c in nb.cells):
        for cell in nb.cells:
            heading = cell.cell_type == "markdown" and cell.source.lstrip().startswith("#")
            cell.metadata["slideshow"] = {"slide_type": "slide" if heading else "-"}
    cells, in_solution = [], False
    for cell in nb.cells:
        solution = is_solution(cell)
        if cell.cell_type == "markdown":
            if OPTIONAL_TAG in cell.metadata.get("tags", []) and slide_type(cell) == "slide":
                cell.source = mark_optional(cell.source, lang)
            if base_dir is not None:
                cell.source = embed_local_images(cell.source, base_dir)
            cell.source = link_decks(open_details(cell.source), lang)
        elif cell.cell_type == "code":
            cell.source = strip_markers(cell.source)
            cell.outputs = clean_outputs(cell.get("outputs", []), lang)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            cell.metadata.get("jupyter", {}).pop("outputs_hidden", None)
        kind = slide_type(cell)
        if solution and not in_solution and kind in ("-", "fragment"):
            # The answer goes one slide down: the class sees the question first.
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                set_slide_type(cell, "subslide")
            else:
                head = new_markdown_cell(f"#### {pick(*SOLUTION_TITLE, lang)}")
                set_slide_type(head, "subslide")
                cells.append(head)
        if kind in ("slide", "subslide"):
            in_solution = solution
        elif solution:
            in_solution = True
        cells.append(cell)
    nb.cells = fit_slides(cells, lang)
    return nb
