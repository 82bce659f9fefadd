"""The course as an installed package, the way a hub image, Colab or `pip install git+...`
gets it: a wheel in a fresh virtual environment, no editable install, the repository
nowhere on the path, and lessons 4 (smoke) and 5 of the student edition run from there."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ["04-training.ipynb", "05-summary-exercises.ipynb"]

# Runs inside the new environment: executes each notebook, then asks the kernel where
# course_utils came from, so the answer is the kernel's own, not this process's.
RUNNER = r"""
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import course_utils, sys; print('FROM', course_utils.__file__, sys.prefix)"))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(__import__('pathlib').Path(path).parent)}}).execute()
    print(path, nb.cells[-1].outputs[0]["text"].strip(), flush=True)
"""


def copy_project(dest: Path) -> Path:
    """What a wheel is built from, copied out so that building leaves the checkout alone."""
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "course_utils", dest / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = copy_project(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(src)], check=True)
    (found,) = out.glob("course_utils-*.whl")
    return found


def test_the_wheel_carries_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    here = {p.relative_to(ROOT).as_posix() for p in (ROOT / "course_utils").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    missing = sorted(here - names)
    assert not missing, f"not in the wheel: {missing}"
    assert "course_utils/train/__init__.py" in names
    assert "course_utils/model_zoo_speeds.json" in names


def test_lessons_4_and_5_of_the_student_edition_run_from_the_installed_wheel(wheel, tmp_path):
    from course_utils import student

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # torch and the rest come from the course's environment, as plain paths: the line
    # does not run that environment's editable finder, so course_utils can only come
    # from the wheel.
    (site / "course_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True)

    edition = tmp_path / "student"
    student.build(edition, langs=["en"])
    work = tmp_path / "class"
    shutil.copytree(edition, work)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(COURSE_PROFILE="smoke", VGG_COURSE_CACHE=str(tmp_path / "cache"),
               JUPYTER_PATH=str(venv / "share" / "jupyter"), MPLBACKEND="Agg")
    from course_utils.data import find_dataset_dir
    env.setdefault("FASHION_MNIST_DIR", str(find_dataset_dir()))
    result = subprocess.run([str(python), "-c", RUNNER, *[str(work / "en" / n) for n in LESSONS]],
                            cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if " FROM " in line]
    assert len(lines) == len(LESSONS), result.stdout
    for line in lines:
        _, _, where = line.partition(" FROM ")
        module_file, prefix = where.rsplit(" ", 1)
        assert Path(module_file).is_relative_to(venv), line
        assert not Path(module_file).is_relative_to(ROOT), line
        assert Path(prefix) == venv, line
