"""The course's fonts, chosen in one place for every figure a lesson draws.

The Chinese font comes from pip (``noto-cjk-sans-otc``), so no root and no apt is
needed; Latin text is matplotlib's own DejaVu Sans. While a course figure is drawn
only those two fonts are visible (:func:`only_course_fonts`), so the fonts
installed on a machine never change a byte of an SVG.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from ..messages import CourseError

# The course's Chinese font comes from pip (requirements.txt: noto-cjk-sans-otc),
# so no root and no apt is needed: Noto Sans CJK, one .ttc file holding the SC, TC,
# JP, KR and HK faces. matplotlib >= 3.11 registers every face of a .ttc, and we ask
# for the Simplified Chinese one; older matplotlib registers only the first face
# (JP), which still draws every Chinese character, a few in Japanese forms.
COURSE_CJK_FONT = "Noto Sans CJK SC"
# System fonts with Chinese glyphs, used only when the pip font is missing.
CJK_FONTS = [COURSE_CJK_FONT, "Noto Sans CJK JP", "Source Han Sans SC",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "PingFang SC", "Hiragino Sans GB",
             "Microsoft YaHei", "SimHei", "Droid Sans Fallback"]
# DejaVu Sans (shipped with matplotlib) draws Latin letters and digits, the same
# in both languages; a character it lacks (Chinese) falls through to the CJK font.
LATIN_FONT = "DejaVu Sans"

FONT_HINT = (
    "找不到中文字体，图里的中文会画成方框。课程的字体来自 pip：\n"
    "  pip install noto-cjk-sans-otc（或 make setup，会安装 requirements.txt 里的全部依赖）\n"
    "装好后重启内核即可，不需要 root。",
    "No Chinese (CJK) font was found, so Chinese would be drawn as boxes. The course's "
    "font comes from pip:\n"
    "  pip install noto-cjk-sans-otc (or make setup, which installs requirements.txt)\n"
    "then restart the kernel; no root is needed.",
)


def course_font_file() -> Path | None:
    """The Noto Sans CJK file that pip installed with the course, or ``None``."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the CJK font has no bold face.

    The pip font is Regular only; bold Chinese is drawn regular, which is fine, and
    the English notice would otherwise print under a Chinese lesson's plots.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


_NO_BOLD_NOTICE = _NoBoldNotice()


def _quiet_bold_notice() -> None:
    logger = logging.getLogger("matplotlib.font_manager")
    if _NO_BOLD_NOTICE not in logger.filters:
        logger.addFilter(_NO_BOLD_NOTICE)


def _clear_font_caches() -> None:
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()


def register_course_font() -> str | None:
    """Make the pip font known to matplotlib; return the family name to ask for.

    Idempotent. The course font's entries go to the front of matplotlib's list, so
    a system font of the same name (e.g. apt's fonts-noto-cjk, another version)
    never replaces it: the figures look, and the SVGs hash, the same everywhere.
    """
    path = course_font_file()
    if path is None:
        return None
    _quiet_bold_notice()
    fm = font_manager.fontManager
    ours = [f for f in fm.ttflist if Path(f.fname) == path]
    if not ours:
        before = len(fm.ttflist)
        fm.addfont(str(path))
        ours = fm.ttflist[before:]
    if fm.ttflist[:len(ours)] != ours:
        fm.ttflist = ours + [f for f in fm.ttflist if Path(f.fname) != path]
        _clear_font_caches()
    names = [f.name for f in ours]
    return COURSE_CJK_FONT if COURSE_CJK_FONT in names else (names[0] if names else None)


def cjk_font(required: bool = True) -> str | None:
    """Name of a font with Chinese glyphs: the course's pip font, else a system one.

    Raises :class:`CourseError` saying how to install the course's font when none
    is found and ``required``; returns ``None`` otherwise.
    """
    course = register_course_font()
    if course is not None:
        return course
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    if required:
        raise CourseError(*FONT_HINT)
    return None


def cjk_font_path() -> Path | None:
    """The file of the font :func:`cjk_font` names (for the slide decks, which embed
    a subset of the same font): the pip font, else a system CJK font, else ``None``."""
    name = cjk_font(required=False)
    if name is None:
        return None
    course = course_font_file()
    if course is not None:
        return course
    return next(Path(f.fname) for f in font_manager.fontManager.ttflist if f.name == name)


def cjk_rc() -> dict:
    """rcParams that draw Chinese (``{}`` with no CJK font): for ``rc_context`` around
    a figure made without pyplot, or, its ``font.family``, as one text's
    ``fontfamily=`` (see ``display.show_images``)."""
    name = cjk_font(required=False)
    return {"font.family": [LATIN_FONT, name]} if name else {}


def use_cjk_font(required: bool = False) -> str | None:
    """Draw Chinese in every later matplotlib figure of this kernel.

    The one place that chooses the course's fonts: sets ``rcParams`` so that Latin
    text uses DejaVu Sans and Chinese the course's Noto Sans CJK SC (a system CJK
    font only when the pip one is missing). ``start_lesson("zh")`` calls it, so the
    training curve, image grids and widgets drawn later in a lesson are covered.
    Returns the CJK font's name, or ``None`` (with ``required`` false) if there is none.
    """
    name = cjk_font(required=required)
    if name is None:
        return None
    # matplotlib falls back glyph by glyph only along the family *list*: a generic
    # "sans-serif" resolves to one font. So the list names both fonts, and a plot
    # that asks for "sans-serif" explicitly gets the CJK font (it has Latin too).
    matplotlib.rcParams["font.family"] = [LATIN_FONT, name]
    matplotlib.rcParams["font.sans-serif"] = [name] + [
        f for f in matplotlib.rcParams["font.sans-serif"] if f != name]
    return name


@contextlib.contextmanager
def only_course_fonts():
    """Let matplotlib see only its own fonts and the course's pip font.

    With text stored as outlines, the SVG's bytes depend on the fonts used; hiding
    the system's fonts makes ``make images`` give the same files on every machine.
    """
    fm = font_manager.fontManager
    course = course_font_file()
    data = Path(matplotlib.get_data_path()).resolve()
    saved = fm.ttflist
    fm.ttflist = [f for f in saved
                  if Path(f.fname) == course or data in Path(f.fname).resolve().parents]
    _clear_font_caches()
    try:
        yield
    finally:
        fm.ttflist = saved
        _clear_font_caches()


@contextlib.contextmanager
def no_missing_glyphs():
    """Turn a missing glyph into an error while drawing a course figure.

    The figures are drawn with the course font, so a missing glyph is a bug (a
    character no font has), not something to hide.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing from")
        yield


