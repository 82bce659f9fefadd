"""``make lab``: open the course in JupyterLab, always behind a fresh token.

What it does, and why:

* **A token every time, never on a command line.** A random token
  (``secrets.token_urlsafe``) is made for each start and handed over in the
  environment (``JUPYTER_TOKEN``), which only this user can read, not in the
  arguments that ``ps`` shows everyone. This module, run as ``--serve``, takes it
  out of the environment (the kernels do not inherit it) and gives it to Jupyter
  as command-line-level configuration (``IdentityProvider.token``) inside the
  process, which wins over any user configuration: a ``jupyter_server_config.py``
  that sets an empty token cannot turn authentication off for the course. An
  empty token is refused before anything starts.
* **Only this computer.** ``--ServerApp.ip=127.0.0.1``, whatever the config says.
* **Figures that load.** The lessons link their figures as ``../../Images/x.svg``
  (so the same links work on GitHub); serving the repository root and opening the
  lab on ``notebooks/`` keeps those links inside what the server may show.
* **The address, in the student's language**, with the token, printed once the
  server is listening: the port it really holds (two labs started at once never
  print the same one) and the ``base_url`` a user configuration may set.
* Root (containers, CI) needs ``--allow-root``; it is added only then.

Run ``python -m course_utils.lab --help`` for the options (``make lab PORT=9999``
passes ``--port``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

from .messages import CourseError, console_safe, get_lang, pick

from .paths import REPO_ROOT
LESSONS = "notebooks"            # the folder the lab opens on, inside the served root
HOST = "127.0.0.1"
PORT_TRIES = 50                  # as Jupyter's own port_retries


def new_token() -> str:
    """A fresh random token; never empty."""
    return check_token(secrets.token_urlsafe(24))


def check_token(token: str | None) -> str:
    """Refuse a missing or blank token: the lab never starts without one."""
    if not isinstance(token, str) or not token.strip():
        raise CourseError("JupyterLab 的访问令牌（token）是空的：没有令牌就不启动。",
                          "JupyterLab's access token is empty: the lab does not start "
                          "without one.")
    return token


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def choose_port(first: int) -> int:
    """``first`` if free, else the next free one (as Jupyter would pick)."""
    if not isinstance(first, int) or not 1 <= first <= 65535:
        raise CourseError(f"端口必须是 1 到 65535 之间的整数，现在是 {first!r}。",
                          f"The port must be a whole number from 1 to 65535, got {first!r}.")
    for port in range(first, min(first + PORT_TRIES, 65536)):
        if _port_free(port):
            return port
    raise CourseError(f"端口 {first} 到 {first + PORT_TRIES - 1} 都被占用了：请换一个，"
                      "例如 make lab PORT=9999。",
                      f"Ports {first} to {first + PORT_TRIES - 1} are all taken: choose "
                      "another, e.g. make lab PORT=9999.")


TOKEN_VAR = "JUPYTER_TOKEN"


def lab_command(port: int, token: str, open_browser: bool = True) -> list[str]:
    """The exact command that starts the course's JupyterLab (the token is not in it:
    see :func:`lab_env`)."""
    check_token(token)
    cmd = [sys.executable, "-m", "course_utils.lab", "--serve",
           f"--ServerApp.root_dir={REPO_ROOT}",
           f"--LabApp.default_url=/lab/tree/{LESSONS}",
           f"--ServerApp.ip={HOST}",
           f"--ServerApp.port={port}",
           # taken meanwhile (another lab started at the same moment): the next free
           # one; the address is printed from the port really held
           f"--ServerApp.port_retries={PORT_TRIES}"]
    if get_lang() == "zh":
        cmd.append(f"--LabApp.app_settings_dir={chinese_settings_dir()}")
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")            # jupyter refuses root without it
    return cmd


ZH_LOCALE = {"@jupyterlab/translation-extension:plugin": {"locale": "zh_CN"}}


def chinese_settings_dir(target: Path | None = None) -> Path:
    """JupyterLab's application settings with Chinese as the default interface language
    (menus, dialogs; the language pack comes from pip). A copy of the installed
    settings plus an ``overrides.json`` default: a student's own choice in
    Settings > Language still wins, and nothing outside ``target`` (by default the
    course's cache; the class hub names a folder every student's server can read)
    changes."""
    import json
    import shutil

    from jupyterlab.commands import get_app_dir

    from .machine import cache_dir

    installed = Path(get_app_dir()) / "settings"
    target = Path(target) if target is not None else cache_dir() / "lab-settings-zh"
    target.mkdir(parents=True, exist_ok=True)
    overrides = {}
    if installed.is_dir():
        for item in installed.iterdir():
            if item.is_file() and item.name != "overrides.json":
                shutil.copy2(item, target / item.name)
        try:
            overrides = json.loads((installed / "overrides.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            overrides = {}
    overrides.update(ZH_LOCALE)
    (target / "overrides.json").write_text(json.dumps(overrides, indent=1), encoding="utf-8")
    return target


def lab_env(token: str, environ=None) -> dict:
    """The environment for :func:`lab_command`: the token travels here, not in argv."""
    env = dict(os.environ if environ is None else environ)
    env[TOKEN_VAR] = check_token(token)
    return env


def lab_url(port: int, token: str, base_url: str = "/") -> str:
    base = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    return f"http://{HOST}:{port}{base}lab/tree/{LESSONS}?token={token}"


def _address_message(url: str) -> str:
    return pick(f"\n课程在这里打开（地址里带着访问令牌，只对本机有效）：\n    {url}\n"
                "按 Ctrl-C 两次停止。\n",
                f"\nThe course opens here (the address carries its access token; this "
                f"computer only):\n    {url}\nPress Ctrl-C twice to stop.\n")


def _bound_port(serverapp) -> int | None:
    """The port the server really listens on, or ``None`` when it could not bind."""
    sockets = getattr(getattr(serverapp, "http_server", None), "_sockets", None) or {}
    for sock in sockets.values():
        return sock.getsockname()[1]
    return None


def _retry_taken_ports(serverapp) -> None:
    """Jupyter checks its port early but binds later: a lab started at the same moment
    can take it in between. Then bind the next free port instead of giving up."""
    bind = serverapp._bind_http_server_tcp

    def bind_or_next() -> bool:
        for _ in range(PORT_TRIES):
            if bind():
                return True
            serverapp.port += 1
        return False
    serverapp._bind_http_server_tcp = bind_or_next


def serve(jupyter_args: list[str]) -> int:
    """Run JupyterLab in this process with the token from the environment, and print
    the address once the server is listening."""
    from jupyterlab.labapp import LabApp

    try:
        token = check_token(os.environ.pop(TOKEN_VAR, None))   # kernels do not inherit it
    except CourseError as err:
        print(err, file=sys.stderr)
        return 1
    no_port = pick("JupyterLab 没能占用端口（也许另一个程序刚刚占用了它）：请再运行一次 make lab，"
                   "或换一个端口，例如 make lab PORT=9999。",
                   "JupyterLab could not take a port (another program may have just taken "
                   "it): run make lab again, or choose another port, e.g. make lab PORT=9999.")
    try:
        serverapp = LabApp.initialize_server(argv=[*jupyter_args,
                                                   f"--IdentityProvider.token={token}"])
    except SystemExit as stop:
        if stop.code:
            print(no_port, file=sys.stderr, flush=True)
        return stop.code if isinstance(stop.code, int) else 1
    _retry_taken_ports(serverapp)
    said = []

    def say_address():
        port = _bound_port(serverapp)
        if port is not None:
            said.append(port)
            print(_address_message(lab_url(port, token, serverapp.base_url)), flush=True)

    # queued after the server's own bind callback, so it runs once the port is held
    serverapp.io_loop.add_callback(say_address)
    try:
        serverapp.start()
    except SystemExit as stop:
        if not said:
            print(no_port, file=sys.stderr, flush=True)
            return 1
        return stop.code if isinstance(stop.code, int) else 0
    return 0


def _check_data() -> None:
    """Lessons 1-3 need no data: a missing data set is a note, not a stop."""
    from .data import DataError, ensure_dataset

    try:
        ensure_dataset()
    except DataError as err:
        print(err, file=sys.stderr)
        print(pick("（第 1-3 课不需要数据集；第 4 课需要。）",
                   "(Lessons 1-3 work without the data set; lesson 4 needs it.)"),
              file=sys.stderr, flush=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    console_safe()
    if argv[:1] == ["--serve"]:
        return serve(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m course_utils.lab",
                                      description="Open the course in JupyterLab (with a token).")
    parser.add_argument("--port", type=int, default=8888, help="first port to try (default 8888)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--skip-data-check", action="store_true",
                        help="do not look for Fashion-MNIST first")
    args = parser.parse_args(argv)
    try:
        get_lang()                      # a wrong COURSE_LANG is said now, in both languages
        if not args.skip_data_check:
            _check_data()
        port = choose_port(args.port)
        token = new_token()
        cmd = lab_command(port, token, open_browser=not args.no_browser)
    except CourseError as err:            # LanguageError included: said in both languages
        print(err, file=sys.stderr)
        return 1
    # the address is printed by the server itself, once it listens (see serve)
    return run(cmd, lab_env(token))


def run(cmd: list[str], env: dict) -> int:
    """Become Jupyter: Ctrl-C, exit codes and signals then reach it directly."""
    if os.name == "posix":
        os.execve(cmd[0], cmd, env)      # does not return
    import subprocess                    # pragma: no cover - Windows has no exec
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    sys.exit(main())
