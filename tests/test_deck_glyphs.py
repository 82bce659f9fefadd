"""Glyphs everywhere: the index page, every deck and a zh deck's speaker view on a
classroom PC that has Latin fonts only, no Chinese font and no symbol or emoji font.

Chromium is started with ``FONTCONFIG_FILE`` pointing at a ``fonts.conf`` that
lists the Liberation fonts only (the metric twins of Arial, Times New Roman and
Courier New, which every PC has), so the system fonts the build machine happens to
have cannot hide a missing glyph. For every character of every text node, in the
font its element asks for, a canvas draws the character and a private-use code
point no font has: the same pixels mean the character is a box (.notdef). Where
the page has Chinese, DevTools (``CSS.getPlatformFontsForNode``) says which fonts
Chromium drew it with: the embedded one, and at most the Latin one.

Skipped like ``tests/test_decks.py`` (no Chromium, no npm and no cache), and when
there is no CJK font to embed or no Liberation font to stand for a PC's Latin fonts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_utils import slides

from tests.test_decks import DECKS, VIEWPORT, _local, built_decks  # noqa: F401 (fixture)
from tests.test_lab import CHROMIUM, CHROMIUM_ARGS

LATIN_FONT_DIRS = ["/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/liberation2",
                   "/usr/share/fonts/liberation", "/usr/share/fonts/liberation-sans"]
ZH_DECK = "04-training.zh.html"        # notes in Chinese, ⏹ and ⚠ in its printouts
REVEAL = "vendor/reveal.js/dist/reveal.js"

# Every character of the text under ``root`` (minus ``skip``) that Chromium would draw
# as a box in the font its element asks for. The sentinel is a private-use code point
# no font has, so its pixels are the box the font stack falls back to.
GLYPHS = r"""async ([root, skip]) => {
  await document.fonts.ready;
  const SENTINEL = String.fromCodePoint(0x10FFFD);
  const SIZE = 56;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const ink = (font, text) => {
    ctx.clearRect(0, 0, SIZE, SIZE);
    ctx.font = font;
    ctx.textBaseline = 'top';
    ctx.fillText(text, 6, 6);
    return ctx.getImageData(0, 0, SIZE, SIZE).data;
  };
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
  const pairs = new Map();
  const ignore = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TITLE']);
  for (const top of document.querySelectorAll(root)) {
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      const el = node.parentElement;
      // MathJax's copy of each formula for screen readers is clipped to nothing
      if (!el || ignore.has(el.tagName) || el.closest('.MJX_Assistive_MathML') ||
          (skip && el.closest(skip))) continue;
      const style = getComputedStyle(el);
      const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
      for (const ch of node.data) {
        if (/[\s\p{M}\p{Cf}\p{Cc}]/u.test(ch)) continue;
        const key = font + '\u0000' + ch;
        if (!pairs.has(key)) {
          pairs.set(key, {ch, font, where: el.tagName.toLowerCase() + ': ' +
                          node.data.trim().slice(0, 40)});
        }
      }
    }
  }
  const byFont = new Map();
  for (const p of pairs.values()) byFont.set(p.font, (byFont.get(p.font) || '') + p.ch);
  // (a face that only names local() fonts, as MathJax's first choice does, fails: fine)
  await Promise.allSettled([...byFont].map(([font, text]) => document.fonts.load(font, text)));
  const boxOf = new Map([...byFont.keys()].map(f => [f, ink(f, SENTINEL)]));
  const boxes = [];
  for (const {ch, font, where} of pairs.values()) {
    if (same(ink(font, ch), boxOf.get(font))) {
      boxes.push(`${ch} U+${ch.codePointAt(0).toString(16).toUpperCase()} in ${where}`);
    }
  }
  return {checked: pairs.size, chars: [...new Set([...pairs.values()].map(p => p.ch))].join(''),
          boxes: [...new Set(boxes)]};
}"""

# The first text node under ``selector`` with Chinese in it, for DevTools.
FIRST_CHINESE = """(() => {
  for (const top of document.querySelectorAll(%r)) {
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      if (/[\\u4e00-\\u9fff]{2}/.test(node.data)) return node;
    }
  }
  return null;
})()"""


def _latin_font_dir() -> str | None:
    return next((d for d in LATIN_FONT_DIRS if Path(d).is_dir() and any(Path(d).glob("*.ttf"))),
                None)


@pytest.fixture(scope="module")
def latin_only_browser(built_decks, tmp_path_factory):
    """Chromium that sees the Liberation fonts and nothing else."""
    if slides.find_cjk_font() is None:
        pytest.skip("no CJK font in this environment to embed (requirements.txt ships one)")
    latin = _latin_font_dir()
    if latin is None:
        pytest.skip(f"no Liberation fonts in {LATIN_FONT_DIRS} to stand for a PC's Latin fonts")
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("fontconfig")
    conf = home / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><dir>{latin}</dir><cachedir>{home / 'cache'}</cachedir>"
                    + "".join(f"<alias><family>{generic}</family><prefer><family>Liberation "
                              f"{twin}</family></prefer></alias>"
                              for generic, twin in (("sans-serif", "Sans"), ("serif", "Serif"),
                                                    ("monospace", "Mono")))
                    + "</fontconfig>\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FONTCONFIG")}
    env.update(FONTCONFIG_FILE=str(conf), HOME=str(home))
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(latin_only_browser):
    context = latin_only_browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda r: r.continue_() if _local(r.request.url) else r.abort())
    yield context
    context.close()


def _platform_fonts(context, page, selector: str) -> list[dict]:
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    cdp.send("DOM.getDocument", {"depth": 0})
    found = cdp.send("Runtime.evaluate", {"expression": FIRST_CHINESE % selector})["result"]
    assert "objectId" in found, f"no Chinese text under {selector}"
    node = cdp.send("DOM.requestNode", {"objectId": found["objectId"]})
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]


def _assert_embedded(fonts: list[dict], where: str):
    """Chinese drawn with the deck's own font, and nothing but Liberation beside it."""
    assert any(f["isCustomFont"] for f in fonts), f"{where}: not the embedded font: {fonts}"
    others = [f for f in fonts if not f["isCustomFont"] and "Liberation" not in f["familyName"]]
    assert not others, f"{where}: drawn with fonts the page does not carry: {fonts}"


def _open_deck(context, built_decks: Path, name: str):
    page = context.new_page()
    page.goto((built_decks / name).as_uri())
    page.wait_for_function("() => window.require && window.MathJax && MathJax.isReady",
                           timeout=30_000)
    page.evaluate("() => new Promise(ok => MathJax.Hub.Queue(ok))")   # formulas typeset
    page.evaluate(f"""() => new Promise(ok => require(["{REVEAL}"], R => {{
                      window.vggReveal = R;
                      R.isReady() ? ok() : R.on('ready', ok); }}))""")
    return page


def test_this_browser_really_has_no_chinese_or_symbol_font(context):
    page = context.new_page()
    page.set_content("<p style='font-family:sans-serif'>Abc 块 ✓ ⏹</p>")
    seen = page.evaluate(GLYPHS, ["p", None])
    assert {b[0] for b in seen["boxes"]} == {"块", "✓", "⏹"}, seen


def test_index_page_draws_every_character(context, built_decks):
    page = context.new_page()
    page.goto((built_decks / "index.html").as_uri())
    seen = page.evaluate(GLYPHS, ["body", None])
    assert "中" in seen["chars"] and "块" in seen["chars"]
    assert not seen["boxes"], f"index.html shows boxes: {seen['boxes']}"
    _assert_embedded(_platform_fonts(context, page, "h1"), "index.html h1")


@pytest.mark.parametrize("name", DECKS)
def test_deck_draws_every_character(context, built_decks, name):
    page = _open_deck(context, built_decks, name)
    seen = page.evaluate(GLYPHS, [".reveal .slides", "aside.notes"])
    assert seen["checked"] > 100, seen
    assert not seen["boxes"], f"{name} shows boxes on a PC with Latin fonts only: {seen['boxes']}"
    if ".zh." in name:
        _assert_embedded(_platform_fonts(context, page, ".reveal section.present"), name)


def test_zh_speaker_view_draws_every_character(context, built_decks):
    page = _open_deck(context, built_decks, ZH_DECK)
    with page.expect_popup() as popup:
        page.keyboard.press("s")                 # reveal.js: S opens the speaker view
    speaker = popup.value
    noted = page.evaluate("""() => window.vggReveal.getSlides().map(s => {
        const i = window.vggReveal.getIndices(s);
        const notes = [...s.querySelectorAll('aside.notes')];
        return [i.h, i.v || 0, notes.length ? notes[0].textContent.trim().slice(0, 12) : ''];
      }).filter(([h, v, text]) => text)""")
    assert noted, f"{ZH_DECK} has no speaker notes"
    problems = []
    for h, v, start in noted:
        page.evaluate("([h, v]) => window.vggReveal.slide(h, v)", [h, v])
        speaker.wait_for_function(
            "t => (document.querySelector('.speaker-controls-notes .value') || {}).textContent"
            "?.includes(t)", arg=start, timeout=10_000)
        seen = speaker.evaluate(GLYPHS, [".speaker-controls-notes", None])
        assert seen["checked"] > 10, seen
        problems += seen["boxes"]
    assert not problems, f"the speaker view of {ZH_DECK} shows boxes: {sorted(set(problems))}"
    _assert_embedded(_platform_fonts(context, speaker, ".speaker-controls-notes"),
                     f"{ZH_DECK} speaker view")


# ------------------------------------------------------------ without a browser


def test_slide_symbols_become_glyphs_a_classroom_pc_can_show():
    from course_utils.slides.font_subset import font_chars
    font = slides.find_cjk_font()
    have = font_chars(font) if font is not None else set()
    for symbol, shown in slides.SLIDE_SYMBOLS.items():
        assert slides.slide_symbols(symbol) == shown != symbol
        for ch in shown:
            assert slides.LATIN_PC.match(ch) or ch in have or font is None, (symbol, shown)
    assert slides.slide_symbols("✅ 对 / ❌ Wrong / ⏳ / ⏹ / ⚠️") == "✓ 对 / × Wrong / … / ■ / ⚠"


def test_embedded_chars_are_chinese_and_symbols_not_latin_or_markup():
    page = ("<p title='✔'>“Hi” — 84×84 → ✓ ⚠\ufe0f ① 块、</p><script>'✅'</script>"
            "<style>p::before { content: '❌' }</style>")
    assert slides.embedded_chars(page) == "".join(sorted("✓⚠①块、"))


def test_font_face_reaches_the_symbols(tmp_path, monkeypatch):
    from course_utils.slides import font_subset
    font = slides.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font in this environment (requirements.txt ships one)")
    monkeypatch.setattr(font_subset, "FONTS_CACHE", tmp_path / "fonts")
    css = slides.font_face_css(font, slides.embedded_chars("<p>块 ✓ ⚠ ①②</p>"))
    assert "U+2713" in css and "U+26A0" in css and "U+2460-2461" in css and "U+4E00-9FFF" in css
    assert font_subset.missing_glyphs(font, "<p>块 ✓ ⚠ ① Latin × …</p>") == ""
    assert font_subset.missing_glyphs(font, "<p>✅</p>") == "✅"


def test_index_page_carries_the_font(tmp_path, monkeypatch):
    from course_utils.slides import font_subset
    font = slides.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font in this environment (requirements.txt ships one)")
    monkeypatch.setattr(font_subset, "FONTS_CACHE", tmp_path / "fonts")
    lang, notebook = slides.find_notebooks()[0]
    page = slides.index_page([(lang, notebook, tmp_path / slides.deck_name(lang, notebook))], font)
    assert f'@font-face {{ font-family: "{slides.CJK_FAMILY}"' in page
    assert f'body {{ font-family: "{slides.CJK_FAMILY}"' in page
    assert slides.remote_references(page) == []


def test_speaker_view_asks_the_deck_for_its_font():
    script = 'function i(){n.document.write("<html><head><style></style></head><body></body>")}'
    patched = slides.speaker_view_with_deck_fonts(script)
    assert patched.count("window.vggSpeakerHead") == 2 and patched.endswith('</body>")}')
    assert slides.speaker_view_with_deck_fonts(patched) == patched
    from course_utils.messages import CourseError
    with pytest.raises(CourseError):
        slides.speaker_view_with_deck_fonts("document.write('<html>')")
    assert "window.vggSpeakerHead" in slides.SPEAKER_VIEW_HEAD
