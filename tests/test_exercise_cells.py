"""Every exercise of lesson 5 runs on its own after a kernel restart: its cells bring
their own imports and borrow nothing from the lesson or an earlier exercise (the
namespace is wiped before each exercise; a solution may use its "Your turn" cell)."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05-summary-exercises.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")


def exercises(nb) -> list[list]:
    """Each exercise's code cells: its "Your turn" cell and its solution (the
    autograder's cells read the student's answer, so they are left out)."""
    groups = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip("# ").startswith(("Exercise ", "练习 ")):
            groups.append([])
        elif groups and cell.cell_type == "code" and "BEGIN HIDDEN TESTS" not in cell.source:
            groups[-1].append(cell)
    return [g for g in groups if g]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_exercise_cell_runs_after_a_restart(lang, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path))
    path = ROOT / "notebooks" / lang / LESSON
    nb = nbformat.read(path, as_version=4)
    groups = exercises(nb)
    assert len(groups) == 7
    runner = nbformat.v4.new_notebook()
    for group in groups:
        runner.cells.append(nbformat.v4.new_code_cell("%reset -f"))
        runner.cells += [nbformat.v4.new_code_cell(cell.source) for cell in group]
    client = NotebookClient(runner, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    failed = [(cell.source.splitlines()[0:2], o.get("ename"), o.get("evalue"))
              for cell in runner.cells for o in cell.outputs if o.output_type == "error"]
    assert not failed, failed


# Answers written the way each "Your turn" cell's hint says, with only the names the
# cell itself imports: what a student types after a restart.
HINTED = {
    "weight_layers = ...": "weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) "
                           "for m in net.modules())",
    "macs_ratio = ...": "macs_ratio = (sum(r.macs for r in layer_table(vgg(VGG11), (1, 1, 224, 224)))"
                        " / sum(r.macs for r in layer_table(alexnet(), (1, 1, 224, 224))))",
    "macs_224_over_96 = ...": "macs_224_over_96 = (sum(r.macs for r in layer_table("
                              "vgg(small_arch), (1, 1, 224, 224))) / sum(r.macs for r in "
                              "layer_table(vgg(small_arch, input_size=96), (1, 1, 96, 96))))",
    "vgg16_arch = ...": "vgg16_arch = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))",
    "conv_macs = ...": "rows = layer_table(nn.Sequential(*layers), (1, 1, 224, 224))\n"
                       "conv_macs = sum(r.macs for r, m in zip(rows, layers) "
                       "if isinstance(m, nn.Conv2d))",
    "fc_macs = ...": "fc_macs = sum(r.macs for r, m in zip(rows, layers) if isinstance(m, nn.Linear))",
    "head = ...": "head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))",
    "net_56 = ...": "net_56 = nn.Sequential(*[nn.Sequential(*list(vgg_block(n, c_in, c))[:-1], "
                    "nn.Conv2d(c, c, kernel_size=1), nn.ReLU(), nn.MaxPool2d(2, 2)) "
                    "for (n, c), c_in in zip(scale_arch(VGG11, 4), [1, 16, 32, 64, 128])], "
                    "nn.Flatten(), nn.Linear(128 * feature_size(input_size, 5) ** 2, 10))",
}


def answered(source: str) -> str:
    lines = []
    for line in source.splitlines():
        key = next((k for k in HINTED if line.startswith(k)), None)
        lines.append(HINTED[key] if key else line)
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hinted_answers_pass_after_a_restart_in_the_notebooks_language(lang, monkeypatch,
                                                                       tmp_path):
    """Each "Your turn" cell, filled in as its hint says, run alone after a restart in
    a kernel whose locale is English: ✅ every time, in the notebook's language."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path))
    monkeypatch.delenv("COURSE_LANG", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = ROOT / "notebooks" / lang / LESSON
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))   # what Jupyter tells a kernel
    nb = nbformat.read(path, as_version=4)
    turns = [group[0] for group in exercises(nb)]
    assert all(cell.source.startswith("# 你来试试 / Your turn") for cell in turns)
    runner = nbformat.v4.new_notebook()
    for cell in turns:
        assert "= ..." in cell.source
        filled = answered(cell.source)
        assert "= ..." not in filled, filled
        runner.cells += [nbformat.v4.new_code_cell("%reset -f"), nbformat.v4.new_code_cell(filled)]
    client = NotebookClient(runner, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    verdicts = []
    for cell in runner.cells[1::2]:
        errors = [(o.get("ename"), o.get("evalue")) for o in cell.outputs if o.output_type == "error"]
        assert not errors, (cell.source.splitlines()[0], errors)
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        verdicts.append(text.strip())
    assert len(verdicts) == 7 and all(v.startswith("✅") for v in verdicts), verdicts
    cjk = [bool(CJK.search(v)) for v in verdicts]
    assert all(cjk) if lang == "zh" else not any(cjk), verdicts
