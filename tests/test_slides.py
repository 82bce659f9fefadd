"""Instructor mode: one offline reveal.js deck per notebook (what `make slides` does)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils import slides

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
    (tmp_path / "a.svg").write_text("<svg/>")
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
