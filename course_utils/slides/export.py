"""One notebook -> one deck's HTML: nbconvert's reveal template with local scripts,
the deck's style sheet and font, and a check that nothing is fetched over the network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..messages import CourseError
from .content import prepare
from .font_subset import embed_svg_fonts, embedded_chars, font_face_css, slide_symbols
from .style import DECK_CSS, SLIDE_HEIGHT, SLIDE_WIDTH, SPEAKER_CSS
from .vendor import URLS

# nbconvert's reveal template, minus the one script we cannot serve locally: the
# course has no mermaid diagrams, and mermaid's module would come from a CDN.
TEMPLATE_NAME = "vgg_course_slides.html.j2"
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


# The speaker view (reveal.js's notes plugin) is a page of its own that the deck
# writes into a new window; the vendored plugin asks the deck for this (vendor.py), so
# the notes get the deck's embedded font too.
SPEAKER_VIEW_HEAD = """<script>
window.vggSpeakerHead = function () {
  var sheet = document.getElementById("vgg-course-deck"), faces = [];
  try {
    Array.prototype.forEach.call(sheet ? sheet.sheet.cssRules : [], function (rule) {
      if (rule.type === CSSRule.FONT_FACE_RULE) faces.push(rule.cssText);
    });
  } catch (e) {}
  return "<style>" + faces.join("\\n") + %s + "</style>";
};
</script>
""" % json.dumps(SPEAKER_CSS)


def finish_page(body: str, font: Path | None) -> str:
    """Put the deck's style sheet (and its font) last in ``<head>``, after the theme."""
    body = embed_svg_fonts(body, font)
    style = (f'<style id="vgg-course-deck">\n{font_face_css(font, embedded_chars(body))}'
             f"{DECK_CSS}</style>\n{SPEAKER_VIEW_HEAD}")
    return body.replace("</head>", style + "</head>", 1)


def deck_name(lang: str, notebook: Path) -> str:
    return f"{notebook.stem}.{lang}.html"


def exporter(lang: str):
    import jinja2
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    for key, value in URLS.items():
        setattr(config.SlidesExporter, key, value)
    # Figures travel inside the deck through content.embed_local_images; nbconvert's own
    # embedding re-parses each inline HTML tag alone, so "<span>optional</span>" in a
    # heading came out as an empty "<span />" followed by the word.
    config.SlidesExporter.embed_images = False
    config.SlidesExporter.reveal_scroll = True      # long code cells scroll, not overflow
    config.SlidesExporter.reveal_number = "c/t"
    # 16:9 like the projector, so the whole width of the screen holds text
    config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    config.SlidesExporter.language_code = lang
    return SlidesExporter(config=config, template_file=TEMPLATE_NAME,
                          extra_loaders=[jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})])


def render_deck(notebook: Path, lang: str) -> str:
    """One deck's HTML, before its style sheet; :class:`CourseError` if it would
    need the network."""
    import nbformat

    nb = prepare(nbformat.read(notebook, as_version=4), notebook.parent, lang)
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)}}
    body, _ = exporter(lang).from_notebook_node(nb, resources=resources)
    body = slide_symbols(body)        # ✅ ❌ ⏳ ⏹ as glyphs the embedded font has
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
