"""course_utils.train: d2l-compatible results, nothing lost, profiles.

Most tests train a tiny network on a few synthetic batches (a second or two);
one trains the real ``smoke`` profile on Fashion-MNIST. Under a minute and a
half on two cores.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn

from course_utils import messages
from course_utils.data import InMemoryLoader
from course_utils.messages import CourseError, TrainingError
from course_utils import train as T

LOSS_LINE = re.compile(r"^loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}$")
SPEED_LINE = re.compile(r"^\d+\.\d examples/sec on cpu$")


@pytest.fixture(autouse=True)
def english():
    before = messages.get_lang()
    messages.set_lang("en")
    yield
    messages.set_lang(before)


def tiny_net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(4), nn.Flatten(), nn.Linear(4 * 7 * 7, 10))


def tiny_data(n: int = 256, batch_size: int = 64, seed: int = 0):
    """Learnable synthetic images: class k has a bright row at height 2k + 4."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    images = torch.randint(0, 60, (n, 1, 28, 28), generator=g, dtype=torch.uint8)
    for i, k in enumerate(labels.tolist()):
        images[i, 0, 2 * k + 4] = 255
    train = InMemoryLoader(images, labels, batch_size, shuffle=True, seed=seed)
    test = InMemoryLoader(images[:128], labels[:128], batch_size, shuffle=False)
    return train, test


def fit(net=None, epochs=2, lr=0.1, **kw):
    torch.manual_seed(0)
    net = net or tiny_net()
    train, test = tiny_data()
    kw.setdefault("live", False)
    return net, T.train_ch6(net, train, test, epochs, lr, "cpu", **kw)


class RaisesAfter:
    """A loader that raises ``exc`` after ``n`` batches in total (Ctrl-C mid-epoch)."""

    def __init__(self, loader, n, exc=KeyboardInterrupt):
        self.loader, self.n, self.exc, self.count = loader, n, exc, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            if self.count == self.n:
                raise self.exc()
            self.count += 1
            yield batch


# ---------------------------------------------------------------- results and formats


def test_history_fields_and_d2l_summary_lines(capsys):
    _, h = fit(epochs=2)
    assert isinstance(h, T.History)
    assert [m["epoch"] for m in h.metrics] == [1, 2]
    assert set(h.metrics[0]) == {"epoch", "train_loss", "train_acc", "test_acc"}
    assert h.final == h.metrics[-1] and h.column("test_acc") == [m["test_acc"] for m in h.metrics]
    assert h.examples_per_sec > 0 and h.wall_examples_per_sec > 0
    assert h.examples_per_sec >= h.wall_examples_per_sec      # compute-only leaves time out
    assert h.device == "cpu" and not h.interrupted and h.stop_reason == "finished"
    assert h.num_examples == 2 * 256
    assert LOSS_LINE.match(h.summary[0]), h.summary[0]
    assert SPEED_LINE.match(h.summary[1]), h.summary[1]
    assert "examples/sec end-to-end" in h.summary[2]
    printed = capsys.readouterr().out.splitlines()
    assert printed[-3:] == h.summary                           # d2l prints them; so do we
    assert h.metrics[-1]["train_loss"] < h.metrics[0]["train_loss"]


def test_summary_line_matches_d2l_numbers():
    h = T.History(metrics=[{"epoch": 10, "train_loss": 0.1781, "train_acc": 0.9342,
                            "test_acc": 0.9190}], examples_per_sec=2546.84,
                  wall_examples_per_sec=2000.0, device="cuda:0")
    lines = T.summary_lines(h)
    assert lines[0] == "loss 0.178, train acc 0.934, test acc 0.919"
    assert lines[1] == "2546.8 examples/sec on cuda:0"


def test_fp32_and_auto_precision_both_train():
    _, h32 = fit(epochs=1, precision="fp32")
    _, hauto = fit(epochs=1, precision="auto")
    assert h32.precision == "fp32"
    assert hauto.precision == ("bf16" if T.cpu_has_bf16() else "fp32")
    for h in (h32, hauto):
        assert math.isfinite(h.final["train_loss"]) and h.final["test_acc"] > 0.1


def test_precision_and_init_are_checked():
    cpu = torch.device("cpu")
    assert T.resolve_precision("fp32", cpu) == "fp32"
    with pytest.raises(CourseError):
        T.resolve_precision("fp8", cpu)
    with pytest.raises(CourseError):
        fit(epochs=1, init="zeros")


def test_init_options():
    torch.manual_seed(0)
    net = tiny_net()
    before = [p.detach().clone() for p in net.parameters()]
    T.init_weights(net, None)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    T.init_weights(net, "kaiming")
    assert not torch.equal(before[0], net[0].weight)
    assert torch.equal(before[1], net[0].bias)                 # d2l re-draws weights only


def test_any_loader_of_batches_works_even_flat_ones():
    train, test = tiny_data()
    flat = [(X.flatten(1), y) for X, y in train]              # a plain list, (B, 784) inputs
    net = nn.Sequential(nn.Linear(784, 10))
    h = T.train_ch6(net, flat, [(X.flatten(1), y) for X, y in test], 2, 0.1, "cpu", live=False)
    assert len(h.metrics) == 2 and h.final["train_loss"] < h.metrics[0]["train_loss"]


def test_try_gpu_falls_back_to_cpu():
    dev = T.try_gpu()
    assert isinstance(dev, torch.device)
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")
    assert T.try_gpu(99).type != "cuda"
    if not torch.cuda.is_available():
        with pytest.raises(CourseError):
            T.train_ch6(tiny_net(), [], [], 1, 0.1, "cuda:0")


# ---------------------------------------------------------------- nothing lost


@pytest.mark.parametrize("lang, words", [("en", ["lr=1e+06", "Lower"]),
                                         ("zh", ["lr=1e+06", "调小学习率"])])
def test_diverging_loss_stops_with_a_message_naming_lr(capsys, lang, words):
    messages.set_lang(lang)
    net, h = fit(epochs=3, lr=1e6, precision="fp32")           # no exception into the notebook
    assert h.stop_reason == "diverged" and not h.interrupted
    for word in words:
        assert word in h.message
    assert h.message in capsys.readouterr().out
    assert h.partial is not None and h.summary                 # what happened is kept
    assert len(h.metrics) < 3


def test_keyboard_interrupt_keeps_model_history_and_summary(capsys):
    torch.manual_seed(0)
    net = tiny_net()
    train, test = tiny_data()                                  # 4 batches per epoch
    h = T.train_ch6(net, RaisesAfter(train, 6), test, 5, 0.1, "cpu", live=False)
    assert h.interrupted and h.stop_reason == "interrupted"
    assert len(h.metrics) == 1                                 # epoch 1 done, epoch 2 half
    assert h.partial["epoch"] == 2 and h.partial["train_loss"] is not None
    assert LOSS_LINE.match(h.summary[0])
    assert all(torch.isfinite(p).all() for p in net.parameters())
    assert "interrupted" in capsys.readouterr().out
    assert not net.training                                    # left ready to evaluate


def test_checkpoint_and_resume_round_trip(tmp_path):
    path = tmp_path / "ckpt" / "vgg.pt"
    net1, h1 = fit(epochs=1, checkpoint=path)
    assert path.is_file() and not path.with_name("vgg.pt.tmp").exists()
    saved = torch.load(path, weights_only=True)
    assert saved["epoch"] == 1 and saved["metrics"] == h1.metrics

    torch.manual_seed(123)
    net2 = tiny_net()                                          # different weights...
    train, test = tiny_data()
    h2 = T.train_ch6(net2, train, test, 1, 0.1, "cpu", checkpoint=path, resume=True, live=False)
    for a, b in zip(net1.state_dict().values(), net2.state_dict().values()):
        assert torch.equal(a, b)                               # ...replaced by the saved ones
    assert h2.metrics == h1.metrics and h2.num_examples == 0

    h3 = T.train_ch6(net2, train, test, 2, 0.1, "cpu", checkpoint=path, resume=True, live=False)
    assert [m["epoch"] for m in h3.metrics] == [1, 2] and h3.metrics[0] == h1.metrics[0]
    assert torch.load(path, weights_only=True)["epoch"] == 2


def test_resume_needs_a_checkpoint_and_a_matching_net(tmp_path):
    with pytest.raises(CourseError):
        fit(epochs=1, resume=True)
    path = tmp_path / "c.pt"
    fit(epochs=1, checkpoint=path)
    other = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(TrainingError):
        fit(other, epochs=1, checkpoint=path, resume=True)


def test_out_of_memory_becomes_a_training_error():
    class Greedy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, x):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(TrainingError) as info:
        fit(Greedy(), epochs=1)
    assert "batch_size" in info.value.en and "ratio" in info.value.en
    assert "batch_size" in info.value.zh


# ---------------------------------------------------------------- live view


def test_notebook_view_updates_one_figure_in_place(monkeypatch):
    import IPython.display

    calls = {"display": 0, "update": 0}

    class Handle:
        def update(self, obj):
            calls["update"] += 1

    def fake_display(obj, display_id=None):
        assert display_id is True
        calls["display"] += 1
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setattr(T, "in_notebook", lambda: True)
    _, h = fit(epochs=2, live=True)
    assert calls["display"] == 1                               # one output...
    assert calls["update"] >= 2 * 2                            # ...redrawn per epoch and within


def test_plain_text_lines_outside_a_notebook(capsys):
    _, h = fit(epochs=2, live=True)
    out = capsys.readouterr().out
    assert "epoch 1/2: loss" in out and "epoch 2/2: loss" in out and "ETA" in out


# ---------------------------------------------------------------- profiles


def test_profiles_and_choice(monkeypatch):
    ref = T.PROFILES["reference"]
    assert (ref.ratio, ref.lr, ref.num_epochs, ref.batch_size, ref.input_size, ref.init) == \
        (4, 0.05, 10, 128, 224, "xavier")                      # the seed's recipe, exactly
    assert set(T.PROFILES) >= {"reference", "cpu-quick", "smoke"}
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    assert T.choose_profile() == "smoke"
    monkeypatch.setenv("COURSE_PROFILE", "cpu-quick")
    assert T.choose_profile() == "cpu-quick"
    monkeypatch.setenv("COURSE_PROFILE", "no-such")
    with pytest.raises(ValueError, match="no-such"):
        T.choose_profile()
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.delenv("CI")
    assert T.choose_profile() == ("reference" if torch.cuda.is_available() else "cpu-quick")
    with pytest.raises(CourseError):
        T.get_profile("fastest")


def test_cli_lists_profiles(capsys):
    assert T.main(["--list"]) == 0
    assert "cpu-quick" in capsys.readouterr().out


def test_smoke_profile_really_trains_and_the_loss_falls():
    net, h = T.run_profile("smoke", live=False)
    assert h.stop_reason == "finished" and len(h.metrics) == T.PROFILES["smoke"].num_epochs
    assert h.metrics[-1]["train_loss"] < h.metrics[0]["train_loss"]
    assert h.metrics[-1]["test_acc"] > 0.3                     # chance is 0.1
    assert isinstance(net[0], nn.Sequential)                   # the lesson's VGG, not a stand-in
