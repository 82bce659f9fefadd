"""A Chinese student's JupyterLab speaks Chinese: menus and dialogs, not only the lessons.

Starts `make lab`'s own launcher twice, in a zh and an en locale, opens the lab in
Debian's Chromium and reads the menu bar a person sees."""

import pytest

from tests.test_lab import course_lab, launch_chromium, need_browser

MENUS = {"zh": ["文件", "编辑", "运行"], "en": ["File", "Edit", "Run"]}


@pytest.mark.parametrize("lang, locale", [("zh", "zh_CN.UTF-8"), ("en", "en_US.UTF-8")])
def test_the_labs_menus_speak_the_students_language(lang, locale, tmp_path):
    from playwright.sync_api import sync_playwright

    need_browser()
    env = {"LANG": locale, "LC_ALL": locale, "VGG_COURSE_CACHE": str(tmp_path / "cache")}
    with course_lab(tmp_path / "home", extra_env=env) as lab, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{lab['base']}/lab?token={lab['token']}")
            bar = page.locator(".lm-MenuBar-item")
            bar.first.wait_for(timeout=60_000)
            shown = bar.all_inner_texts()
        finally:
            browser.close()
    assert all(menu in shown for menu in MENUS[lang]), shown
