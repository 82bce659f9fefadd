"""What VGG sees, in a real browser: lesson 4's real notebook through `make lab`'s own
server, run from the Run menu (smoke profile), then a block button clicked and a new
test image chosen; each time the picture and the sentence under the buttons change."""

import re
import time
from pathlib import Path

import pytest

from tests.test_browser import _menu, _problems, open_and_run_all
from tests.test_lab import course_lab, digests, launch_chromium, need_browser

NOTEBOOK = Path("notebooks/en/04-training.ipynb")


def test_the_feature_map_viewer_answers_clicks(tmp_path, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    need_browser()
    monkeypatch.setenv("COURSE_PROFILE", "smoke")     # the kernel trains on a slice
    before = digests([NOTEBOOK])
    start = time.monotonic()
    with course_lab(tmp_path / "home", extra_env={"COURSE_PROFILE": "smoke"}) as lab, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = open_and_run_all(browser, lab, NOTEBOOK)
            viewer = page.locator(".vgg-sees").first
            note = viewer.locator(".vgg-sees-note .widget-html-content")
            try:
                expect(note).to_contain_text("Block 1", timeout=150_000)
                # the experiments after it keep the kernel busy: stop them (Kernel menu)
                _menu(page, "Kernel", "kernelmenu:interrupt")
                picture = viewer.locator(".vgg-sees-picture").first
                first = picture.get_attribute("src")
                viewer.locator(".vgg-sees-block button", has_text=re.compile(r"^3$")).click()
                expect(note).to_contain_text("Block 3", timeout=30_000)
                expect(picture).not_to_have_attribute("src", first, timeout=30_000)
                third = picture.get_attribute("src")
                handle = viewer.locator(".vgg-sees-image .noUi-handle").first
                handle.click()
                handle.press("ArrowRight")
                expect(viewer.locator(".vgg-sees-image .widget-readout")).to_have_text("1")
                expect(picture).not_to_have_attribute("src", third, timeout=30_000)
            except Exception as err:
                shot = tmp_path / "failure.png"
                page.screenshot(path=str(shot), full_page=True)
                pytest.fail(f"{err}\n(screenshot: {shot}; errors on the page: {_problems(page)!r})")
        finally:
            browser.close()
    assert digests([NOTEBOOK]) == before, "the notebook file changed: the browser must not save"
    assert time.monotonic() - start < 240
