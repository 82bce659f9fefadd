"""The VGG explorer in a real browser, as a student meets it.

Starts JupyterLab from this virtual environment, opens lesson 3's English
notebook (a copy, in a temporary folder) in Debian's Chromium driven by
Playwright, runs every cell from the Run menu, then clicks a channel ratio and
moves a block slider with the keyboard, and checks that the parameter count
on screen changes to the number :func:`course_utils.explore.arch_report`
computes for the settings on screen.

Without Chromium or Playwright the test is skipped, unless ``CI`` is set: there a
missing browser is a failure, so a broken CI image cannot pass silently.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils.explore import arch_report
from course_utils.models import VGG11

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = Path("notebooks/en/03-assembling-vgg11.ipynb")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BLOCK_CHANNELS = [c for _, c in VGG11]

# The explorer tags its parts with CSS classes (see course_utils.widgets._tag).
RATIO, BLOCK, INPUT_SIZE, SUMMARY = (".vgg-explorer-ratio", ".vgg-explorer-block",
                                     ".vgg-explorer-input-size", ".vgg-explorer-summary")


def _missing() -> str | None:
    """Why this machine cannot run the test, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-test.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or `make browser`)"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    reason = _missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI is set but the real-browser test cannot run: {reason}")
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_notebook(root: Path) -> Path:
    """Lesson 3 without stored outputs: stale widget views must not be found first."""
    nb = json.loads((ROOT / NOTEBOOK).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb["metadata"].pop("widgets", None)
    target = root / NOTEBOOK
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def lab(browser_ready, tmp_path_factory):
    """A JupyterLab server on a free local port with a random token; always stopped."""
    if not (ROOT / NOTEBOOK).exists():
        pytest.fail(f"{NOTEBOOK} is missing: the browser test drives the explorer in it")
    root = tmp_path_factory.mktemp("lab")
    _copy_notebook(root)
    # no "get Jupyter news?" toast over the page (and no attempt to reach the internet)
    settings = root / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ,
           # a private config, runtime and workspace: no user setting changes the page
           "JUPYTER_CONFIG_DIR": str(root / ".config"), "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if getattr(os, "geteuid", lambda: -1)() == 0:
        cmd.append("--allow-root")      # jupyter refuses to run as root without it
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(server, f"{base}/api/status?token={token}", log_path)
        yield {"base": base, "token": token, "log": log_path}
    finally:
        _stop(server, base, token)


def _wait_for_server(server, url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"jupyter lab did not answer in {timeout} s:\n{log_path.read_text()[-3000:]}")


def _stop(server: subprocess.Popen, base: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then make sure it is gone."""
    if server.poll() is None:
        try:
            request = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                             headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(request, timeout=5).close()
        except OSError:
            pass
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


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


def test_ratio_and_block_sliders_in_a_real_browser(lab):
    from playwright.sync_api import expect, sync_playwright

    start = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab['base']}/lab/tree/{NOTEBOOK.as_posix()}?reset&token={lab['token']}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=30_000)
            # Run All before the kernel has said "idle" opens a kernel chooser instead
            expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
                re.compile(r"\| Idle"), timeout=30_000)

            # Run ▸ Run All Cells, from the menu as a student would
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item[data-command='runmenu:run-all'], "   # JupyterLab 4
                         ".lm-Menu-item[data-command='notebook:run-all-cells']").first.click()

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
            browser.close()
    # about 20 s here (most of it the kernel importing torch); far more means something hangs
    assert time.monotonic() - start < 90, "the browser test took over 90 s"
