"""Presenting live from JupyterLab: RISE (jupyterlab-rise) turns a real lesson into
slides through `make lab`'s own server; the class sees neither the speaker notes
(they go to the speaker view) nor any test marker."""

import pytest

from tests.test_lab import course_lab, launch_chromium, need_browser

LESSON = "notebooks/{lang}/02-vgg-block.ipynb"
NOTES = {"zh": "讲者备注", "en": "Speaker notes"}
TITLE = {"zh": "第 2 课：VGG 块", "en": "Lesson 2: the VGG block"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rise_presents_a_lesson_without_notes_or_markers(lang, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    need_browser()
    with course_lab(tmp_path / "home") as lab, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{lab['base']}/rise/{LESSON.format(lang=lang)}?token={lab['token']}")
            slides = page.locator(".reveal .slides > section")
            expect(slides.first).to_contain_text(TITLE[lang], timeout=60_000)
            assert slides.count() >= 5
            # the notes are in the deck, for the speaker view (S), but nowhere on screen
            notes = page.locator(".reveal aside.notes")
            assert notes.count() >= 3
            assert NOTES[lang] in notes.first.inner_text() or NOTES[lang] in notes.first.text_content()
            assert not page.get_by_text(NOTES[lang]).first.is_visible()
            html = page.content()
            assert "NBVAL" not in html and "BEGIN SOLUTION" not in html
        finally:
            browser.close()
