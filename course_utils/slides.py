"""Instructor mode: every lesson notebook as a reveal.js deck that works offline.

``make slides`` (``python -m course_utils.slides --out slides``) writes::

    slides/index.html                    one page linking every deck
    slides/01-modularization.zh.html     one deck per notebook and language
    slides/vendor/reveal.js, mathjax, requirejs, jquery

A classroom often has no internet, so nothing is fetched while presenting: the
JavaScript that nbconvert's reveal template would load from CDNs (reveal.js,
require.js, jQuery, MathJax) is taken once, at build time, from the npm registry
(``npm pack``, cached in ``~/.cache/vgg-course/npm``) and copied next to the
decks; the lesson's figures are embedded in the decks as data URIs. Each deck is
checked after it is written: a deck that still refers to the network, or to an
image it could not embed, is an error, not a surprise in front of a class.

Slides follow the cells' "Slide Type" (JupyterLab: property inspector). A notebook
with no slide metadata at all gets one slide per heading cell. A deck is made for
a 1280x720 projector, not a copy of the notebook:

* a slide that would run off the screen continues on a sub-slide (↓), and a
  markdown cell taller than a slide is cut between paragraphs;
* code wraps instead of running off the right edge, long cells in a smaller font;
  ``# NBVAL_...`` and ``### BEGIN/END SOLUTION`` lines are left out;
* a widget becomes one line saying it is live in JupyterLab; a stored progress
  bar is dropped; a long printout keeps its first lines;
* an exercise's solution (nbgrader's metadata or markers, see ``cells.py``) gets
  its own sub-slide, so the class sees the question first; a ``<details>`` block
  is opened, since nobody clicks on a slide;
* cells of type "notes" become speaker notes (press ``S``);
* links to another lesson's ``.ipynb`` lead to that lesson's deck;
* Chinese is drawn with a subset of the course's CJK font, embedded in the deck,
  so a classroom PC without Chinese fonts shows it too.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import io
import math
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tarfile
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from .cells import is_solution, strip_solution_markers, strip_test_markers
from .machine import cache_dir
from .messages import CourseError, pick

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
LANGS = ("zh", "en")
CACHE_DIR = cache_dir() / "npm"

# npm package -> (exact version, the files a deck needs). Versions are pinned so a
# deck built today and one built next term behave the same.
VENDOR = {
    "reveal.js": ("4.6.1", ["dist/reveal.js", "dist/reveal.css", "dist/reset.css",
                            "dist/theme/", "plugin/notes/", "LICENSE"]),
    # MathJax 2, because nbconvert's template talks to MathJax 2's API (MathJax.Hub).
    # Only the TeX -> CommonHTML path the template configures, not all 73 MB.
    "mathjax": ("2.7.9", ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js",
                          "extensions/",
                          "jax/input/TeX/", "jax/element/", "jax/output/CommonHTML/",
                          "jax/output/PreviewHTML/", "jax/output/NativeMML/",
                          "fonts/HTML-CSS/TeX/woff/", "fonts/HTML-CSS/TeX/otf/",
                          "localization/", "LICENSE"]),
    "requirejs": ("2.3.7", ["require.js"]),
    "jquery": ("3.7.1", ["dist/jquery.min.js", "LICENSE.txt"]),
}

# Bumped when install_vendor changes what it does to the files (a rebuild then redoes them).
VENDOR_FORMAT = 2

# Where each script the template loads lives, relative to a deck.
URLS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "require_js_url": "vendor/requirejs/require.js",
    "jquery_url": "vendor/jquery/dist/jquery.min.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

# nbconvert's reveal template, minus the one script we cannot serve locally: the
# course has no mermaid diagrams, and mermaid's module would come from a CDN.
TEMPLATE_NAME = "vgg_course_slides.html.j2"
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

HOW_TO_GET_NPM = (
    "制作离线幻灯片需要 npm（用来下载 reveal.js 和 MathJax，只在制作时需要，放映时不需要）。"
    "请安装 Node.js（Debian/Ubuntu: sudo apt-get install npm）后重试。",
    "Building offline slides needs npm (to fetch reveal.js and MathJax, at build time "
    "only: presenting needs no network). Install Node.js (Debian/Ubuntu: "
    "sudo apt-get install npm) and try again.",
)


# ---------------------------------------------------------------------------
# Vendored JavaScript
# ---------------------------------------------------------------------------

def npm_tarball(package: str, version: str, cache_dir: Path = CACHE_DIR) -> Path:
    """The package's tarball from the npm registry, downloaded once into ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    # npm names scoped or dotted packages' tarballs "<name>-<version>.tgz".
    tarball = cache_dir / f"{package.replace('@', '').replace('/', '-')}-{version}.tgz"
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise CourseError(*HOW_TO_GET_NPM)
    result = subprocess.run([npm, "pack", f"{package}@{version}", "--silent",
                             "--pack-destination", str(cache_dir)],
                            capture_output=True, text=True)
    if result.returncode != 0 or not tarball.is_file():
        raise CourseError(f"npm pack {package}@{version} 失败：{result.stderr.strip()[-500:]}",
                          f"npm pack {package}@{version} failed: "
                          f"{result.stderr.strip()[-500:]}")
    return tarball


def _wanted(name: str, keep: list[str]) -> bool:
    return any(name == k or (k.endswith("/") and name.startswith(k)) for k in keep)


def unpack(tarball: Path, dest: Path, keep: list[str]) -> int:
    """Copy the files listed in ``keep`` (paths or folders/) from an npm tarball."""
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.split("/", 1)[-1]          # drop npm's "package/" prefix
            if not member.isfile() or not _wanted(name, keep) or ".." in name.split("/"):
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src:
                target.write_bytes(src.read())
            count += 1
    return count


def install_vendor(out_dir: Path, cache_dir: Path = CACHE_DIR) -> Path:
    """Put reveal.js, MathJax, require.js and jQuery in ``out_dir/vendor`` (once)."""
    vendor = out_dir / "vendor"
    for package, (version, keep) in VENDOR.items():
        dest = vendor / package
        stamp, stamp_text = dest / ".version", f"{version}+{VENDOR_FORMAT}"
        if stamp.is_file() and stamp.read_text() == stamp_text:
            continue                                      # already there: no npm, no network
        shutil.rmtree(dest, ignore_errors=True)
        unpack(npm_tarball(package, version, cache_dir), dest, keep)
        for css in dest.glob("dist/theme/*.css"):
            css.write_text(strip_remote_imports(css.read_text(encoding="utf-8")), encoding="utf-8")
        stamp.write_text(stamp_text)
    return vendor


_REMOTE_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*;\s*", re.I)


def strip_remote_imports(css: str) -> str:
    """reveal.js's themes @import Google Fonts; offline that import only stalls the
    page, and the deck names its own fonts (DECK_CSS), so it goes."""
    return _REMOTE_IMPORT.sub("", css)


# ---------------------------------------------------------------------------
# Notebooks -> decks
# ---------------------------------------------------------------------------

def find_notebooks(root: Path = NOTEBOOKS_DIR) -> list[tuple[str, Path]]:
    """``(lang, path)`` for every ``root/<lang>/*.ipynb``, in a stable order."""
    found = []
    for lang in LANGS:
        found += [(lang, p) for p in sorted((Path(root) / lang).glob("*.ipynb"))]
    return found


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


# ---------------------------------------------------------------------------
# Made for presenting: what a notebook shows that a deck should not
# ---------------------------------------------------------------------------

# A widget's text/plain repr: "BlockExplorer(children=(VBox(children=(...".
_WIDGET_REPR = re.compile(r"^\s*\w+\(children=\(")
# tqdm's bar, e.g. "  0%|          | 0/2345 [00:00<?, ?batch/s]".
_PROGRESS = re.compile(r"\d+%\|")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LIVE_NOTE = ("交互式浏览器：在 JupyterLab 中可交互，请打开本课的笔记本来操作。",
             "An interactive explorer: live in JupyterLab, in this lesson's notebook.")
SOLUTION_TITLE = ("参考答案", "Solution")
CONTINUED = ("（续）", " (cont.)")
MAX_OUTPUT_LINES = 12           # a longer printout keeps its head and says how much is left
LONG_CODE_LINES = 14            # longer code cells get a smaller font
WIDE_CODE_CHARS = 80            # so do cells with lines wider than this


def strip_markers(source: str) -> str:
    """Code as a deck shows it: no ``# NBVAL_...`` or ``### BEGIN/END SOLUTION`` lines."""
    return strip_solution_markers(strip_test_markers(source)).strip("\n")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _is_progress(text: str) -> bool:
    return bool(_PROGRESS.search(text))


def clean_outputs(outputs, lang: str) -> list:
    """Outputs for a deck: widgets become one "live in JupyterLab" line, stale
    progress bars go, and a long printout is cut to its first lines."""
    from nbformat.v4 import new_output

    kept = []
    for out in outputs:
        data = out.get("data", {})
        plain = _text(data.get("text/plain", ""))
        if WIDGET_MIME in data or _WIDGET_REPR.match(plain):
            if _is_progress(plain):
                continue                      # tqdm's bar, frozen at whatever it said
            note = html.escape(pick(*LIVE_NOTE, lang))
            kept.append(new_output("display_data", {
                "text/html": f'<p class="deck-live">{note}</p>', "text/plain": note}))
            continue
        if out.get("output_type") == "stream":
            lines = [line for line in _text(out.get("text")).splitlines(keepends=True)
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


def _slide_type(cell) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"


def _set_slide_type(cell, slide_type: str) -> None:
    cell.metadata.setdefault("slideshow", {})["slide_type"] = slide_type


def _add_tag(cell, tag: str) -> None:
    tags = cell.metadata.setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


# ---------------------------------------------------------------------------
# Fitting a 1280x720 screen: an estimate of each cell's height on the slide
# ---------------------------------------------------------------------------

# reveal.js draws a 960x700 slide and scales it to the screen; a slide's content
# beyond SLIDE_BUDGET px (in slide units) gets a continuation slide. The sizes are
# those set by DECK_CSS below, measured in Chromium (tests/test_decks.py checks
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
            text = _text(out.get("text") or "\n".join(out.get("traceback", [])))
            height += 10 + sum(OUTPUT_LINE * max(1, math.ceil(_display_width(t) * 8.5 / (SLIDE_WIDTH - 60)))
                               for t in text.splitlines())
        elif "image/png" in data or "image/svg+xml" in data:
            height += IMAGE_MAX
        elif "text/html" in data:
            html_text = _text(data["text/html"])
            rows = len(re.findall(r"<tr\b", html_text, re.I))
            height += 20 + (rows * TABLE_ROW if rows else 30 * max(1, html_text.count("<p")))
        elif "text/plain" in data:
            height += 10 + OUTPUT_LINE * len(_text(data["text/plain"]).splitlines())
    return int(height)


def cell_height(cell) -> int:
    if _slide_type(cell) in ("notes", "skip"):
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
        kind = _slide_type(cell)
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
                    _set_slide_type(piece, "-")
                pieces.append(piece)
        for piece in pieces:
            height = cell_height(piece)
            if height and used and used + height > budget and _slide_type(piece) in ("-", "fragment"):
                _set_slide_type(piece, "subslide")
                if title and not (piece.cell_type == "markdown" and _heading(piece.source)):
                    head = new_markdown_cell(f"### {title}{pick(*CONTINUED, lang)}")
                    _set_slide_type(head, "subslide")
                    _set_slide_type(piece, "-")
                    out.append(head)
                    height += HEADING[3]
                used = 0
            used += height
            out.append(piece)
    return out


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
            if base_dir is not None:
                cell.source = embed_local_images(cell.source, base_dir)
            cell.source = link_decks(open_details(cell.source), lang)
        elif cell.cell_type == "code":
            cell.source = strip_markers(cell.source)
            cell.outputs = clean_outputs(cell.get("outputs", []), lang)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
            cell.metadata.get("jupyter", {}).pop("outputs_hidden", None)
            lines = cell.source.splitlines()
            if len(lines) > LONG_CODE_LINES or any(len(x) > WIDE_CODE_CHARS for x in lines):
                _add_tag(cell, "deck-small")
        kind = _slide_type(cell)
        if solution and not in_solution and kind in ("-", "fragment"):
            # The answer goes one slide down: the class sees the question first.
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                _set_slide_type(cell, "subslide")
            else:
                head = new_markdown_cell(f"#### {pick(*SOLUTION_TITLE, lang)}")
                _set_slide_type(head, "subslide")
                cells.append(head)
        if kind in ("slide", "subslide"):
            in_solution = solution
        elif solution:
            in_solution = True
        cells.append(cell)
    nb.cells = fit_slides(cells, lang)
    return nb


# ---------------------------------------------------------------------------
# Looks: code that wraps, no prompts, figures that fit, Chinese in an embedded font
# ---------------------------------------------------------------------------

CJK_FAMILY = "VGG Course CJK"
# Where the embedded face applies: CJK ideographs, kana, punctuation, full-width forms.
CJK_RANGES = "U+2E80-2FFF, U+3000-30FF, U+3190-31FF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, " \
             "U+FE30-FE4F, U+FF00-FFEF"
_CJK_CHAR = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                       r"\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_SANS = f'"{CJK_FAMILY}", "Source Sans Pro", "Helvetica Neue", Helvetica, Arial, sans-serif'
_MONO = f'"{CJK_FAMILY}", "DejaVu Sans Mono", Menlo, Consolas, monospace'

DECK_CSS = f"""
:root {{
  --jp-content-font-size1: 20px;
  --jp-ui-font-size1: 18px;
  --jp-code-font-size: 16px;
  --jp-cell-prompt-width: 0px;
  --jp-content-font-family: {_SANS};
  --jp-ui-font-family: {_SANS};
  --jp-code-font-family: {_MONO};
}}
.reveal, .reveal h1, .reveal h2, .reveal h3, .reveal h4, .reveal h5, .reveal h6,
.reveal .jp-RenderedHTMLCommon {{ font-family: {_SANS}; }}
.reveal pre, .reveal code, .reveal .highlight pre {{ font-family: {_MONO}; }}
/* "In [3]:" says nothing to a class and takes a sixth of the width */
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
/* long lines wrap instead of running off the right edge */
.reveal pre, .reveal .highlight pre, .reveal .jp-OutputArea-output pre {{
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal; }}
.reveal div.jp-OutputArea-output > pre {{ width: 100%; font-size: 14px; line-height: 1.3; }}
.reveal .celltag_deck-small div.highlight > pre {{ font-size: 13px; line-height: 1.3; }}
.reveal .jp-RenderedHTMLCommon h1 {{ font-size: 40px; margin: 0 0 .3em; }}
.reveal .jp-RenderedHTMLCommon h2 {{ font-size: 34px; margin: 0 0 .3em; }}
.reveal .jp-RenderedHTMLCommon h3 {{ font-size: 28px; margin: 0 0 .3em; }}
.reveal .jp-RenderedHTMLCommon h4 {{ font-size: 24px; margin: .2em 0; }}
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li {{ line-height: 1.45; }}
.reveal .jp-RenderedHTMLCommon p {{ margin: 0 0 .45em; }}
.reveal section img, .reveal .jp-RenderedImage img {{
  max-height: {IMAGE_MAX}px; max-width: 100%; object-fit: contain; margin: 4px auto; }}
.reveal table, .reveal .jp-RenderedHTMLCommon table {{ font-size: 15px; }}
.reveal .jp-RenderedHTMLCommon td, .reveal .jp-RenderedHTMLCommon th {{ padding: 2px 8px; }}
.reveal .deck-live {{ font-size: 22px; margin: .4em 0; padding: .4em .8em;
  border-left: 5px solid #1976d2; background: rgba(25, 118, 210, .08); }}
"""


def find_cjk_font() -> Path | None:
    """The course's Chinese font file, or ``None``.

    ``$COURSE_CJK_FONT`` when set; else the file :func:`course_utils.figures.cjk_font_path`
    names (the pip font, else a system CJK font), so figures and decks draw the
    same glyphs.
    """
    env = os.environ.get("COURSE_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env)
    from .figures import cjk_font_path
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
    cache_dir = cache_dir or CACHE_DIR.parent / "fonts"
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


def _embed_svg_fonts(page: str, font: Path | None) -> str:
    def swap(match):
        svg = base64.b64decode(match.group(1)).decode("utf-8")
        fitted = svg_with_font(svg, font)
        if fitted is svg:
            return match.group(0)
        return "data:image/svg+xml;base64," + base64.b64encode(fitted.encode("utf-8")).decode("ascii")
    return _SVG_URI.sub(swap, page) if font is not None else page


def finish_page(body: str, font: Path | None) -> str:
    """Put the deck's style sheet (and its font) last in ``<head>``, after the theme."""
    body = _embed_svg_fonts(body, font)
    style = f'<style id="vgg-course-deck">\n{font_face_css(font, cjk_chars(body))}{DECK_CSS}</style>\n'
    return body.replace("</head>", style + "</head>", 1)


def deck_name(lang: str, notebook: Path) -> str:
    return f"{notebook.stem}.{lang}.html"


def _exporter(lang: str):
    import jinja2
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    for key, value in URLS.items():
        setattr(config.SlidesExporter, key, value)
    config.SlidesExporter.embed_images = True       # figures travel inside the deck
    config.SlidesExporter.reveal_scroll = True      # long code cells scroll, not overflow
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.language_code = lang
    return SlidesExporter(config=config, template_file=TEMPLATE_NAME,
                          extra_loaders=[jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})])


def render_deck(notebook: Path, lang: str) -> str:
    """One deck's HTML, before its style sheet; :class:`CourseError` if it would
    need the network."""
    import nbformat

    nb = prepare(nbformat.read(notebook, as_version=4), notebook.parent, lang)
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)}}
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    problems = deck_problems(body)
    if problems:
        raise CourseError(f"{notebook} 的幻灯片不能离线使用：" + "；".join(problems),
                          f"The deck for {notebook} would not work offline: "
                          + "; ".join(problems))
    return body


def export_deck(notebook: Path, lang: str, out_dir: Path, font: Path | None = None) -> Path:
    """Write one deck, its Chinese drawn with a subset of ``font`` (``None``: the
    viewer's own fonts)."""
    target = Path(out_dir) / deck_name(lang, notebook)
    target.write_text(finish_page(render_deck(notebook, lang), font), encoding="utf-8")
    return target


def union_font(font: Path | None, chars: str) -> Path | None:
    """The few thousand glyphs all decks use, as one small font file (cached), so
    that cutting each deck's own subset from it takes milliseconds, not seconds."""
    if font is None or not chars:
        return font
    data, flavor = subset_font(font, chars)
    path = CACHE_DIR.parent / "fonts" / f"all-{hashlib.sha256(data).hexdigest()[:16]}.{flavor}"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


_REMOTE = [
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"\burl\(\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"\bimport\b[^;\n]*?from\s+[\"']((?:https?:)?//[^\"']+)", re.I),
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
]
_IMG_SRC = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']*)[\"']", re.I)


def remote_references(page: str) -> list[str]:
    """Every script, style sheet, font or image a page would fetch over the network."""
    return sorted({m.group(1) for pattern in _REMOTE for m in pattern.finditer(page)})


def deck_problems(page: str) -> list[str]:
    """Why a deck would fail in a classroom without internet (empty: it would not)."""
    problems = [f"loads {url}" for url in remote_references(page)]
    problems += [f"image not embedded: {src}" for src in _IMG_SRC.findall(page)
                 if not src.startswith("data:") and not src.startswith(("http:", "https:"))]
    return problems


def _title(notebook: Path) -> str:
    import nbformat
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return notebook.stem


def write_index(out_dir: Path, decks: list[tuple[str, Path, Path]]) -> Path:
    """A page linking every deck, so the instructor opens one file."""
    sections = []
    for lang, heading in (("zh", "中文"), ("en", "English")):
        items = [f'<li><a href="{html.escape(deck.name)}">{html.escape(_title(nb))}</a></li>'
                 for deck_lang, nb, deck in decks if deck_lang == lang]
        if items:
            sections.append(f"<h2>{heading}</h2>\n<ol>\n" + "\n".join(items) + "\n</ol>")
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>VGG · 幻灯片 slides</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}</style>"
            "</head><body>\n<h1>使用块的网络 VGG · Networks Using Blocks (VGG)</h1>\n"
            + "\n".join(sections) + "\n</body></html>\n")
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
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
    font = union_font(find_cjk_font(), cjk_chars("".join(bodies)))
    decks = []
    for (lang, nb), body in zip(notebooks, bodies):
        target = out_dir / deck_name(lang, nb)
        target.write_text(finish_page(body, font), encoding="utf-8")
        decks.append((lang, nb, target))
    write_index(out_dir, decks)
    return [deck for _, _, deck in decks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Export the notebooks as offline reveal.js "
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


if __name__ == "__main__":
    sys.exit(main())
