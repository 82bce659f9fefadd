"""Both languages, one truth: the zh and en notebooks teach the same code.

nbval re-executes the notebooks; these tests check what nbval cannot: that the
twins match, that the stored outputs are clean, and that every cell can be shown
as a slide.
"""

import json
import os
import re
from pathlib import Path

import pytest

from tests.test_models import SEED_SHAPE_LINES

ROOT = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = sorted(p.name for p in (ROOT / "en").glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")
LANG_LINE = re.compile(r'^LANG = "(zh|en)"', re.M)


def load(lang, name):
    return json.loads((ROOT / lang / name).read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def test_five_lessons_in_both_languages():
    zh = sorted(p.name for p in (ROOT / "zh").glob("*.ipynb"))
    assert zh == NAMES and len(NAMES) == 5
    assert [n[:2] for n in NAMES] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_identical_but_the_language(name):
    zh, en = load("zh", name), load("en", name)
    assert [c["cell_type"] for c in zh] == [c["cell_type"] for c in en]
    zh_code = [source(c) for c in zh if c["cell_type"] == "code"]
    en_code = [source(c) for c in en if c["cell_type"] == "code"]
    # The first code cell installs the course where it is missing (tests/test_install_cell.py);
    # the language is set once, in the next one; everything else is shared.
    assert zh_code[0] == en_code[0] and "course_utils" in zh_code[0] and "find_spec(name)" in zh_code[0]
    zh_code, en_code = zh_code[1:], en_code[1:]
    assert LANG_LINE.search(zh_code[0]).group(1) == "zh"
    assert LANG_LINE.search(en_code[0]).group(1) == "en"
    assert LANG_LINE.sub('LANG = "?"', zh_code[0]) == LANG_LINE.sub('LANG = "?"', en_code[0])
    assert zh_code[1:] == en_code[1:]
    assert not any(LANG_LINE.search(code) for code in zh_code[1:])


@pytest.mark.parametrize("name", NAMES)
def test_markdown_is_in_its_language(name):
    for lang in ("zh", "en"):
        for cell in load(lang, name):
            if cell["cell_type"] != "markdown":
                continue
            text = re.sub(r"\]\([^)]*\)", "]", source(cell))   # links and file names
            has_cjk = bool(CJK.search(text))
            assert has_cjk == (lang == "zh"), f"{lang}/{name}: {text[:60]!r}"


def slide_type(cell):
    return cell["metadata"].get("slideshow", {}).get("slide_type")


@pytest.mark.parametrize("name", NAMES)
def test_starts_with_goals_ends_with_summary(name):
    for lang, goals, summary in (("zh", "本课你将学到", "## 小结"), ("en", "What you will learn", "## Summary")):
        cells = load(lang, name)
        assert cells[0]["cell_type"] == "markdown" and goals in source(cells[0])
        # Speaker notes may follow the summary: they are not shown to students.
        shown = [c for c in cells if slide_type(c) != "notes"]
        assert shown[-1]["cell_type"] == "markdown" and source(shown[-1]).startswith(summary)


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_has_slide_metadata(name):
    for lang in ("zh", "en"):
        cells = load(lang, name)
        kinds = [c["metadata"].get("slideshow", {}).get("slide_type") for c in cells]
        assert None not in kinds
        assert kinds[0] == "slide" and kinds.count("slide") >= 3


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_clean(name):
    leaks = [str(Path.home()), str(Path(__file__).resolve().parent.parent), "/tmp/"]
    for lang in ("zh", "en"):
        cells = load(lang, name)
        code = [c for c in cells if c["cell_type"] == "code"]
        assert any(c["outputs"] for c in code), f"{lang}/{name} is stored unexecuted"
        for cell in code:
            for out in cell["outputs"]:
                assert out["output_type"] != "error", f"{lang}/{name}: {out.get('ename')}"
                text = json.dumps(out)
                assert not any(leak in text for leak in leaks), f"{lang}/{name} shows a local path"


def test_shape_check_is_checked_and_matches_the_seed():
    for lang in ("zh", "en"):
        cells = load(lang, "03-assembling-vgg11.ipynb")
        [cell] = [c for c in cells if "output shape:" in source(c)]
        assert "nbval-check-output" in cell["metadata"].get("tags", [])
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"]).splitlines()
        assert printed == SEED_SHAPE_LINES


@pytest.mark.parametrize("name", NAMES)
def test_links_between_lessons_exist(name):
    for lang in ("zh", "en"):
        for cell in load(lang, name):
            if cell["cell_type"] == "markdown":
                for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", source(cell)):
                    assert (ROOT / lang / target).is_file(), f"{lang}/{name} links to {target}"


@pytest.mark.parametrize("name", NAMES)
def test_test_markers_are_cell_tags_not_code_a_class_reads(name):
    # Presenting from JupyterLab (or RISE) shows code as it is: nbval's markers live in
    # cell tags, so no "# NBVAL_..." line sits in front of the class.
    for lang in ("zh", "en"):
        for cell in load(lang, name):
            assert "NBVAL_" not in source(cell), f"{lang}/{name}: use the nbval-* cell tags"
