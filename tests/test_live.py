"""What a training cell leaves in a saved notebook: the curve and the summary lines,
never a progress bar frozen at its first frame."""

import nbformat
from nbclient import NotebookClient

CELL = """
import torch
from torch import nn
from course_utils.train import train_ch6
X, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
batches = [(X[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
history = train_ch6(net, batches, batches, 2, 0.1, "cpu")
"""


def test_a_finished_run_leaves_no_progress_bar_in_the_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    texts = [o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs]
    assert any("examples/sec" in t for t in texts), texts          # the run did finish
    assert any("image/png" in o.get("data", {}) for o in outputs)  # and drew its curve
    bars = [t for t in texts if "|" in t and "batch" in t]
    assert not bars, bars
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not widgets, widgets
