"""Instructor mode: one offline reveal.js deck per notebook (what `make slides` does)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils import slides
from course_utils.cells import slide_type
from course_utils.slides import font_subset, paginate

REPO = Path(__file__).resolve().parent.parent


def _vendor_reachable() -> bool:
    cached = all(any(slides.CACHE_DIR.glob(f"{p}-{v}.tgz")) for p, (v, _) in slides.VENDOR.items())
    return cached or shutil.which("npm") is not None


needs_vendor = pytest.mark.skipif(not _vendor_reachable(),
                                  reason="npm is needed once to fetch reveal.js and MathJax")


def _fixture_notebooks(root: Path) -> Path:
    """Two tiny lessons shaped like the real ones: a figure link, math, code, a widget."""
    images = root / "Images"
    images.mkdir(parents=True)
    (images / "demo.zh.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (images / "demo.en.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    for lang in ("zh", "en"):
        folder = root / "notebooks" / lang
        folder.mkdir(parents=True)
        nb = new_notebook(cells=[
            new_markdown_cell(f"# 模块化 · Modules\n\n![demo](../../Images/demo.{lang}.svg)"),
            new_code_cell("1 + 1", outputs=[new_output("execute_result", {"text/plain": "2"},
                                                       execution_count=1)]),
            new_markdown_cell("## Output size\n\n$$\\lfloor (h + 2p - k)/s \\rfloor + 1$$"),
            new_markdown_cell(f'<img alt="demo" src="../../Images/demo.{lang}.svg" width="300">'),
        ])
        # Saved widget state would pull the widget manager from a CDN.
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
            "state": {}, "version_major": 2, "version_minor": 0}}
        nbformat.write(nb, folder / "01-demo.ipynb")
    return root / "notebooks"


@pytest.fixture(scope="module")
def fixture_decks(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    out = root / "slides"
    return out, slides.build(out, _fixture_notebooks(root))


def _local_assets(page: str) -> list[str]:
    """Every file a deck loads from beside itself (scripts, styles, require()'d modules)."""
    refs = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page)
    refs += re.findall(r"<link\b[^>]*\bhref=\"([^\"]+)\"", page)
    refs += re.findall(r"\"([^\"\s]+\.js)\"", page)          # require([... "x.js"])
    return sorted({r.split("?")[0] for r in refs
                   if not r.startswith(("data:", "#", "http:", "https:", "//"))})


def _check_offline_deck(deck: Path):
    page = deck.read_text(encoding="utf-8")
    assert slides.remote_references(page) == [], deck.name
    assert slides.deck_problems(page) == [], deck.name
    assets = _local_assets(page)
    assert any(a.endswith("reveal.js/dist/reveal.js") for a in assets)
    assert any(a.endswith("MathJax.js") for a in assets)
    for asset in assets:
        assert (deck.parent / asset).is_file(), f"{deck.name} loads {asset}, which is missing"


@needs_vendor
def test_one_offline_deck_per_fixture_notebook(fixture_decks):
    out, decks = fixture_decks
    assert sorted(d.name for d in decks) == ["01-demo.en.html", "01-demo.zh.html"]
    for deck in decks:
        _check_offline_deck(deck)
        page = deck.read_text(encoding="utf-8")
        embedded = re.findall(r"<img\b[^>]*\bsrc=\"data:image/svg\+xml;base64,", page)
        assert len(embedded) == 2                           # both figure links, inlined
        assert "jupyter-widgets" not in page and "unpkg" not in page
    assert '<html lang="zh"' in (out / "01-demo.zh.html").read_text(encoding="utf-8")
    # MathJax's config and fonts are there, not only its loader.
    assert (out / "vendor/mathjax/config/TeX-AMS_CHTML-full.js").is_file()
    assert any((out / "vendor/mathjax/fonts/HTML-CSS/TeX/woff").iterdir())
    assert (out / "vendor/reveal.js/plugin/notes/notes.js").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="01-demo.zh.html"' in index and 'href="01-demo.en.html"' in index


@needs_vendor
def test_headings_become_slides_when_a_notebook_has_no_slide_metadata(fixture_decks):
    _, decks = fixture_decks
    page = decks[0].read_text(encoding="utf-8")
    # Two heading cells -> two slides (reveal's nested <section><section> pairs).
    assert len(re.findall(r"<section>\s*<section>", page)) == 2


@needs_vendor
def test_real_notebooks_make_offline_decks(tmp_path):
    notebooks = slides.find_notebooks()
    if not notebooks:
        pytest.skip("no notebooks yet: the fixture decks cover the exporter")
    decks = slides.build(tmp_path)
    assert len(decks) == len(notebooks)
    for deck in decks:
        _check_offline_deck(deck)


@needs_vendor
def test_cli_honours_slides_dir(tmp_path, monkeypatch, fixture_decks):
    notebooks = _fixture_notebooks(tmp_path / "course")
    monkeypatch.setenv("SLIDES_DIR", str(tmp_path / "elsewhere"))
    assert slides.main(["--notebooks", str(notebooks)]) == 0
    assert (tmp_path / "elsewhere" / "01-demo.zh.html").is_file()


# ---------------------------------------------------------------------------
# The pieces, without building anything
# ---------------------------------------------------------------------------

def test_remote_references_finds_what_a_browser_would_fetch():
    page = """
    <script src="https://cdn.example/require.js"></script>
    <script src='//cdn.example/x.js'></script>
    <link rel="stylesheet" href="http://cdn.example/theme.css">
    <style>@import url("https://fonts.example/css"); .a{background:url(//x.example/i.png)}</style>
    <script type="module">import mermaid from 'https://cdn.example/mermaid.mjs';</script>
    <script src="vendor/requirejs/require.js"></script>
    <a href="https://d2l.ai">a link a person may click is fine</a>
    """
    assert slides.remote_references(page) == [
        "//cdn.example/x.js", "//x.example/i.png", "http://cdn.example/theme.css",
        "https://cdn.example/mermaid.mjs", "https://cdn.example/require.js",
        "https://fonts.example/css"]


def test_prepare_leaves_the_notebook_alone_and_embeds_local_images(tmp_path):
    (tmp_path / "a.svg").write_text('<svg viewBox="0 0 40 10"/>')     # a wide figure: one slide
    nb = new_notebook(cells=[new_markdown_cell("# T\n![x](a.svg) ![y](missing.svg) "
                                               "![z](https://example.org/z.png)"),
                             new_code_cell("x = 1")])
    nb.metadata["widgets"] = {"state": {}}
    ready = slides.prepare(nb, tmp_path)
    assert "widgets" in nb.metadata and "slideshow" not in nb.cells[0].metadata
    assert "widgets" not in ready.metadata
    assert [c.metadata["slideshow"]["slide_type"] for c in ready.cells] == ["slide", "-"]
    source = ready.cells[0].source
    assert "(data:image/svg+xml;base64," in source
    assert "(missing.svg)" in source and "(https://example.org/z.png)" in source
    assert slides.deck_problems('<img src="missing.svg">') == ["image not embedded: missing.svg"]


def test_prepare_keeps_the_authors_slide_types():
    nb = new_notebook(cells=[new_markdown_cell("# T"), new_markdown_cell("## U")])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells[1].metadata["slideshow"] = {"slide_type": "fragment"}
    ready = slides.prepare(nb)
    assert [c.metadata["slideshow"]["slide_type"] for c in ready.cells] == ["slide", "fragment"]


# ---------------------------------------------------------------------------
# Made for presenting (no build needed)
# ---------------------------------------------------------------------------

def _cells(nb):
    return [(c.cell_type, slide_type(c), c.source) for c in nb.cells]


def test_markers_are_stripped_from_code_shown():
    source = "# NBVAL_CHECK_OUTPUT\nx = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n"
    assert slides.strip_markers(source) == "x = 1\ny = 2"
    assert slides.strip_markers("#NBVAL_IGNORE_OUTPUT\nprint(1)") == "print(1)"


def test_widget_outputs_become_a_live_note_in_the_decks_language():
    widget = new_output("execute_result", {
        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2},
        "text/plain": "BlockExplorer(children=(VBox(children=(IntSlider(value=2, ..."},
        execution_count=3)
    repr_only = new_output("execute_result", {"text/plain": "VGGExplorer(children=(HBox(..."},
                           execution_count=4)
    for lang, words in (("zh", "JupyterLab 中"), ("en", "live in JupyterLab")):
        shown = slides.clean_outputs([widget, repr_only], lang)
        assert len(shown) == 2
        for out in shown:
            assert words in out["data"]["text/html"] and "children=(" not in str(out)


def test_stale_progress_bars_go_and_long_printouts_are_cut():
    bar = new_output("display_data", {
        "application/vnd.jupyter.widget-view+json": {"model_id": "y"},
        "text/plain": "  0%|          | 0/2345 [00:00<?, ?batch/s]"})
    stderr = new_output("stream", name="stderr", text="  0%|  | 0/10\n 50%|# | 5/10\n")
    summary = new_output("stream", name="stdout", text="loss 0.281, train acc 0.896\n")
    long = new_output("stream", name="stdout", text="".join(f"line {i}\n" for i in range(100)))
    shown = slides.clean_outputs([bar, stderr, summary, long], "en")
    assert [o["text"].splitlines()[0] for o in shown] == ["loss 0.281, train acc 0.896", "line 0"]
    cut = shown[1]["text"].splitlines()
    assert len(cut) == slides.MAX_OUTPUT_LINES and cut[-1] == "… (41 more lines)"
    # a printout of a slide or two is shown whole (it continues on sub-slides)
    two_slides = new_output("stream", name="stdout", text="".join(f"l{i}\n" for i in range(40)))
    assert slides.clean_outputs([two_slides], "en")[0]["text"] == two_slides["text"]


def test_lesson_links_lead_to_decks():
    md = ("Next: [VGG-11](03-assembling-vgg11.ipynb), [中文](../zh/02-vgg-block.ipynb#top), "
          '<a href="./01-modularization.ipynb">1</a>, [book](https://d2l.ai/x.ipynb)')
    assert slides.link_decks(md, "en") == (
        "Next: [VGG-11](03-assembling-vgg11.en.html), [中文](02-vgg-block.zh.html#top), "
        '<a href="01-modularization.en.html">1</a>, [book](https://d2l.ai/x.ipynb)')


def test_details_solutions_open_on_their_own_sub_slide():
    nb = new_notebook(cells=[
        new_markdown_cell("## Exercise 1\n\nWhy 8 shapes?"),
        new_code_cell("answer = ...  # your turn"),
        new_markdown_cell("<details><summary><b>Solution (click to expand)</b></summary>\n\n"
                          "The loop sees only the top level.\n\n</details>"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(8)"),
        new_code_cell("### BEGIN SOLUTION\nanswer = 8\n### END SOLUTION"),
        new_markdown_cell("## Exercise 2"),
        new_code_cell("x = ...\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION"),
    ])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells[2].metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False}
    nb.cells[5].metadata["slideshow"] = {"slide_type": "slide"}
    ready = _cells(slides.prepare(nb, lang="en"))
    assert ready[2] == ("markdown", "subslide", "#### Solution\n\nThe loop sees only the top level.")
    assert ready[3][1:] == ("-", "print(8)") and ready[4][2] == "answer = 8"
    # a solution in a code cell gets a "Solution" title one slide down
    assert ready[6] == ("markdown", "subslide", "#### Solution")
    assert ready[7] == ("code", "-", "x = ...\nx = 2")
    assert "<details" not in str(ready)


def test_notes_cells_become_speaker_notes_and_take_no_room():
    nb = new_notebook(cells=[new_markdown_cell("# T"), new_markdown_cell("Ask the class: why?\n" * 40)])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}
    ready = slides.prepare(nb, lang="en")
    assert slides.cell_height(ready.cells[1]) == 0 and len(ready.cells) == 2
    body, _ = slides.exporter("en").from_notebook_node(ready)
    assert re.search(r'<aside class="notes">.*Ask the class', body, re.S)


def test_a_slide_too_tall_continues_on_sub_slides():
    text = "\n\n".join(f"Paragraph {i}: " + "words " * 60 for i in range(12))
    nb = new_notebook(cells=[new_markdown_cell("## Long one\n\n" + text),
                             new_code_cell("\n".join(f"x{i} = {i}" for i in range(20)))])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    ready = slides.prepare(nb, lang="zh")
    kinds = [slide_type(c) for c in ready.cells]
    assert kinds[0] == "slide" and kinds.count("subslide") >= 2
    # every slide fits the estimate; a continuation repeats the title unless it is full
    starts = [i for i, k in enumerate(kinds) if k in ("slide", "subslide")] + [len(kinds)]
    for a, b in zip(starts, starts[1:]):
        filled = sum(slides.cell_height(c) for c in ready.cells[a:b])
        assert filled <= slides.SLIDE_BUDGET
        assert (ready.cells[a].source.lstrip("#").strip().startswith("Long one")
                or filled + paginate.HEADING[3] > slides.SLIDE_BUDGET), ready.cells[a].source
    assert "### Long one（续）" in [c.source for c in ready.cells]
    assert "".join(c.source for c in ready.cells).count("Paragraph") == 12   # nothing lost


def _pages(cells) -> list[list]:
    """The cells of each (sub-)slide."""
    pages = []
    for cell in cells:
        if not pages or slide_type(cell) in ("slide", "subslide"):
            pages.append([])
        pages[-1].append(cell)
    return pages


def test_long_code_and_its_printout_continue_on_sub_slides_whole():
    code = "\n".join(f"layer_{i} = nn.Conv2d({i}, {i + 1}, kernel_size=3, padding=1)" for i in range(45))
    printout = "".join(f"epoch {i}: loss {1 / (i + 1):.3f}\n" for i in range(50))
    nb = new_notebook(cells=[new_markdown_cell("## Many layers"),
                             new_code_cell(code, outputs=[new_output("stream", name="stdout",
                                                                     text=printout)])])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    ready = slides.prepare(nb, lang="en")
    pages = _pages(ready.cells)
    assert len(pages) >= 3
    for page in pages:
        assert sum(slides.cell_height(c) for c in page) <= slides.SLIDE_BUDGET
    shown = [c for c in ready.cells if c.cell_type == "code"]
    assert "\n".join(c.source for c in shown if c.source) == code            # every line, in order
    assert "".join(o["text"] for c in shown for o in c.outputs) == printout
    # the rest of the printout shows without an empty code box above it
    output_only = [c for c in shown if not c.source]
    assert output_only and all("deck-output-only" in c.metadata["tags"] for c in output_only)
    assert all("deck-output-only" not in c.metadata.get("tags", []) for c in shown if c.source)
    body, _ = slides.exporter("en").from_notebook_node(ready)
    assert "celltag_deck-output-only" in body and "deck-output-only .jp-InputArea" in slides.DECK_CSS


def test_continuations_are_filled_evenly_not_left_near_empty():
    # a slide just over one page: two half pages, not a full one and a lone line
    paragraph = "A sentence that fills about one line of a slide, more or less. " * 2
    nb = new_notebook(cells=[new_markdown_cell("## Even")] + [
        new_markdown_cell(f"{i}. {paragraph}") for i in range(9)])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    heights = [slides.cell_height(c) for c in nb.cells]
    assert slides.SLIDE_BUDGET < sum(heights) < 1.5 * slides.SLIDE_BUDGET
    pages = _pages(slides.prepare(nb, lang="en").cells)
    assert len(pages) == 2
    filled = [sum(slides.cell_height(c) for c in page) for page in pages]
    assert min(filled) > 0.35 * slides.SLIDE_BUDGET, filled


def test_theme_css_loses_its_google_fonts_import():
    css = ("@import url(./fonts/source-sans-pro/source-sans-pro.css);\n"
           "@import url(https://fonts.googleapis.com/css?family=News+Cycle:400,700);\n"
           ".reveal { color: #000; }")
    cleaned = slides.strip_remote_imports(css)
    assert "googleapis" not in cleaned and "source-sans-pro.css" in cleaned
    assert slides.remote_references(f"<style>{cleaned}</style>") == []


def test_deck_css_embeds_a_subset_of_the_cjk_font(tmp_path, monkeypatch):
    font = slides.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font in this environment (requirements.txt ships one)")
    monkeypatch.setattr(font_subset, "FONTS_CACHE", tmp_path / "fonts")
    page = slides.finish_page("<html><head></head><body><h1>使用块的网络 VGG</h1></body></html>",
                              font)
    assert slides.cjk_chars(page).startswith("使") or "块" in slides.cjk_chars(page)
    face = re.search(r'@font-face \{ font-family: "VGG Course CJK"; src: url\(data:font/'
                     r'(woff2?);base64,([A-Za-z0-9+/=]+)\)', page)
    assert face, page[:500]
    import base64
    import io
    from fontTools.ttLib import TTFont
    subset = TTFont(io.BytesIO(base64.b64decode(face.group(2))))
    cmap = subset.getBestCmap()
    assert all(ord(ch) in cmap for ch in "使用块的网络") and len(cmap) < 50


@needs_vendor
def test_vendor_has_mathjax_safe_and_no_remote_theme_import(fixture_decks):
    out, _ = fixture_decks
    assert (out / "vendor/mathjax/config/Safe.js").is_file()
    assert (out / "vendor/mathjax/extensions/Safe.js").is_file()
    for css in (out / "vendor/reveal.js/dist/theme").glob("*.css"):
        assert slides.remote_references("<style>" + css.read_text(encoding="utf-8") + "</style>") == []


def test_optional_topics_carry_a_badge_in_the_decks_language():
    from course_utils.slides.content import prepare
    for lang, word in (("zh", "选讲"), ("en", "optional")):
        nb = nbformat.read(REPO / "notebooks" / lang / "04-training.ipynb", as_version=4)
        tagged = sum("optional" in c.metadata.get("tags", []) and
                     c.metadata.get("slideshow", {}).get("slide_type") == "slide" for c in nb.cells)
        deck = prepare(nb, lang=lang)
        badges = [c for c in deck.cells if c.cell_type == "markdown"
                  and f'class="deck-optional">{word}</span>' in c.source]
        # a continued slide repeats its heading, badge included
        assert tagged >= 2 and len(badges) >= tagged
