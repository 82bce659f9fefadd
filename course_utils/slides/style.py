"""How a deck looks: a 16:9 slide for a 1280x720 projector, type an audience can read
from the back row, code that wraps, no prompts, figures that fit, Chinese in the
embedded font.

The slide is 1280x720 units and reveal.js scales it by 0.96 to fit a 1280x720 screen
(it keeps a 4% margin), so 19 px here is 18.2 px on the screen. ``tests/test_decks.py``
measures the result in Chromium: code at least 18 px, printouts and tables 16 px.
:mod:`paginate` estimates heights from the same numbers.
"""

from __future__ import annotations

from .font_subset import CJK_FAMILY

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
TEXT_PX = 24                    # markdown text
CODE_PX = 19                    # code cells, and code blocks inside markdown
OUTPUT_PX = 17                  # printouts
TABLE_PX = 17
HEADING_PX = {1: 46, 2: 40, 3: 34, 4: 28, 5: 26, 6: 24}
LINE_HEIGHT = {"text": 1.45, "code": 1.3, "table": 1.2}
IMAGE_MAX = 520                 # figures are capped at this height

SANS = f'"{CJK_FAMILY}", "Source Sans Pro", "Helvetica Neue", Helvetica, Arial, sans-serif'
_MONO = f'"{CJK_FAMILY}", "DejaVu Sans Mono", Menlo, Consolas, monospace'
_HEADINGS = "\n".join(
    f".reveal .jp-RenderedHTMLCommon h{level} {{ font-size: {px}px; margin: "
    f"{'0 0 .3em' if level < 4 else '.2em 0'}; }}"
    for level, px in HEADING_PX.items())

DECK_CSS = f"""
:root {{
  --jp-content-font-size1: {TEXT_PX}px;
  --jp-ui-font-size1: {TEXT_PX - 4}px;
  --jp-code-font-size: {CODE_PX}px;
  --jp-cell-prompt-width: 0px;
  --jp-content-font-family: {SANS};
  --jp-ui-font-family: {SANS};
  --jp-code-font-family: {_MONO};
}}
.reveal, .reveal h1, .reveal h2, .reveal h3, .reveal h4, .reveal h5, .reveal h6,
.reveal .jp-RenderedHTMLCommon {{ font-family: {SANS}; }}
.reveal pre, .reveal code, .reveal .highlight pre {{ font-family: {_MONO}; }}
/* "In [3]:" says nothing to a class and takes a sixth of the width */
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
/* long lines wrap instead of running off the right edge */
.reveal pre, .reveal .highlight pre, .reveal .jp-OutputArea-output pre {{
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal; }}
.reveal .jp-InputArea pre, .reveal .jp-MarkdownCell pre {{
  font-size: {CODE_PX}px; line-height: {LINE_HEIGHT["code"]}; }}
.reveal .jp-MarkdownCell pre {{ padding: .3em .6em; }}
.reveal div.jp-OutputArea-output > pre, .reveal .jp-RenderedText pre {{
  width: 100%; font-size: {OUTPUT_PX}px; line-height: {LINE_HEIGHT["code"]}; }}
/* the rest of a long printout, continued on the next sub-slide without its code */
.reveal .celltag_deck-output-only .jp-InputArea {{ display: none; }}
{_HEADINGS}
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li {{
  line-height: {LINE_HEIGHT["text"]}; }}
.reveal .jp-RenderedHTMLCommon p {{ margin: 0 0 .45em; }}
.reveal section img, .reveal .jp-RenderedImage img {{
  max-height: {IMAGE_MAX}px; max-width: 100%; object-fit: contain; margin: 4px auto; }}
.reveal table, .reveal .jp-RenderedHTMLCommon table {{ font-size: {TABLE_PX}px; }}
.reveal .jp-RenderedHTMLCommon td, .reveal .jp-RenderedHTMLCommon th {{
  padding: 1px 8px; line-height: {LINE_HEIGHT["table"]}; }}
.reveal .deck-optional {{ font-size: .45em; vertical-align: middle; padding: .1em .5em;
  border-radius: .6em; background: #6d6d6d; color: #fff; font-weight: normal; }}
.reveal .deck-live {{ font-size: {TEXT_PX}px; margin: .4em 0; padding: .4em .8em;
  border-left: 5px solid #1976d2; background: rgba(25, 118, 210, .08); }}
"""

# The speaker view's own page (reveal.js's notes plugin): its notes in the deck's fonts.
SPEAKER_CSS = f"""
body, .speaker-controls-notes, .speaker-controls-notes .value {{ font-family: {SANS}; }}
.speaker-controls-notes pre, .speaker-controls-notes code {{ font-family: {_MONO}; }}
"""
