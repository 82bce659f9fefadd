"""The VGG explorer in a real browser, as a student meets it.

Starts JupyterLab exactly as ``make lab`` does (see :mod:`tests.test_lab`: the
course's launcher, its token, a user config that tries to empty the token), opens
lesson 3's real English notebook in Debian's Chromium driven by Playwright, clears
the stored outputs in the page, runs every cell from the Run menu, then clicks a
channel ratio and moves a block slider with the keyboard, and checks that the
parameter count on screen changes to the number
:func:`course_utils.explore.arch_report` computes for the settings on screen.
Nothing is saved: autosave is off, the page is closed without saving, and the
notebook file is compared byte for byte before and after.

Without Chromium or Playwright the test is skipped, unless ``CI`` is set: there a
missing browser is a failure, so a broken CI image cannot pass silently.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from course_utils.explore import arch_report
from course_utils.models import VGG11
from tests.test_lab import ROOT, course_lab, digests, launch_chromium, need_browser

NOTEBOOK = Path("notebooks/en/03-assembling-vgg11.ipynb")
BLOCK_CHANNELS = [c for _, c in VGG11]

# The explorer tags its parts with CSS classes (see course_utils.widgets._tag).
RATIO, BLOCK, INPUT_SIZE, SUMMARY = (".vgg-explorer-ratio", ".vgg-explorer-block",
                                     ".vgg-explorer-input-size", ".vgg-explorer-summary")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``make lab``'s own server on a free local port; always stopped."""
    need_browser()
    if not (ROOT / NOTEBOOK).exists():
        pytest.fail(f"{NOTEBOOK} is missing: the browser test drives the explorer in it")
    with course_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


# ------------------------------------------------------------------ what a person sees


def _on_screen(explorer) -> dict:
    """The explorer's settings as the page shows them."""
    readouts = explorer.locator(f"{BLOCK} .widget-readout")
    return {"convs": [int(readouts.nth(i).inner_text()) for i in range(len(BLOCK_CHANNELS))],
            "ratio": int(explorer.locator(f"{RATIO} button.mod-active").inner_text()),
            "size": int(explorer.locator(f"{INPUT_SIZE} .widget-readout").inner_text())}


def _expected_params(shown: dict) -> str:
    arch = [(n, c) for n, c in zip(shown["convs"], BLOCK_CHANNELS) if n > 0]
    return f"{arch_report(arch, shown['ratio'], shown['size']).total_params:,}"


def _problems(page) -> str:
    """Error outputs on the page, for a failure message."""
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return "\n".join(errors.all_inner_texts())[-2000:]


def _drive(explorer, summary) -> None:
    """Click a ratio, move a slider, and each time read the count a person sees."""
    from playwright.sync_api import expect

    shown = _on_screen(explorer)
    assert shown == {"convs": [1, 1, 2, 2, 2], "ratio": 1, "size": 224}, "not the lesson's VGG-11"
    before = _expected_params(shown)
    expect(summary).to_contain_text(before)                        # 128,806,154

    # the ratio: one click on the button labelled 4
    explorer.locator(f"{RATIO} button", has_text=re.compile(r"^4$")).click()
    expect(explorer.locator(f"{RATIO} button.mod-active")).to_have_text("4")
    shown = _on_screen(explorer)
    after = _expected_params(shown)
    assert shown["ratio"] == 4 and after != before
    expect(summary).to_contain_text(after)                         # 43,093,322

    # a block slider: focus block 1's handle, one step right (1 -> 2 convs)
    handle = explorer.locator(f"{BLOCK} .noUi-handle").first
    handle.click()
    handle.press("ArrowRight")
    expect(explorer.locator(f"{BLOCK} .widget-readout").first).to_have_text("2")
    shown = _on_screen(explorer)
    assert shown["convs"][0] == 2
    expect(summary).to_contain_text(_expected_params(shown))       # 43,095,642


def _menu(page, title: str, *commands: str) -> None:
    """Click a menu bar item, then the entry for the first command that exists."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{title}$")).click()
    page.locator(", ".join(f".lm-Menu-item[data-command='{c}']" for c in commands)).first.click()


def open_and_run_all(browser, lab, notebook: Path):
    """A real lesson opened in the lab, its stored outputs cleared in the page (the stored
    widget views must not be found before the live ones), then Run ▸ Run All Cells from
    the menu, as a student would. Returns the page."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{lab['base']}/lab/tree/{notebook.as_posix()}?reset&token={lab['token']}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
    # Run All before the kernel has said "idle" opens a kernel chooser instead
    expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
        re.compile(r"\| Idle"), timeout=30_000)
    _menu(page, "Edit", "editmenu:clear-all", "notebook:clear-all-cell-outputs")
    expect(page.locator(".jp-Notebook .jp-OutputArea-output")).to_have_count(0)
    _menu(page, "Run", "runmenu:run-all", "notebook:run-all-cells")
    return page


def test_ratio_and_block_sliders_in_a_real_browser(lab):
    from playwright.sync_api import expect, sync_playwright

    start = time.monotonic()
    before = digests([NOTEBOOK])
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = open_and_run_all(browser, lab, NOTEBOOK)

            explorer = page.locator(".vgg-explorer").first
            summary = explorer.locator(f"{SUMMARY} .widget-html-content")
            try:
                expect(summary).to_contain_text("Parameters", timeout=45_000)
                _drive(explorer, summary)
            except Exception as err:  # an assertion or a Playwright timeout: keep a picture
                shot = lab["log"].with_name("failure.png")
                page.screenshot(path=str(shot), full_page=True)
                pytest.fail(f"{err}\n(screenshot: {shot}; errors on the page: {_problems(page)!r})")
        finally:
            browser.close()      # closed without saving
    assert digests([NOTEBOOK]) == before, "the notebook file changed: the browser must not save"
    # about 20 s here (most of it the kernel importing torch); far more means something hangs
    assert time.monotonic() - start < 90, "the browser test took over 90 s"
