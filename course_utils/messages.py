"""The course speaks two languages: one switch, and errors that carry both.

Every error a student can cause (an impossible slider setting, a missing data set,
a diverging learning rate) is a :class:`CourseError`. It holds its message in 中文
and English and prints the one chosen with :func:`set_lang`, so the notebook can
show one short sentence in its own language instead of a traceback.
"""

from __future__ import annotations

import os

LANGS = ("zh", "en")
_lang = os.environ.get("COURSE_LANG", "en") if os.environ.get("COURSE_LANG") in LANGS else "en"


def set_lang(lang: str) -> str:
    """Choose the language of messages, labels and widgets ("zh" or "en")."""
    global _lang
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    _lang = lang
    return _lang


def get_lang(lang: str | None = None) -> str:
    """The language to use: ``lang`` when given, else the one set last."""
    if lang is None:
        return _lang
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def pick(zh: str, en: str, lang: str | None = None) -> str:
    """Return the text in the chosen language."""
    return zh if get_lang(lang) == "zh" else en


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
        return self.message()


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
