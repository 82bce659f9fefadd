"""The README's layout table names every folder and module a maintainer will meet."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## 目录 · Layout")
    return text[start:text.index("\n## ", start + 5)]


def test_every_module_and_package_is_in_the_layout_table():
    table = layout_table()
    missing = []
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if f"`{path.stem}`" not in table:
            missing.append(str(path.relative_to(ROOT)))
    for folder in [p for p in (ROOT / "course_utils").iterdir() if (p / "__init__.py").exists()]:
        if f"`course_utils/{folder.name}/`" not in table and f"`{folder.name}/`" not in table:
            missing.append(f"course_utils/{folder.name}/")
    assert not missing, f"not in the README's layout table: {missing}"


def test_every_folder_the_table_names_exists():
    for name in re.findall(r"^\| `([\w/]+)/`", layout_table(), re.M):
        assert (ROOT / name).is_dir(), name
