"""How a deck looks: code that wraps, no prompts, figures that fit, Chinese in the embedded font.

The sizes here are the ones :mod:`paginate` estimates heights with.
"""

from __future__ import annotations

from .font_subset import CJK_FAMILY
from .paginate import IMAGE_MAX

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
