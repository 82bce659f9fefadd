"""Where the course's own folders lie in a checkout of the repository.

The package is also installed from a wheel (a hub image, a student's laptop, Colab):
then only the package is there, none of these folders, and :func:`in_checkout` says so,
so that each user of a folder can fall back or say what is missing.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
IMAGES_DIR = REPO_ROOT / "Images"
README = REPO_ROOT / "README.md"


def in_checkout() -> bool:
    """True in a clone of the course (its ``pyproject.toml`` beside ``notebooks/``)."""
    return (REPO_ROOT / "pyproject.toml").is_file() and NOTEBOOKS_DIR.is_dir()
