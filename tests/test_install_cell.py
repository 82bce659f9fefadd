"""Every lesson's first code cell: silent where the course is installed, installs it on
Colab, and elsewhere stops "Run All" with two lines (zh, en) saying how to install it."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
GIT_URL = "git+https://github.com/"


def first_code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def run_cell(source: str, *, installed: bool, colab: bool,
             missing: str = "course_utils") -> subprocess.CompletedProcess:
    """The cell in a real IPython shell, in a fresh process, with ``missing`` found or
    not and with or without Colab's module; `%pip` is recorded, not run."""
    driver = textwrap.dedent(f"""
        import importlib.util, sys, types
        from IPython.core.interactiveshell import InteractiveShell
        find_spec = importlib.util.find_spec
        if not {installed}:
            importlib.util.find_spec = lambda name, *a: None if name == {missing!r} else find_spec(name, *a)
        if {colab}:
            sys.modules["google.colab"] = types.ModuleType("google.colab")
        shell = InteractiveShell.instance(colors="NoColor")
        shell.run_line_magic = lambda magic, line: print("MAGIC", magic, line)
        result = shell.run_cell(sys.stdin.read())
        print("RAISED", type(result.error_in_exec).__name__ if result.error_in_exec else None)
    """)
    return subprocess.run([sys.executable, "-c", driver], input=source, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_one_install_cell_opens_every_lesson():
    assert len(PATHS) == 10
    sources = {first_code(p) for p in PATHS}
    assert len(sources) == 1
    [source] = sources
    assert GIT_URL in source and 'LANG = "' not in source


def test_silent_when_installed():
    done = run_cell(first_code(PATHS[0]), installed=True, colab=False)
    assert done.stdout.strip() == "RAISED None" and not done.stderr.strip(), done.stdout + done.stderr


@pytest.mark.parametrize("colab", [False, True])
def test_missing_package_says_how_in_both_languages(colab):
    done = run_cell(first_code(PATHS[0]), installed=False, colab=colab)
    out = done.stdout
    assert "RAISED CourseNotInstalled" in out, out + done.stderr
    shown = out[:out.index("RAISED")]
    assert "缺少 course_utils" in shown and "Missing: course_utils." in shown and "make lab" in shown
    assert "README.md" in shown                                    # the student edition's way
    assert "Traceback" not in shown and "File " not in shown      # two lines, no traceback
    # on Colab it tried pip from the repository first; elsewhere it installs nothing
    assert ("MAGIC pip install" in shown and GIT_URL in shown) == colab


def test_missing_d2l_is_said_too():
    """The wheel does not pull d2l in (its 2023 pins): a lesson says so, not a traceback."""
    done = run_cell(first_code(PATHS[0]), installed=False, colab=False, missing="d2l")
    out = done.stdout
    assert "RAISED CourseNotInstalled" in out, out + done.stderr
    shown = out[:out.index("RAISED")]
    assert "缺少 d2l" in shown and "Missing: d2l." in shown and "Traceback" not in shown
