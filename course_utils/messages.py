"""The course speaks two languages: one switch, and errors that carry both.

Every error a student can cause (an impossible slider setting, a missing data set,
a diverging learning rate) is a :class:`CourseError`. It holds its message in 中文
and English and prints the one chosen with :func:`set_lang`, so the notebook can
show one short sentence in its own language instead of a traceback.
"""

from __future__ import annotations

import codecs
import math
import os
import sys
from pathlib import PurePath

LANGS = ("zh", "en")


class CourseError(ValueError):
    """A mistake a student can fix, explained in both languages.

    ``str(err)`` is the message in the current language; ``err.zh`` and ``err.en``
    hold both. It subclasses ``ValueError`` so ordinary code can catch it as one.
    """

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)

    def message(self, lang: str | None = None) -> str:
        return pick(self.zh, self.en, lang)

    def __str__(self) -> str:
        try:
            return self.message()
        except LanguageError:    # COURSE_LANG is wrong: both languages, not a second error
            return f"{self.zh}\n{self.en}"


class LanguageError(CourseError):
    """The language asked for is not one the course speaks.

    We cannot know which language the reader understands, so this one message
    is always shown in both, whatever language is set.
    """

    def message(self, lang: str | None = None) -> str:
        return f"{self.zh}\n{self.en}"


def _language_error(value, source: str) -> LanguageError:
    shown = "None" if value is None else repr(value)
    return LanguageError(
        f"{source} 只能是 \"zh\"（中文）或 \"en\"（英文），现在是 {shown}。",
        f"{source} must be \"zh\" (Chinese) or \"en\" (English), got {shown}.")


def default_lang(environ=None) -> str:
    """The language a new process speaks, read from its environment.

    ``COURSE_LANG`` when set; else the folder of the notebook this kernel runs
    (``.../zh/lesson.ipynb`` speaks Chinese); else the locale (``LC_ALL``, then ``LC_MESSAGES``,
    then ``LANG``, the first one set wins, as in POSIX): Chinese when it starts
    with ``zh`` (``zh_CN.UTF-8``, ``zh_TW``...), English otherwise. A
    ``COURSE_LANG`` other than zh/en raises :class:`LanguageError`.
    """
    environ = os.environ if environ is None else environ
    course = environ.get("COURSE_LANG")
    if course:
        if course not in LANGS:
            raise _language_error(course, "COURSE_LANG")
        return course
    # A lesson's kernel knows its notebook (Jupyter sets JPY_SESSION_NAME to its path):
    # a notebook in a zh/ folder speaks Chinese even after a restart skips its first cell.
    folders = PurePath(environ.get("JPY_SESSION_NAME") or "").parts[:-1]
    for folder in reversed(folders):
        if folder in LANGS:
            return folder
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


# None until the first question: a wrong COURSE_LANG must not break ``import``,
# only be reported (in both languages) when a message is first needed.
_lang: str | None = None


def set_lang(lang: str) -> str:
    """Choose the language of messages, labels and widgets ("zh" or "en")."""
    global _lang
    if not isinstance(lang, str) or lang not in LANGS:
        raise _language_error(lang, "lang")
    _lang = lang
    return _lang


def get_lang(lang: str | None = None) -> str:
    """The language to use: ``lang`` when given, else the one set last (at start,
    the one :func:`default_lang` reads from the environment)."""
    global _lang
    if lang is None:
        if _lang is None:
            _lang = default_lang()
        return _lang
    if not isinstance(lang, str) or lang not in LANGS:
        raise _language_error(lang, "lang")
    return lang


def pick(zh: str, en: str, lang: str | None = None) -> str:
    """Return the text in the chosen language."""
    return zh if get_lang(lang) == "zh" else en


# ---------------------------------------------------------------- wrong types, in words


def describe(value) -> tuple[str, str]:
    """How to name a wrong value in a message, ``(zh, en)``.

    Text is quoted and called text, so that ``"224"`` is never read back to the
    student as if it were the number 224.
    """
    if isinstance(value, str):
        return f"文本 {value!r}（带引号的字符串）", f"the text {value!r} (a string, in quotes)"
    if value is None:
        return "None（没有值）", "None (no value)"
    if isinstance(value, bool):
        return f"{value}（布尔值）", f"{value} (a bool)"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan（不是一个数）", "nan (not a number)"
        if math.isinf(value):
            return f"{value}（无穷大）", f"{value} (infinity)"
        return f"小数 {value!r}", f"the fraction {value!r}"
    if isinstance(value, (int, complex)):
        return repr(value), repr(value)
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = type(value).__name__
    return f"{text}（{kind} 类型）", f"{text} (a {kind})"


def whole_number(value, name: str, minimum: int = 1, example: int = 1) -> int:
    """``value`` as an ``int`` >= ``minimum``, or a :class:`CourseError` naming ``name``.

    A float with no fractional part (``224.0``) is accepted and becomes ``224``:
    its meaning is not in doubt, and a slider or a division can produce one.
    Text, ``None``, ``nan``, ``True``/``False`` and fractions are refused.
    """
    import numbers

    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, numbers.Real) and not isinstance(value, bool):
        ok = math.isfinite(value) and float(value).is_integer()
    if ok and int(value) >= minimum:
        return int(value)
    zh_what, en_what = describe(value)
    if ok:   # a whole number, but too small
        return _raise_too_small(name, int(value), minimum)
    hint_zh = hint_en = ""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        hint_zh = f"去掉引号，写成 {value.strip()}。"
        hint_en = f" Write {value.strip()} without quotes."
    raise CourseError(
        f"{name} 必须是整数（int），例如 {example}；现在是 {zh_what}。{hint_zh}",
        f"{name} must be a whole number (int), such as {example}; got {en_what}.{hint_en}")


def _raise_too_small(name: str, value: int, minimum: int):
    if minimum == 1:
        raise CourseError(f"{name} 必须是正整数，现在是 {value}。",
                          f"{name} must be a positive integer, got {value}.")
    raise CourseError(f"{name} 至少为 {minimum}，现在是 {value}。",
                      f"{name} must be at least {minimum}, got {value}.")


class DataError(CourseError, RuntimeError):
    """The data set is missing or damaged."""


class TrainingError(CourseError, RuntimeError):
    """Training had to stop (the loss diverged, the GPU ran out of memory...)."""


def show_errors_briefly(lang: str | None = None) -> bool:
    """In IPython, print a :class:`CourseError` as one short line, no traceback.

    Returns ``True`` when a notebook kernel was found and the handler installed.
    """
    if lang is not None:
        set_lang(lang)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def _handler(shell, etype, value, tb, tb_offset=None):
        head = pick("⚠️ 出错了：", "⚠️ Problem: ")
        print(head + value.message(), flush=True)
        return None

    shell.set_custom_exc((CourseError,), _handler)
    return True


# ---------------------------------------------------------------- consoles that lack a symbol


# What a console that cannot show a symbol (a Chinese Windows console in GBK has no
# emoji) prints instead; anything else it lacks becomes "?".
SYMBOL_TEXT = {"\u26a0": "[!]", "\ufe0f": "", "\u23f9": "[stop]", "\u2705": "[ok]",
               "\u274c": "[x]", "\u2022": "*"}


def _symbols_as_text(err: UnicodeEncodeError):
    if not isinstance(err, UnicodeEncodeError):
        raise err
    bad = err.object[err.start:err.end]
    return "".join(SYMBOL_TEXT.get(ch, "?") for ch in bad), err.end


codecs.register_error("course-text", _symbols_as_text)


def console_safe(*streams) -> None:
    """Let stdout/stderr print a message whatever the console's encoding: a symbol it
    cannot show ("⚠️" on a GBK console) is written as text ("[!]") instead of raising
    UnicodeEncodeError and losing the message. Consoles that can show it are untouched."""
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding or not hasattr(stream, "reconfigure"):
            continue
        try:
            "".join(SYMBOL_TEXT).encode(encoding)
        except UnicodeEncodeError:
            try:
                stream.reconfigure(errors="course-text")
            except (ValueError, OSError):   # a stream that cannot change: leave it
                pass
        except LookupError:
            pass
