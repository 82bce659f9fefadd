"""JupyterHub for a class: every student gets their own JupyterLab on one server.

Run from the repository root (`make hub`, or `jupyterhub -f hub/jupyterhub_config.py`).
Two modes, chosen by the environment:

* ``COURSE_HUB_MODE=class`` (default), for a real class server, run as root:
  students sign up with their own password and the instructor approves them at
  ``/hub/authorize`` (NativeAuthenticator; admins from ``COURSE_HUB_ADMINS``); each
  student's server runs as their own Linux user in a systemd unit that enforces the
  memory and CPU limits below (SystemdSpawner; systemd makes a Linux user per student,
  with a home that persists in /var/lib/<name>). Needs systemd and root.
* ``COURSE_HUB_MODE=test``, for tests and a try-out on a laptop: one shared password
  (``COURSE_HUB_PASSWORD``), every server runs as the hub's user, with a home folder of
  its own under ``$COURSE_HUB_STATE/homes``. Limits are passed on but not enforced.

The course reaches each home through nbgitpuller: a link (see hub/README.md) clones the
student edition, or merges a newer one without touching what the student changed.
Everything else comes from ``COURSE_HUB_*`` variables, so one file serves both modes.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
env = os.environ.get

c = get_config()  # noqa: F821 - JupyterHub provides it

MODE = env("COURSE_HUB_MODE", "class")
if MODE not in ("class", "test"):
    sys.exit(f"COURSE_HUB_MODE 只能是 class 或 test，现在是 {MODE!r}。\n"
             f"COURSE_HUB_MODE must be class or test, got {MODE!r}.")
DEFAULT_STATE = "/srv/vgg-course-hub" if MODE == "class" else HERE.parent / "build" / "hub"
STATE = Path(env("COURSE_HUB_STATE", DEFAULT_STATE))
STATE.mkdir(parents=True, exist_ok=True)

# --- where it listens, where it keeps its state ---------------------------------
c.JupyterHub.bind_url = f"http://{env('COURSE_HUB_IP', '127.0.0.1')}:{env('COURSE_HUB_PORT', '8000')}"
c.JupyterHub.hub_port = int(env("COURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('COURSE_HUB_PROXY_API_PORT', '8001')}"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
# What the hub cannot run without, said before JupyterHub's own tracebacks would.
import importlib.util  # noqa: E402
if not PROXY.exists():
    sys.exit(f"缺少 Hub 的代理 {PROXY}：请先装 npm（apt-get install npm），再运行 make hub。\n"
             f"The hub's proxy {PROXY} is missing: install npm (apt-get install npm), then run "
             "make hub.")
if importlib.util.find_spec("nbgitpuller") is None:
    sys.exit("缺少 nbgitpuller，课程链接会打不开：请运行 make hub（它会安装 requirements-hub.txt）。\n"
             "nbgitpuller is missing, so the course links would not open: run make hub (it "
             "installs requirements-hub.txt).")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# The login page says what went wrong in both languages (hub/templates/login.html).
c.JupyterHub.template_paths = [str(HERE / "templates")]

# --- who may log in ---------------------------------------------------------------
# Students' own accounts in class; one shared password in test mode. COURSE_HUB_AUTH
# picks either in either mode (the tests try the class's sign-up on the test spawner).
AUTH = env("COURSE_HUB_AUTH", "native" if MODE == "class" else "shared")
if AUTH == "native":
    sys.path.insert(0, str(HERE))
    from course_auth import CourseNativeAuthenticator   # its errors in zh and en

    c.JupyterHub.authenticator_class = CourseNativeAuthenticator
    c.NativeAuthenticator.open_signup = False            # the instructor approves each sign-up
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5       # then a 10-minute pause, against guessing
    c.NativeAuthenticator.seconds_before_next_try = 600
    c.Authenticator.admin_users = set(filter(None, env("COURSE_HUB_ADMINS", "").split(",")))
    c.Authenticator.allow_all = True                      # everyone the instructor approved
elif AUTH == "shared":
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = env("COURSE_HUB_PASSWORD") or sys.exit(
        "共用密码登录（COURSE_HUB_MODE=test 的默认）需要 COURSE_HUB_PASSWORD。\n"
        "Logging in with a shared password (COURSE_HUB_MODE=test's default) needs COURSE_HUB_PASSWORD.")
    c.Authenticator.allow_all = True
else:
    sys.exit(f"COURSE_HUB_AUTH 只能是 native 或 shared，现在是 {AUTH!r}。\n"
             f"COURSE_HUB_AUTH must be native or shared, got {AUTH!r}.")

# --- each student's server ----------------------------------------------------------
# Sizes from hub/README.md (hub/measure_memory.py): a student's server (~85 MB) and
# lesson 3's kernel at its peak (~2.5 GB: full-size VGG-11s) need about 2.6 GB; 3.5 GB
# is that with 1.25x headroom (a second tab, the page cache). One core each; a class rarely trains all at
# the same second, so two students per physical core stay responsive.
MEM_LIMIT = env("COURSE_HUB_MEM_LIMIT", "3.5G")
CPU_LIMIT = float(env("COURSE_HUB_CPU_LIMIT", "1"))
THREADS = str(max(1, int(CPU_LIMIT)))

c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.cpu_limit = CPU_LIMIT
# The same Python as the hub: the venv that holds the course, JupyterLab and nbgitpuller.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
# PyTorch and NumPy start one thread per core of the whole server otherwise: 30 students
# x 16 threads on 16 cores is mostly waiting. torch reads OMP_NUM_THREADS at import.
c.Spawner.environment = {
    "OMP_NUM_THREADS": THREADS,
    "MKL_NUM_THREADS": THREADS,
    "OPENBLAS_NUM_THREADS": THREADS,
    # Lesson 4 trains with the profile meant for a CPU share (course_utils.train.profiles).
    "COURSE_PROFILE": env("COURSE_HUB_PROFILE", "cpu-quick"),
}
for name in ("FASHION_MNIST_DIR", "COURSE_LANG"):      # one read-only data set for everyone
    if env(name):
        c.Spawner.environment[name] = env(name)

# --- the lab's own language ------------------------------------------------------
# A Chinese class sees JupyterLab's menus and dialogs in Chinese, as `make lab` gives a
# zh student: the hub's COURSE_LANG, else its locale (LC_ALL, LC_MESSAGES, LANG), picks
# it. The language pack comes with the course; its default goes into a copy of the lab's
# application settings that every student's server can read (each student's own
# Settings > Language still wins).
from course_utils.lab import chinese_settings_dir  # noqa: E402
from course_utils.messages import CourseError, default_lang  # noqa: E402

try:
    LAB_LANG = default_lang()
except CourseError as err:                              # COURSE_LANG=fr, say
    sys.exit(f"{err.zh}\n{err.en}")
LAB_SETTINGS_ZH = Path(env("COURSE_HUB_LAB_SETTINGS",
                           STATE / "lab-settings-zh" if MODE == "test"
                           else "/srv/vgg-course-lab-settings-zh"))
LAB_ARGS = []
if LAB_LANG == "zh":
    chinese_settings_dir(LAB_SETTINGS_ZH)
    for path in (LAB_SETTINGS_ZH, *LAB_SETTINGS_ZH.iterdir()):   # readable by every student
        path.chmod(0o755 if path.is_dir() else 0o644)
    LAB_ARGS.append(f"--LabApp.app_settings_dir={LAB_SETTINGS_ZH}")
c.Spawner.args = LAB_ARGS


def hidden_from_students() -> list[Path]:
    """What the instructor keeps on this server and no student's server may read."""
    repo = HERE.parent
    return [repo / "notebooks", repo / ".git", repo / "build", repo / "slides",
            repo / "checkpoints", repo / "source", repo / "release", repo / "submitted",
            repo / "autograded", repo / "feedback", repo / "gradebook.db", STATE]


def _quoted(path: str) -> str:
    return f'"{path}"' if any(ch.isspace() for ch in path) else path


if MODE == "class":
    STATE.chmod(0o700)                                    # the hub's database and secret: root's
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    # NativeAuthenticator's accounts are not Linux users: systemd's DynamicUser makes one
    # per student while their server runs, home kept in /var/lib/<name>.
    c.SystemdSpawner.dynamic_users = True
    c.SystemdSpawner.isolate_tmp = True                   # a private /tmp per student
    c.SystemdSpawner.isolate_devices = True
    c.SystemdSpawner.disable_user_sudo = True
    c.SystemdSpawner.default_shell = "/bin/bash"
    c.SystemdSpawner.unit_name_template = "vgg-course-{USERNAME}"
    c.SystemdSpawner.slice = env("COURSE_HUB_SLICE")     # optional cap on the class as a whole
    # The servers run this checkout's Python and course_utils (no answers in either), but
    # a student's terminal must not reach the instructor edition (every solution and its
    # output), nbgrader's folders and gradebook, the history, or the hub's own state
    # (password hashes, cookie secret). "-": a path that does not exist is no error.
    c.SystemdSpawner.unit_extra_properties = {"InaccessiblePaths": " ".join(
        _quoted(f"-{path}") for path in hidden_from_students())}
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
    c.Spawner.notebook_dir = str(STATE / "homes" / "{username}")
    # The hub's own environment, as a laptop's `jupyter lab` would have it: its PATH and
    # PYTHONPATH (this checkout's course_utils) and where Jupyter finds its extensions.
    c.Spawner.env_keep = ["JUPYTERHUB_SINGLEUSER_APP", "PATH", "PYTHONPATH", "LANG", "LC_ALL",
                          "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTERLAB_DIR"]
    if os.geteuid() == 0:        # a container's root: the servers run as the hub does
        c.Spawner.args = [*LAB_ARGS, "--ServerApp.allow_root=True"]

# --- servers nobody uses give their memory back --------------------------------------
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={env('COURSE_HUB_IDLE_SECONDS', '3600')}"],
}]
