"""The class plan, read from the speaker notes: what fits in 90 minutes, what is optional.

Every speaker-notes cell opens with one fixed line that states its topic's minutes and
whether the topic belongs to the core path or is optional::

    **Speaker notes · opening · core · 2 min**
    **讲者备注 · 开场 · 必讲 · 2 分钟**
    **Speaker notes · optional · 3 min:** text goes on here ...
    **讲者备注 · 选讲 · 3 分钟**：正文接在后面……

A topic is a slide (``slide_type == "slide"``) and its sub-slides; its notes cell sits
right after the slide's first cell, so the speaker view shows it on the topic's first
slide. Optional topics also carry the cell tag ``optional`` (notes cell and slide
cell), which the decks show as a small badge.

``python -m course_utils.timing`` prints the plan; ``--readme`` rewrites the README's
plan table (between ``<!-- timing:start -->`` and ``<!-- timing:end -->``), so the
README can never disagree with the notes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .cells import slide_type, source_of
from .messages import CourseError

from .paths import NOTEBOOKS_DIR, README
CLASS_MINUTES = 90
OPTIONAL_TAG = "optional"
README_START, README_END = "<!-- timing:start -->", "<!-- timing:end -->"

NOTES_HEAD = re.compile(
    r"^\*\*(?P<who>Speaker notes|讲者备注)(?: · (?P<topic>[^*·]+?))?"
    r" · (?P<kind>core|optional|必讲|选讲) · (?P<minutes>\d+) (?P<unit>min|分钟)[:：]?\*\*")
KINDS = {"en": ("core", "optional"), "zh": ("必讲", "选讲")}
UNITS = {"en": ("Speaker notes", "min"), "zh": ("讲者备注", "分钟")}


class TimingError(CourseError):
    """A notes cell whose first line the plan cannot read."""


@dataclass(frozen=True)
class Topic:
    heading: str          # the slide's title, as the lesson shows it
    minutes: int
    optional: bool


def read_head(source: str, lang: str, where: str = "") -> tuple[int, bool]:
    """(minutes, optional) from a notes cell's first line, in the notebook's language."""
    match = NOTES_HEAD.match(source)
    core, optional = KINDS[lang]
    who, unit = UNITS[lang]
    ok = (match and match["who"] == who and match["unit"] == unit
          and match["kind"] in (core, optional) and int(match["minutes"]) > 0)
    if not ok:
        first = source.splitlines()[0] if source else ""
        raise TimingError(
            f"{where}：讲者备注的第一行要写成“**讲者备注 · 必讲 · 3 分钟**”或"
            f"“**讲者备注 · 主题 · 选讲 · 3 分钟**”，现在是：{first[:80]}",
            f"{where}: a speaker-notes cell must start with \"**Speaker notes · core · "
            f"3 min**\" or \"**Speaker notes · topic · optional · 3 min**\", got: {first[:80]}")
    return int(match["minutes"]), match["kind"] == optional


def heading_text(source: str) -> str:
    """A slide's title: its first heading line, without the ``#`` marks."""
    for line in source.splitlines():
        if line.lstrip().startswith("#"):
            return line.lstrip("# ").strip()
    return source.strip().splitlines()[0] if source.strip() else ""


def lesson_lang(path: Path) -> str:
    return path.parent.name


def lesson_topics(path: Path) -> list[Topic]:
    """Every slide that has speaker notes, with its minutes, in lesson order."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    lang = lesson_lang(Path(path))
    topics, heading = [], None
    for number, cell in enumerate(cells):
        kind = slide_type(cell)
        if kind == "slide":
            heading = heading_text(source_of(cell))
        elif kind == "notes":
            minutes, optional = read_head(source_of(cell), lang,
                                          f"{Path(path).parent.name}/{Path(path).name}, "
                                          f"cell {number}")
            topics.append(Topic(heading or "", minutes, optional))
    return topics


def lesson_title(path: Path) -> str:
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return heading_text(source_of(cells[0]))


def lessons(lang: str, root: Path = NOTEBOOKS_DIR) -> list[Path]:
    return sorted((Path(root) / lang).glob("*.ipynb"))


def minutes(topics: list[Topic], optional: bool) -> int:
    return sum(t.minutes for t in topics if t.optional == optional)


def core_minutes(root: Path = NOTEBOOKS_DIR, lang: str = "en") -> int:
    """The whole core path, every lesson, in minutes."""
    return sum(minutes(lesson_topics(p), False) for p in lessons(lang, root))


def readme_block(root: Path = NOTEBOOKS_DIR) -> str:
    """The README's plan table, computed from the notes of both languages."""
    rows = []
    for en, zh in zip(lessons("en", root), lessons("zh", root)):
        en_topics, zh_topics = lesson_topics(en), lesson_topics(zh)
        skipped = [f"{e.heading} / {z.heading}"
                   for e, z in zip(en_topics, zh_topics) if e.optional]
        rows.append(f"| {en.name[:2]} | {lesson_title(zh)} · {lesson_title(en)} "
                    f"| {minutes(en_topics, False)} | {minutes(en_topics, True)} "
                    f"| {'; '.join(skipped) or '—'} |")
    core = core_minutes(root, "en")
    extra = sum(minutes(lesson_topics(p), True) for p in lessons("en", root))
    return "\n".join([
        README_START,
        "| | 课 · lesson | 必讲 · core (min) | 选讲 · optional (min) | 选讲的主题 · optional topics |",
        "|---|---|---|---|---|",
        *rows,
        f"| | 合计 · total | **{core}** | {extra} | |",
        "",
        f"由讲者备注生成（`python -m course_utils.timing --readme`）：必讲部分共 {core} 分钟，"
        f"选讲部分另需 {extra} 分钟，在备注和幻灯片上标为“选讲”。",
        f"Made from the speaker notes (`python -m course_utils.timing --readme`): the core "
        f"path takes {core} minutes; optional topics, {extra} more, are marked "
        "\"optional\" in the notes and on the slides.",
        README_END,
    ])


def write_readme(readme: Path = README, root: Path = NOTEBOOKS_DIR) -> bool:
    """Put the plan between the markers; True when the README changed."""
    text = Path(readme).read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise TimingError(f"{readme} 里没有 {README_START} … {README_END} 这两行标记。",
                          f"{readme} has no {README_START} … {README_END} markers.")
    new = text[:start] + readme_block(root) + text[end + len(README_END):]
    if new != text:
        Path(readme).write_text(new, encoding="utf-8")
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.timing",
                                     description="The class plan, from the speaker notes.")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's plan table")
    args = parser.parse_args(argv)
    try:
        if args.readme:
            print("README.md " + ("updated" if write_readme() else "already up to date"))
        else:
            print(readme_block())
    except CourseError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
