"""The lesson decks in a real browser, on a classroom projector's 1280x720.

Builds every deck with :func:`course_utils.slides.build` (once per session), opens
each in Debian's Chromium driven by Playwright with every request that would leave
the machine aborted, walks every slide with reveal.js's own API, and checks what an
audience would notice: slides running off the screen, code or printouts too small to
read from the back row, a printout cut short, a continuation slide with next to
nothing on it, test markers or widget reprs on screen, a figure that did not load, a
file the deck asks for and does not have, Chinese drawn in some other font than the
one embedded in the deck.

Without Chromium or Playwright the test is skipped, unless ``CI`` is set (as in
``tests/test_browser.py``). Building needs reveal.js and MathJax, fetched by npm
once into ``~/.cache/vgg-course/npm``; with neither npm nor that cache the test is
skipped and says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from course_utils import slides

from tests.test_lab import browser_missing, launch_chromium  # one way to start Chromium

VIEWPORT = {"width": 1280, "height": 720}
MAX_TALL_SHARE = 0.10                       # at most 10% of a deck's slides may scroll
NOTEBOOKS = slides.find_notebooks()
DECKS = [slides.deck_name(lang, nb) for lang, nb in NOTEBOOKS]


def _vendor_missing() -> str | None:
    cached = all(any(slides.CACHE_DIR.glob(f"{p}-{v}.tgz")) for p, (v, _) in slides.VENDOR.items())
    if cached or shutil.which("npm"):
        return None
    return f"no npm and no reveal.js/MathJax in {slides.CACHE_DIR}: run `make slides` once online"


@pytest.fixture(scope="session")
def built_decks(tmp_path_factory) -> Path:
    reason = browser_missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI is set but the deck test cannot run: {reason}")
    if reason or (reason := _vendor_missing()):
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("decks")
    slides.build(out)
    return out


@pytest.fixture(scope="module")
def browser(built_decks):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        try:
            yield chromium
        finally:
            chromium.close()


def _local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("file", "data", "about", "blob") or (
        parsed.hostname in ("localhost", "127.0.0.1", "::1"))


# What an audience reads, by kind: CSS selectors inside a slide.
TEXT_KINDS = {
    "code": ".jp-InputArea pre, .jp-MarkdownCell pre",
    "output": ".jp-OutputArea-output pre",
    "table": ".jp-OutputArea-output td, .jp-OutputArea-output th, .jp-MarkdownCell td, "
             ".jp-MarkdownCell th",
    "text": ".jp-MarkdownCell p, .jp-MarkdownCell li",
}
# Readable from the back row of a classroom: screen pixels at 1280x720, at least.
MIN_PX = {"code": 18, "output": 16, "table": 16, "text": 18}
# Figure text, labels and ticks alike: the smallest glyph's font size, on the screen.
MIN_FIGURE_PX = 14

# Every slide, in order: its size in slide units (reveal.js scales the slide to the
# window) and the smallest font of each kind of text on it in screen pixels (the CSS
# size times reveal's scale), the deck's Reveal object coming from require.js as the
# deck loads it. A figure's text size is read from the figure itself: matplotlib
# stores each label as outlines in a group scaled by its font size / 100 (its
# FONT_SCALE), in the SVG's own units; the figure's height on the screen over its
# viewBox's height turns those units into screen pixels.
WALK = r"""async () => {
  const Reveal = await new Promise(ok => require(["vendor/reveal.js/dist/reveal.js"], ok));
  const height = Reveal.getConfig().height;
  const kinds = %s;
  const seen = [];
  const svgText = src => {
    const m = /^data:image\/svg\+xml;base64,(.*)$/.exec(src);
    if (!m) return null;
    const bytes = Uint8Array.from(atob(m[1]), c => c.charCodeAt(0));
    const doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes),
                                                "image/svg+xml");
    const sizes = [...doc.querySelectorAll("g[transform]")]
      .map(g => /scale\(([\d.e-]+)[ ,]+-([\d.e-]+)\)/.exec(g.getAttribute("transform")))
      .filter(Boolean).map(s => 100 * parseFloat(s[1]));
    return {viewHeight: doc.documentElement.viewBox.baseVal.height,
            units: sizes.length ? Math.min(...sizes) : null,
            glyphs: doc.querySelectorAll("use").length};
  };
  const figure = img => {
    const src = img.getAttribute("src") || "";
    const shown = img.clientHeight * Reveal.getScale();
    const found = {format: src.slice(0, 24), shown: Math.round(shown),
                   width: Math.round(img.clientWidth * Reveal.getScale())};
    const svg = svgText(src);
    if (svg) {
      found.format = "svg";
      found.glyphs = svg.glyphs;
      if (svg.units) found.px = svg.units * shown / svg.viewHeight;
    }
    return found;
  };
  Reveal.getHorizontalSlides().forEach((column, h) => {
    const rows = Math.max(1, column.querySelectorAll(":scope > section").length);
    for (let v = 0; v < rows; v++) {
      Reveal.slide(h, v);
      const slide = Reveal.getCurrentSlide();
      const smallest = {};
      for (const [kind, selector] of Object.entries(kinds)) {
        const sizes = [...slide.querySelectorAll(selector)]
          .filter(e => e.textContent.trim() && !e.closest("aside.notes"))
          .map(e => parseFloat(getComputedStyle(e).fontSize) * Reveal.getScale());
        if (sizes.length) smallest[kind] = Math.min(...sizes);
      }
      const figures = [...slide.querySelectorAll("img")]
        .filter(i => !i.closest("aside.notes")).map(figure);
      seen.push({h, v, height: slide.scrollHeight, limit: height, smallest, figures,
                 title: (slide.innerText || "").trim().split("\n")[0].slice(0, 60)});
    }
  });
  Reveal.slide(0, 0);                       // back to the title, for the font check
  return seen;
}""" % json.dumps(TEXT_KINDS)


@pytest.fixture(scope="module")
def opened(browser, built_decks):
    """Open each deck once: what its walk saw, what it requested, its text."""
    results = {}

    def open_deck(name: str) -> dict:
        if name in results:
            return results[name]
        context = browser.new_context(viewport=VIEWPORT)
        blocked, failed = [], []

        def route(r):
            if _local(r.request.url):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()
        context.route("**/*", route)
        page = context.new_page()
        page.on("requestfailed", lambda req: failed.append(req.url))
        try:
            page.goto((built_decks / name).as_uri())
            page.wait_for_function("() => window.require && window.MathJax && MathJax.isReady",
                                   timeout=30_000)
            walk = page.evaluate(WALK)
            page.wait_for_function("() => document.fonts.status === 'loaded'", timeout=10_000)
            info = page.evaluate("""() => ({
              text: document.querySelector('.reveal .slides').textContent,
              images: [...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0]),
              notes: document.querySelectorAll('aside.notes').length,
              badges: [...document.querySelectorAll('.reveal .deck-optional')].map(e => e.textContent),
              links: [...document.querySelectorAll('.reveal a[href]')].map(a => a.getAttribute('href')),
              faces: [...document.fonts].map(f => [f.family.replace(/"/g, ''), f.status]),
              cjkReady: document.fonts.check('20px "%s"', '块'),
            })""".replace("%s", slides.CJK_FAMILY))
            failures = list(failed)   # DevTools' CSS domain re-reads the page itself
            info["platform_fonts"] = _fonts_for_chinese(context, page)
        finally:
            context.close()
        results[name] = {"walk": walk, "blocked": blocked,
                         "failed": [u for u in failures if u not in blocked], **info}
        return results[name]
    return open_deck


# The first text node of a heading that holds Chinese: DevTools reports fonts per text node.
CHINESE_TEXT = """(() => {
  const walker = document.createTreeWalker(document.querySelector('.reveal section.present'),
                                           NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    if (node.parentElement.closest('h1, h2, h3') && /[\\u4e00-\\u9fff]/.test(node.data)) {
      return node;
    }
  }
  return null;
})()"""


def _fonts_for_chinese(context, page) -> list[dict]:
    """The fonts Chromium really drew the first Chinese heading with (DevTools)."""
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    cdp.send("DOM.getDocument", {"depth": 0})
    found = cdp.send("Runtime.evaluate", {"expression": CHINESE_TEXT})["result"]
    if "objectId" not in found:
        return []
    node = cdp.send("DOM.requestNode", {"objectId": found["objectId"]})
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]


@pytest.mark.parametrize("name", DECKS)
def test_deck_fits_a_1280x720_screen(opened, name):
    walk = opened(name)["walk"]
    assert len(walk) >= 3, f"{name}: only {len(walk)} slides"
    tall = [s for s in walk if s["height"] > s["limit"]]
    assert len(tall) <= MAX_TALL_SHARE * len(walk), (
        f"{name}: {len(tall)} of {len(walk)} slides are taller than the screen: "
        + json.dumps(tall, ensure_ascii=False))


@pytest.mark.parametrize("name", DECKS)
def test_deck_text_is_readable_from_the_back_row(opened, name):
    walk = opened(name)["walk"]
    measured = {kind for s in walk for kind in s["smallest"]}
    assert {"code", "text"} <= measured, f"{name}: nothing measured ({measured})"
    small = [(s["h"], s["v"], kind, round(px, 1), s["title"]) for s in walk
             for kind, px in s["smallest"].items() if px < MIN_PX[kind]]
    assert not small, f"{name}: text smaller than {MIN_PX} px on a 1280x720 screen: {small}"


@pytest.mark.parametrize("name", DECKS)
def test_figure_text_is_readable_from_the_back_row(opened, name):
    """Every figure on a slide is vector (crisp on any projector, and its text
    measurable), and its smallest label is at least MIN_FIGURE_PX on the screen."""
    walk = opened(name)["walk"]
    figures = [(s["h"], s["v"], s["title"], f) for s in walk for f in s["figures"]]
    raster = [(h, v, title, f["format"]) for h, v, title, f in figures if f["format"] != "svg"]
    assert not raster, f"{name}: figures that are not SVG (their text cannot be measured): {raster}"
    unmeasured = [(h, v, title) for h, v, title, f in figures if f["glyphs"] and "px" not in f]
    assert not unmeasured, f"{name}: figures with text of no known size: {unmeasured}"
    small = [(h, v, title, round(f["px"], 1)) for h, v, title, f in figures
             if f.get("px", MIN_FIGURE_PX) < MIN_FIGURE_PX]
    assert not small, (f"{name}: figure text smaller than {MIN_FIGURE_PX} px on a 1280x720 "
                       f"screen: {small}")


@pytest.mark.parametrize("lang,notebook", NOTEBOOKS, ids=DECKS)
def test_optional_topics_carry_a_readable_badge(opened, lang, notebook):
    """The "optional" badge says so in words (nbconvert's image embedding once left an
    empty ``<span />`` and the word outside it: a grey dot on the screen)."""
    from course_utils.slides.content import OPTIONAL_BADGE, OPTIONAL_TAG

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    optional = sum(OPTIONAL_TAG in c.get("metadata", {}).get("tags", []) and
                   c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "slide"
                   for c in cells)
    badges = opened(slides.deck_name(lang, notebook))["badges"]
    assert len(badges) >= optional
    label = OPTIONAL_BADGE[0] if lang == "zh" else OPTIONAL_BADGE[1]
    assert set(badges) <= {label}, badges


@pytest.mark.parametrize("name", DECKS)
def test_deck_hides_nothing_and_continues_on_full_slides(opened, name):
    seen = opened(name)
    assert not re.search(r"… \(\d+ more lines\)|…（还有 \d+ 行）", seen["text"]), (
        f"{name} cuts a printout short")
    continued = [s for s in seen["walk"] if re.search(r"\(cont\.\)|（续）", s["title"])]
    near_empty = [s for s in continued if s["height"] < 0.25 * s["limit"]]
    assert not near_empty, f"{name}: continuation slides with next to nothing on them: {near_empty}"


@pytest.mark.parametrize("name", DECKS)
def test_deck_shows_no_markers_widget_reprs_or_stale_bars(opened, name):
    text = opened(name)["text"]
    for leftover in ("NBVAL_", "children=(", "BEGIN SOLUTION", "END SOLUTION", "0%|"):
        assert leftover not in text, f"{name} shows {leftover!r}"


@pytest.mark.parametrize("name", DECKS)
def test_deck_loads_nothing_from_the_network_and_every_local_file(opened, name):
    seen = opened(name)
    assert seen["blocked"] == [], f"{name} tried to reach the network: {seen['blocked']}"
    assert not any(re.search(r"fonts\.googleapis|fonts\.gstatic|cdn|unpkg", u)
                   for u in seen["blocked"])
    assert seen["failed"] == [], f"{name} asked for files the build did not bundle: {seen['failed']}"
    assert all(ok for _, ok in seen["images"]), f"{name}: images not drawn: {seen['images']}"


@pytest.mark.parametrize("name", DECKS)
def test_deck_links_lead_to_decks(opened, name, built_decks):
    for href in opened(name)["links"]:
        assert not href.split("#")[0].endswith(".ipynb"), f"{name} links a notebook: {href}"
        if not re.match(r"^[a-z]+:|^#", href):
            assert (built_decks / href.split("#")[0]).is_file(), f"{name}: broken link {href}"


@pytest.mark.parametrize("lang,notebook", NOTEBOOKS, ids=DECKS)
def test_speaker_notes_travel_with_the_deck(opened, lang, notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    notes = sum(c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"
                for c in cells)
    assert opened(slides.deck_name(lang, notebook))["notes"] == notes


@pytest.mark.parametrize("name", [d for d in DECKS if ".zh." in d])
def test_chinese_is_drawn_with_the_embedded_font(opened, name):
    if slides.find_cjk_font() is None:
        pytest.skip("no CJK font in this environment to embed (requirements.txt ships one)")
    seen = opened(name)
    assert [slides.CJK_FAMILY, "loaded"] in seen["faces"], seen["faces"]
    assert seen["cjkReady"]
    drawn = seen["platform_fonts"]
    assert drawn, f"{name}: no Chinese heading found"
    # Chromium reports a web font as a custom font: the Chinese glyphs came from the deck
    custom = [f for f in drawn if f["isCustomFont"]]
    assert custom and sum(f["glyphCount"] for f in custom) >= 2, drawn
