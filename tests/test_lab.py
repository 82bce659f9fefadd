"""``make lab`` as a student meets it: a token that no user config can remove, and
every figure of every real lesson loading in a real browser.

The server is started the way ``make lab`` starts it (``python -m course_utils.lab``,
the same launcher and command), on a free 127.0.0.1 port, with a private Jupyter
config folder holding a ``jupyter_server_config.py`` that sets an empty token, the
setting that used to switch authentication off. The address, token included, is
read from what the launcher prints, as a student would copy it.

The browser part opens the real notebooks under ``notebooks/zh`` and ``notebooks/en``
(not copies) in Debian's Chromium through Playwright and checks that every image in
rendered markdown has loaded (``naturalWidth > 0``). Nothing is saved from the
browser: autosave is off in the private settings, the page is closed without saving,
and the notebook files are compared byte for byte before and after.
Without Chromium or Playwright the browser tests are skipped (a failure when ``CI``
is set); the token tests need neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# A user config that, read by a plain `jupyter lab`, serves everything to anyone.
EMPTY_TOKEN_CONFIG = "c.IdentityProvider.token = ''\nc.ServerApp.token = ''\n"
LESSONS = sorted(p.relative_to(ROOT) for p in (ROOT / "notebooks").glob("*/*.ipynb"))


# ------------------------------------------------------------------ shared with test_browser


def browser_missing() -> str | None:
    """Why this machine cannot run a real-browser test, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-test.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or `make browser`)"
    return None


def need_browser() -> None:
    reason = browser_missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI is set but the real-browser test cannot run: {reason}")
    if reason:
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_jupyter_env(home: Path, extra_config: str = "") -> dict:
    """Jupyter's config, runtime, settings and workspaces in ``home``: the empty-token
    config, no news toast, no autosave (the real notebooks must not change) and
    checkpoints kept in ``home``."""
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    # Opening a notebook makes a checkpoint copy beside it; keep those out of the tree.
    (config / "jupyter_server_config.py").write_text(
        EMPTY_TOKEN_CONFIG + f"c.FileCheckpoints.checkpoint_dir = {str(home / 'checkpoints')!r}\n"
        + extra_config)
    settings = home / "settings" / "@jupyterlab"
    for plugin, name, value in (
            ("apputils-extension", "notification", {"fetchNews": "false"}),
            ("docmanager-extension", "plugin", {"autosave": False})):
        (settings / plugin).mkdir(parents=True, exist_ok=True)
        (settings / plugin / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
    return {**os.environ,
            "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@contextmanager
def course_lab(home: Path, port: int | None = None, extra_config: str = "",
               extra_env: dict | None = None):
    """``make lab``'s own launcher; yields base URL, token, log path, port, the printed
    address and the server process."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "lab.log"
    # What the Makefile's `lab` recipe runs, plus --no-browser (no desktop here) and
    # without the data check (the data set has tests of its own).
    cmd = [sys.executable, "-m", "course_utils.lab", "--port", str(port), "--no-browser",
           "--skip-data-check"]
    env = {**private_jupyter_env(home, extra_config), **(extra_env or {})}
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield from _until_stopped(server, log_path, port)


def _until_stopped(server, log_path: Path, port: int):
    base, token = None, None
    try:
        url, port, prefix, token = printed_address(server, log_path)
        base = f"http://127.0.0.1:{port}{prefix}"
        wait_for(server, f"{base}/api/status?token={token}", log_path)
        yield {"base": base, "token": token, "log": log_path, "port": port, "url": url,
               "server": server}
    finally:
        stop(server, base or f"http://127.0.0.1:{port}", token)


# Jupyter logs the same address with "token=..." in place of the token: not the one wanted.
ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)(/\S*?)?/lab/tree/notebooks\?token=([\w-]{20,})")


def printed_address(server, log_path: Path, timeout: float = 45):
    """``(url, port, base_url prefix, token)`` of the address the launcher prints."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ADDRESS.search(log_path.read_text(errors="replace"))
        if found:
            return found.group(0), int(found.group(1)), found.group(2) or "", found.group(3)
        if server.poll() is not None:
            pytest.fail(f"the launcher exited early:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"the launcher printed no address in {timeout} s:\n{log_path.read_text()[-3000:]}")


def wait_for(server, url: str, log_path: Path, timeout: float = 45) -> None:
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


def stop(server: subprocess.Popen, base: str, token: str | None) -> None:
    """Ask the server to shut down (it stops its kernels), then make sure it is gone."""
    if server.poll() is None and token:
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None          # a redirect to the login page is an answer, not a page


def status(url: str, headers: dict | None = None) -> int:
    """The HTTP status of a GET, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def stop_kernels(lab: dict) -> None:
    """End every kernel session the page started (the server keeps running)."""
    auth = {"Authorization": f"token {lab['token']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab['base']}/api/sessions",
                                                       headers=auth), timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(f"{lab['base']}/api/sessions/{session['id']}",
                                         method="DELETE", headers=auth)
        urllib.request.urlopen(request, timeout=10).close()


def digests(paths) -> dict:
    return {p: hashlib.sha256((ROOT / p).read_bytes()).hexdigest() for p in paths}


def launch_chromium(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ------------------------------------------------------------------ the token


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with course_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


def test_the_empty_token_config_really_disables_auth_in_plain_jupyter(tmp_path):
    """The config the tests use is the dangerous one: a plain `jupyter lab` reading
    it serves the file API to anyone (so the next test proves something)."""
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={tmp_path}"]
    if getattr(os, "geteuid", lambda: -1)() == 0:
        cmd.append("--allow-root")
    log_path = tmp_path / "plain.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd, cwd=tmp_path, env=private_jupyter_env(tmp_path / "home"),
                                  stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(server, f"{base}/api/status", log_path)
        assert status(f"{base}/api/contents") == 200
    finally:
        server.terminate()
        stop(server, base, None)


def test_make_lab_requires_its_token_whatever_the_user_config_says(lab):
    base, token = lab["base"], lab["token"]
    assert len(token) >= 32
    assert status(f"{base}/api/contents") == 403
    assert status(f"{base}/api/contents?token=wrong{token}") == 403
    assert status(f"{base}/api/contents?token={token}") == 200
    assert status(f"{base}/api/contents", {"Authorization": f"token {token}"}) == 200
    # the figures the lessons link as ../../Images/ are inside what the server shows
    assert status(f"{base}/files/Images/vgg_block.zh.svg?token={token}") == 200
    assert status(f"{base}/files/Images/vgg_block.zh.svg") in (302, 403)   # to the login page


def test_the_lab_listens_on_this_computer_only(lab):
    text = lab["log"].read_text(errors="replace")
    assert "All authentication is disabled" not in text
    with socket.socket() as s:    # the port is bound on 127.0.0.1, not on every address
        with pytest.raises(OSError):
            s.bind(("127.0.0.1", lab["port"]))


def test_a_fresh_token_each_start_and_the_command_make_lab_runs():
    from course_utils import lab as launcher

    first, second = launcher.new_token(), launcher.new_token()
    assert first != second and len(first) >= 32
    cmd = launcher.lab_command(8888, first)
    assert not any(first in arg for arg in cmd), "the token is on the command line"
    assert launcher.lab_env(first)["JUPYTER_TOKEN"] == first
    assert "--ServerApp.ip=127.0.0.1" in cmd
    assert f"--ServerApp.root_dir={ROOT}" in cmd
    assert "--LabApp.default_url=/lab/tree/notebooks" in cmd
    assert ("--allow-root" in cmd) == (getattr(os, "geteuid", lambda: -1)() == 0)
    # `make lab PORT=...` runs this launcher with that port (make -n only prints)
    dry = subprocess.run(["make", "-n", "lab", "PORT=9999"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert "-m course_utils.lab --port 9999" in dry.stdout, dry.stdout + dry.stderr


@pytest.mark.parametrize("token", ["", "   ", None])
def test_an_empty_token_is_refused(token):
    from course_utils import lab as launcher
    from course_utils.messages import CourseError

    with pytest.raises(CourseError, match="empty"):
        launcher.lab_command(8888, token)


def test_the_launcher_hands_the_token_over_in_the_environment(monkeypatch):
    """exec is replaced by a recorder: the token is in the environment, not in argv."""
    from course_utils import lab as launcher

    ran = []
    monkeypatch.setattr(launcher, "run", lambda cmd, env: ran.append((cmd, env)) or 0)
    assert launcher.main(["--port", str(free_port()), "--no-browser", "--skip-data-check"]) == 0
    cmd, env = ran[-1]
    token = env["JUPYTER_TOKEN"]
    assert len(token) >= 32 and not any(token in arg for arg in cmd)
    assert cmd[1:4] == ["-m", "course_utils.lab", "--serve"]


def _cmdlines_of_tree(pid: int) -> dict:
    """``/proc/PID/cmdline`` of ``pid`` and every process below it."""
    found, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            found[p] = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for task in Path(f"/proc/{p}/task").glob("*"):
            children = task / "children"
            if children.exists():
                todo += [int(c) for c in children.read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_the_token_is_on_no_command_line_and_the_address_fits_the_users_config(tmp_path):
    """A real `make lab` with a user config that sets a base_url, in Chinese: the address
    printed carries the base_url (no 404), the words are Chinese, and neither the
    server nor a kernel it starts has the token in its command line."""
    config = "c.ServerApp.base_url = '/course-x/'\n"
    with course_lab(tmp_path / "home", extra_config=config,
                    extra_env={"COURSE_LANG": "zh"}) as lab:
        token = lab["token"]
        assert "/course-x/lab/tree/notebooks" in lab["url"]
        assert status(lab["url"]) == 200
        assert "课程在这里打开" in lab["log"].read_text(errors="replace")
        request = urllib.request.Request(f"{lab['base']}/api/kernels", method="POST", data=b"{}",
                                         headers={"Authorization": f"token {token}"})
        urllib.request.urlopen(request, timeout=30).close()
        deadline = time.monotonic() + 30
        while len(lines := _cmdlines_of_tree(lab["server"].pid)) < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(lines) >= 2, lines                    # the server and its kernel
        assert "course_utils.lab" in lines[lab["server"].pid]
        for pid, line in lines.items():
            assert token not in line, f"the token is on the command line of {pid}: {line}"
        kernel = next(p for p in lines if p != lab["server"].pid)
        environ = Path(f"/proc/{kernel}/environ").read_bytes()
        assert token.encode() not in environ, "the kernel inherited the token"


def test_two_labs_started_at_once_on_one_port_print_two_addresses(tmp_path):
    """Both launchers find the port free, and both servers start: each prints the
    address of the port it really holds, and each address answers."""
    port = free_port()
    started = []
    for name in ("a", "b"):
        home = tmp_path / name
        home.mkdir()
        log_path = home / "lab.log"
        with open(log_path, "wb") as log:
            started.append((subprocess.Popen(
                [sys.executable, "-m", "course_utils.lab", "--port", str(port), "--no-browser",
                 "--skip-data-check"], cwd=ROOT, env=private_jupyter_env(home), stdout=log,
                stderr=subprocess.STDOUT), log_path))
    labs = [contextmanager(_until_stopped)(server, log_path, port)
            for server, log_path in started]
    try:
        first, second = (lab.__enter__() for lab in labs)
    except BaseException:
        for server, log_path in started:
            stop(server, f"http://127.0.0.1:{port}", None)
        raise
    try:
        assert first["port"] != second["port"], (first["url"], second["url"])
        for lab in (first, second):
            assert status(f"{lab['base']}/api/contents?token={lab['token']}") == 200
    finally:
        for lab in labs:
            lab.__exit__(None, None, None)


def test_missing_data_is_a_note_not_a_stop(monkeypatch, capsys):
    from course_utils import data, lab as launcher
    from course_utils.messages import DataError

    def nothing(*args, **kwargs):
        raise DataError("找不到", "not found")
    monkeypatch.setattr(data, "ensure_dataset", nothing)
    launcher._check_data()
    err = capsys.readouterr().err
    assert "lesson 4 needs it" in err or "第 4 课需要" in err


# ------------------------------------------------------------------ every figure, in a browser


def expected_images(notebook: Path) -> list[str]:
    """File names of the images the notebook's markdown links."""
    names = []
    for cell in json.loads((ROOT / notebook).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            links = re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)", text)
            links += re.findall(r"<img\b[^>]*\bsrc=[\"']([^\"']+)", text)
            names += [Path(link.split("?")[0]).name for link in links]
    return names


_SEEN_IMAGES = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell .jp-RenderedMarkdown img'))
  .map(img => [img.getAttribute('src') || '', img.complete, img.naturalWidth])"""


def loaded_images(page, expected: list[str], timeout: float = 30) -> dict:
    """Scroll through the open notebook until every linked image is in the page and has
    finished loading; returns {file name: naturalWidth}."""
    seen: dict[str, int] = {}
    scroller = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").first
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for src, complete, width in page.evaluate(_SEEN_IMAGES):
            # JupyterLab rewrites ../../Images/x.svg to /files/...; wait for the real request
            if complete and "/files/" in src:
                seen[Path(src.split("?")[0]).name] = width
        if set(expected) <= set(seen):
            break
        scroller.evaluate("el => { el.scrollTop = el.scrollTop + el.clientHeight * 0.8 }")
        time.sleep(0.3)
    return seen


def test_every_figure_loads_in_every_real_lesson(lab):
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    before = digests(LESSONS)
    results, total = {}, {"zh": 0, "en": 0}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            for notebook in LESSONS:
                expected = expected_images(notebook)
                total[notebook.parts[1]] += len(expected)
                page.goto(f"{lab['base']}/lab/tree/{notebook.as_posix()}?reset&token={lab['token']}")
                page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(
                    timeout=30_000)
                results[notebook] = (expected, loaded_images(page, expected))
                # the kernel this page started: let it settle before the next page loads
                expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
                    re.compile(r"\| Idle"), timeout=30_000)
        finally:
            browser.close()             # closed without saving
    stop_kernels(lab)                   # ten idle kernels would only load the CPU
    for notebook, (expected, seen) in results.items():
        missing = [name for name in expected if seen.get(name, 0) <= 0]
        assert not missing, f"{notebook}: images not loaded in the lab: {missing} (seen {seen})"
    assert total["zh"] > 0 and total["zh"] == total["en"], total
    log = lab["log"].read_text(errors="replace")
    assert not re.search(r"\b404 GET /files/", log), "the server answered 404 for a file"
    assert digests(LESSONS) == before, "a notebook file changed: the browser must not save"
