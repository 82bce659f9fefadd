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

* a 16:9 slide, and type the back row can read (code >= 18 px on the screen);
* a slide that would run off the screen continues on sub-slides (↓), filled
  evenly; a cell taller than a slide is cut, markdown between paragraphs, code
  and its printout between lines, so nothing is hidden;
* code wraps instead of running off the right edge; the
  ``# NBVAL_...`` and ``### BEGIN/END SOLUTION`` lines are left out;
* a widget becomes one line saying it is live in JupyterLab; a stored progress
  bar is dropped;
* an exercise's solution (nbgrader's metadata or markers, see ``cells.py``) gets
  its own sub-slide, so the class sees the question first; a ``<details>`` block
  is opened, since nobody clicks on a slide;
* cells of type "notes" become speaker notes (press ``S``);
* links to another lesson's ``.ipynb`` lead to that lesson's deck;
* Chinese and symbols (✓ ⚠ ①) are drawn with a subset of the course's CJK font,
  embedded in the deck, its speaker view and the index page, so a classroom PC
  with Latin fonts only shows them too; the few symbols the font lacks (✅ ❌ ⏳ ⏹)
  become ones it has (✓ × … ■) on the slides.

The modules, in the order a build runs them:

* ``vendor``: reveal.js, MathJax, require.js and jQuery from npm, copied beside the decks;
* ``content``: a notebook made fit for presenting (markers, widgets, solutions, links);
* ``paginate``: each cell's height on a 1280x720 slide; continuation sub-slides;
* ``style``: the deck's style sheet; ``font_subset``: the embedded Chinese font;
* ``export``: one deck's HTML, checked for anything it would fetch;
* ``build``: every deck and the index page, and the command line.
"""

from ..cells import is_solution
from .build import LANGS, NOTEBOOKS_DIR, build, find_notebooks, index_page, main, write_index
from .content import (LIVE_NOTE, MAX_OUTPUT_LINES, SOLUTION_TITLE, clean_outputs,
                      embed_local_images, link_decks, open_details, prepare, strip_markers)
from .export import (SPEAKER_VIEW_HEAD, deck_name, deck_problems, export_deck, exporter,
                     finish_page, remote_references, render_deck)
from .font_subset import (CJK_FAMILY, LATIN_PC, SLIDE_SYMBOLS, cjk_chars, embedded_chars,
                          find_cjk_font, font_face_css, missing_glyphs, slide_symbols,
                          subset_font, svg_with_font, union_font)
from .paginate import (SLIDE_BUDGET, cell_height, code_height, fit_slides, markdown_height,
                       split_markdown)
from .style import DECK_CSS
from .vendor import (CACHE_DIR, URLS, VENDOR, install_vendor, npm_tarball,
                     speaker_view_with_deck_fonts, strip_remote_imports, unpack)

__all__ = [
    "is_solution", "LANGS", "NOTEBOOKS_DIR", "build", "find_notebooks", "index_page", "main",
    "write_index",
    "LIVE_NOTE", "MAX_OUTPUT_LINES", "SOLUTION_TITLE", "clean_outputs", "embed_local_images",
    "link_decks", "open_details", "prepare", "strip_markers",
    "SPEAKER_VIEW_HEAD", "deck_name", "deck_problems", "export_deck", "exporter", "finish_page",
    "remote_references", "render_deck",
    "CJK_FAMILY", "LATIN_PC", "SLIDE_SYMBOLS", "cjk_chars", "embedded_chars", "find_cjk_font",
    "font_face_css", "missing_glyphs", "slide_symbols", "subset_font", "svg_with_font",
    "union_font",
    "SLIDE_BUDGET", "cell_height", "code_height", "fit_slides", "markdown_height",
    "split_markdown", "DECK_CSS", "CACHE_DIR", "URLS", "VENDOR", "install_vendor",
    "npm_tarball", "speaker_view_with_deck_fonts", "strip_remote_imports", "unpack",
]
