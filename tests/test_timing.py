"""The class plan adds up: read from the speaker notes, the same in both languages,
the core path within one 90-minute class, and the README showing exactly that plan."""

import json

import pytest

from course_utils import timing
from course_utils.cells import source_of as text_of

LANGS = ("zh", "en")


def test_every_notes_cell_states_its_minutes_and_the_languages_agree():
    for en, zh in zip(timing.lessons("en"), timing.lessons("zh")):
        assert en.name == zh.name
        en_topics, zh_topics = timing.lesson_topics(en), timing.lesson_topics(zh)
        assert en_topics, f"{en.name}: no speaker notes"
        assert [(t.minutes, t.optional) for t in en_topics] == \
               [(t.minutes, t.optional) for t in zh_topics], en.name


@pytest.mark.parametrize("lang", LANGS)
def test_the_core_path_fits_one_class(lang):
    core = timing.core_minutes(lang=lang)
    assert 60 <= core <= timing.CLASS_MINUTES, f"core path {core} min"


def test_readme_shows_the_plan_the_notes_give():
    readme = timing.README.read_text(encoding="utf-8")
    assert timing.readme_block() in readme, "run: python -m course_utils.timing --readme"


@pytest.mark.parametrize("lang", LANGS)
def test_optional_topics_are_tagged_for_the_decks(lang):
    for path in timing.lessons(lang):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        slide = None
        for cell in cells:
            kind = timing.slide_type(cell)
            if kind == "slide":
                slide = cell
            elif kind == "notes":
                _, optional = timing.read_head(text_of(cell), lang)
                tagged = timing.OPTIONAL_TAG in slide.get("metadata", {}).get("tags", [])
                assert tagged == optional, (path.name, timing.heading_text(text_of(slide)))


def test_a_notes_cell_without_minutes_is_refused_in_the_lessons_language(tmp_path):
    with pytest.raises(timing.TimingError) as err:
        timing.read_head("**讲者备注（约 3 分钟）：** 正文", "zh", "zh/01.ipynb, cell 3")
    assert "必讲" in err.value.zh and "core" in err.value.en
    with pytest.raises(timing.TimingError):
        timing.read_head("**Speaker notes · core · 0 min**", "en")
    assert timing.read_head("**Speaker notes · optional · 4 min:** text", "en") == (4, True)
    assert timing.read_head("**讲者备注 · 开场 · 必讲 · 2 分钟**", "zh") == (2, False)


@pytest.mark.parametrize("lang", LANGS)
def test_notes_sit_on_their_topics_first_slide_before_any_solution(lang):
    """The speaker view shows a topic's notes while its first slide is up: no sub-slide
    (where an answer may already be on screen) and no solution comes between."""
    from course_utils.cells import is_solution

    for path in timing.lessons(lang):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        since_slide = []
        for cell in cells:
            kind = timing.slide_type(cell)
            if kind == "slide":
                since_slide = []
            elif kind == "notes":
                moved = [c for c in since_slide if timing.slide_type(c) == "subslide"
                         or is_solution(c)]
                assert not moved, (path.name, text_of(cell).splitlines()[0])
                continue
            since_slide.append(cell)
