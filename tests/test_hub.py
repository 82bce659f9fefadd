"""The class hub (hub/jupyterhub_config.py) for real: JupyterHub and its npm proxy on a
free local port, three students logging in, each getting the student edition in their
home through an nbgitpuller link, one of them in Chromium running a lesson's cells.

The hub runs in its test mode (shared password, every server as this user, homes in a
temporary folder); the class mode's systemd spawner needs root and systemd. What the
test needs is installed when missing (requirements-hub.txt, `npm ci` in hub/); without
npm it is skipped, saying why. Everything it starts, it stops.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.test_lab import free_port, launch_chromium, need_browser

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"
PASSWORD = "class-password-1"
STUDENTS = ("alice", "bob", "carol")
LESSON = "en/02-vgg-block.ipynb"
TARGET = "vgg-course"                  # the folder the link makes in each home
MENUS = {"zh": ["文件", "编辑", "运行"], "en": ["File", "Edit", "Run"]}   # the lab's menu bar


def need_hub_tools() -> None:
    """Install what the hub needs if it is missing; skip only without npm."""
    if not shutil.which("npm"):
        print("npm is not installed: the hub's proxy (configurable-http-proxy) cannot be set up")
        pytest.skip("npm is not installed: the hub's proxy (configurable-http-proxy) comes from npm")
    if not (HUB / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HUB, check=True,
                       capture_output=True, timeout=300)
    try:
        import jupyterhub  # noqa: F401
        import nbgitpuller  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "requirements-hub.txt")], check=True, timeout=600)


def git(*args, cwd):
    env = dict(os.environ, GIT_AUTHOR_NAME="Course", GIT_AUTHOR_EMAIL="course@example.org",
               GIT_COMMITTER_NAME="Course", GIT_COMMITTER_EMAIL="course@example.org")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def edition_repo(tmp_path_factory):
    """The student edition in a local git repository, as an instructor publishes it."""
    from course_utils import student

    repo = tmp_path_factory.mktemp("edition")
    student.build(repo)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "Student edition", cwd=repo)
    return repo


@contextmanager
def running_hub(state: Path, environ: dict | None = None, **settings):
    ports = {name: free_port() for name in ("PORT", "API_PORT", "PROXY_API_PORT")}
    env = dict(os.environ, **(environ or {}), COURSE_HUB_MODE="test", COURSE_HUB_PASSWORD=PASSWORD,
               COURSE_HUB_STATE=str(state), COURSE_HUB_PROFILE="smoke",
               **{f"COURSE_HUB_{k}": str(v) for k, v in {**ports, **settings}.items()},
               # the single-user servers import this checkout's course_utils
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    log = state / "hub.log"
    state.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HUB / "jupyterhub_config.py")],
                                cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{ports['PORT']}"
    try:
        import requests

        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the hub stopped:\n{log.read_text()[-3000:]}"
            try:
                if requests.get(f"{base}/hub/login", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"the hub did not answer:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        yield {"base": base, "log": log, "homes": state / "homes"}
    finally:
        # SIGTERM lets the hub stop the students' servers and its proxy itself.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# The module's hub is an English class whatever this machine's locale says.
ENGLISH = {"COURSE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    need_hub_tools()
    with running_hub(tmp_path_factory.mktemp("hub"), environ=ENGLISH) as server:
        yield server


def log_in(base: str, name: str, password: str, **kwargs):
    import requests

    session = requests.Session()
    session.get(f"{base}/hub/login", timeout=10)
    reply = session.post(f"{base}/hub/login", timeout=120, data={
        "username": name, "password": password, "_xsrf": session.cookies.get("_xsrf", "")}, **kwargs)
    return session, reply


def sign_up(base: str, name: str, password: str):
    import requests

    session = requests.Session()
    session.get(f"{base}/hub/signup", timeout=10)
    return session.post(f"{base}/hub/signup", timeout=30, data={
        "username": name, "signup_password": password, "signup_password_confirmation": password,
        "_xsrf": session.cookies.get("_xsrf", "")})


def wait_for_server(session, base: str, name: str, log: Path) -> None:
    start = time.monotonic()
    while True:
        server = session.get(f"{base}/hub/api/user", timeout=10).json().get("servers", {}).get("")
        if server and server.get("ready"):
            break
        waited = time.monotonic() - start
        # no server after 15 s means the spawn failed; a slow start may take 2 minutes
        assert (server or waited < 15) and waited < 120, \
            f"{name}'s server did not start:\n{log.read_text()[-3000:]}"
        time.sleep(1)
    # the first visit to the server makes its login cookie (OAuth through the hub)
    lab = session.get(f"{base}/user/{name}/lab", timeout=60)
    assert lab.status_code == 200 and lab.url.endswith(f"/user/{name}/lab"), lab.url


def pull_link(repo: Path, urlpath: str | None = None) -> str:
    query = {"repo": repo.as_uri(), "branch": "main", "targetpath": TARGET}
    if urlpath:
        query["urlpath"] = urlpath
    return f"git-pull?{urlencode(query)}"


def test_a_wrong_password_is_refused_in_both_languages(hub):
    session, reply = log_in(hub["base"], "alice", "not-the-password")
    assert reply.status_code == 403
    page = reply.content.decode("utf-8")        # the page says utf-8 in a meta tag only
    assert "用户名或密码不对" in page and "Invalid username or password" in page
    assert session.get(f"{hub['base']}/hub/api/user", timeout=10).status_code in (401, 403)


def test_students_log_in_and_the_link_puts_the_course_in_each_home(hub, edition_repo):
    base = hub["base"]
    for name in STUDENTS:
        session, reply = log_in(base, name, PASSWORD)
        assert reply.ok, reply.status_code
        wait_for_server(session, base, name, hub["log"])
        # what the link's page does in the browser: nbgitpuller's event stream, to the end
        with session.get(f"{base}/user/{name}/{pull_link(edition_repo).replace('git-pull?', 'git-pull/api?')}",
                         stream=True, timeout=120) as events:
            phases = [json.loads(line[5:]).get("phase") for line in events.iter_lines(decode_unicode=True)
                      if line and line.startswith("data:")]
        assert phases and phases[-1] == "finished", phases
        home = hub["homes"] / name / TARGET
        assert sorted(p.name for p in (home / "en").glob("*.ipynb")) == \
            sorted(p.name for p in (edition_repo / "en").glob("*.ipynb"))
    # three servers, three processes, three homes
    assert sorted(p.name for p in hub["homes"].iterdir()) == sorted(STUDENTS)


def pull(session, base: str, name: str, repo: Path) -> list:
    """Click the link: nbgitpuller's event stream, to the end; its phases."""
    with session.get(f"{base}/user/{name}/{pull_link(repo).replace('git-pull?', 'git-pull/api?')}",
                     stream=True, timeout=120) as events:
        return [json.loads(line[5:]).get("phase") for line in events.iter_lines(decode_unicode=True)
                if line and line.startswith("data:")]


def test_the_link_brings_back_a_deleted_course_and_keeps_a_students_work(hub, edition_repo):
    import shutil

    base, name = hub["base"], STUDENTS[0]
    session, reply = log_in(base, name, PASSWORD)
    assert reply.ok
    wait_for_server(session, base, name, hub["log"])
    home = hub["homes"] / name / TARGET
    assert pull(session, base, name, edition_repo)[-1] == "finished"
    mine = home / "en" / "02-vgg-block.ipynb"
    mine.write_text(mine.read_text(encoding="utf-8").replace("Lesson 2", "Lesson 2 (my notes)"),
                    encoding="utf-8")
    assert pull(session, base, name, edition_repo)[-1] == "finished"
    assert "(my notes)" in mine.read_text(encoding="utf-8")      # a re-pull merges, never overwrites
    shutil.rmtree(home)                                          # the student deletes the course...
    assert pull(session, base, name, edition_repo)[-1] == "finished"
    assert sorted(p.name for p in (home / "en").glob("*.ipynb")) == \
        sorted(p.name for p in (edition_repo / "en").glob("*.ipynb"))   # ...and one click brings it back


def open_lab_and_read_menus(page, base: str, name: str) -> list[str]:
    """Log in through the hub's page as ``name``; the lab's menu bar, once it is drawn."""
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=120_000)
    bar = page.locator(".lm-MenuBar-item")
    bar.first.wait_for(timeout=60_000)
    return bar.all_inner_texts()


def test_a_student_opens_a_lesson_through_the_hub_and_runs_it(hub, edition_repo):
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    base, name = hub["base"], "dana"
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            shown = open_lab_and_read_menus(page, base, name)
            # an English class's lab speaks English (a Chinese one: the test below)
            assert all(menu in shown for menu in MENUS["en"]), shown
            assert not (hub["homes"].parent / "lab-settings-zh").exists()
            # the link an instructor hands out: clone, then open the lesson in JupyterLab
            page.goto(f"{base}/hub/user-redirect/{pull_link(edition_repo, f'lab/tree/{TARGET}/{LESSON}')}")
            page.wait_for_url(re.compile(r"/lab/tree/"), timeout=120_000)
            page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
            expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
                re.compile(r"\| Idle"), timeout=60_000)
            # the install cell (silent: the course is installed) and the language cell
            page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            page.keyboard.press("Shift+Enter")
            second = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
            expect(second.locator(".jp-InputPrompt")).to_contain_text("[2]", timeout=60_000)
            expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
                re.compile(r"\| Idle"), timeout=60_000)
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, errors.all_inner_texts()
        finally:
            browser.close()
    assert (hub["homes"] / name / TARGET / LESSON).is_file()


def lab_menus(base: str, name: str) -> list[str]:
    """Log in as ``name`` in Chromium and read the lab's menu bar as the student sees it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            return open_lab_and_read_menus(browser.new_page(viewport={"width": 1280, "height": 800}),
                                           base, name)
        finally:
            browser.close()


@pytest.mark.parametrize("lang, environ", [
    ("zh", {"COURSE_LANG": "zh"}),
    # no COURSE_LANG: the hub's locale decides, as for `make lab`
    ("zh", {"COURSE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}),
], ids=["COURSE_LANG=zh", "LANG=zh_CN"])
def test_a_chinese_class_gets_a_chinese_lab(lang, environ, tmp_path):
    """The lab's own menus speak the class's language, through the hub, in Chromium."""
    need_hub_tools()
    need_browser()
    with running_hub(tmp_path / "hub", environ=environ) as server:
        shown = lab_menus(server["base"], "mei")
        settings = tmp_path / "hub" / "lab-settings-zh" / "overrides.json"
        assert settings.is_file() == (lang == "zh")
    assert all(menu in shown for menu in MENUS[lang]), shown


def test_a_wrong_course_lang_stops_the_hub_in_both_languages(tmp_path):
    need_hub_tools()
    env = dict(os.environ, COURSE_HUB_MODE="test", COURSE_HUB_PASSWORD=PASSWORD,
               COURSE_HUB_STATE=str(tmp_path), COURSE_LANG="fr")
    done = subprocess.run([sys.executable, "-m", "jupyterhub", "-f", str(HUB / "jupyterhub_config.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "COURSE_LANG" in said and "fr" in said
    assert re.search(r"[\u4e00-\u9fff]", said), said
    assert "Traceback" not in said, said[-2000:]


def test_the_class_login_signs_up_waits_for_the_instructor_and_speaks_both_languages(tmp_path):
    """The class's authenticator (NativeAuthenticator) on the test spawner."""
    need_hub_tools()
    student, teacher, password = "erin", "instructor", "a-long-passphrase-9"
    with running_hub(tmp_path / "native", AUTH="native", ADMINS=teacher) as hub:
        base = hub["base"]
        assert sign_up(base, student, password).ok and sign_up(base, teacher, password).ok
        _, wrong = log_in(base, student, "not-the-password")
        page = wrong.content.decode("utf-8")
        assert "用户名或密码不对" in page and "Invalid username or password" in page
        _, early = log_in(base, student, password)
        page = early.content.decode("utf-8")
        assert "老师还没有批准" in page and "has not been authorized" in page
        # the instructor approves the student on /hub/authorize; then the student gets in
        instructor, reply = log_in(base, teacher, password)
        assert reply.ok
        assert instructor.get(f"{base}/hub/authorize/{student}", timeout=30).ok
        _, reply = log_in(base, student, password, allow_redirects=False)
        assert reply.status_code == 302 and "/login" not in reply.headers["Location"], reply.headers


def test_the_class_mode_names_real_classes_and_limits(tmp_path, monkeypatch):
    """The class mode needs root and systemd to run; its choices can still be checked."""
    need_hub_tools()
    from jupyterhub.spawner import Spawner
    from nativeauthenticator import NativeAuthenticator
    from traitlets import import_item
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("COURSE_HUB_MODE", "class")
    monkeypatch.setenv("COURSE_HUB_STATE", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))          # the config adds hub/ to it
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB)).load_config()
    spawner = import_item(config.JupyterHub.spawner_class)
    assert issubclass(spawner, Spawner) and spawner.__name__ == "SystemdSpawner"
    assert issubclass(config.JupyterHub.authenticator_class, NativeAuthenticator)
    assert config.Spawner.mem_limit and config.Spawner.cpu_limit >= 1
    assert config.Spawner.environment["OMP_NUM_THREADS"] == str(int(config.Spawner.cpu_limit))
    # No student's server reaches a solution: every tracked file that holds one, the
    # nbgrader folders and the hub's own state are out of the servers' sight.
    hidden = [Path(p.lstrip("-").strip('"')) for p in
              config.SystemdSpawner.unit_extra_properties["InaccessiblePaths"].split()]
    assert tmp_path in hidden and (tmp_path.stat().st_mode & 0o077) == 0
    repo = HUB.parent
    tracked = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout.split()
    with_answers = [f for f in tracked if f.endswith(".ipynb")
                    and "BEGIN SOLUTION" in (repo / f).read_text(encoding="utf-8")]
    assert with_answers, "the instructor edition holds the solutions"
    for f in with_answers:
        assert any((repo / f).is_relative_to(h) for h in hidden), f
    assert repo / ".git" in hidden and repo / "gradebook.db" in hidden


def test_a_hub_without_its_proxy_says_what_to_install(tmp_path, monkeypatch):
    """Before JupyterHub's own traceback: one message, both languages, what to run."""
    from traitlets.config.loader import PyFileConfigLoader

    copy = tmp_path / "hub"
    copy.mkdir()
    shutil.copy(HUB / "jupyterhub_config.py", copy)        # no node_modules beside it
    shutil.copy(HUB / "course_auth.py", copy)
    monkeypatch.setenv("COURSE_HUB_MODE", "test")
    monkeypatch.setenv("COURSE_HUB_PASSWORD", "x" * 12)
    monkeypatch.setenv("COURSE_HUB_STATE", str(tmp_path / "state"))
    with pytest.raises(SystemExit) as stop:
        PyFileConfigLoader("jupyterhub_config.py", path=str(copy)).load_config()
    said = str(stop.value)
    assert "缺少 Hub 的代理" in said and "proxy" in said and "make hub" in said
