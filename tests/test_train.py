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
def private_cache(tmp_path, monkeypatch):
    """Precision decisions cached per test, never in the user's ~/.cache; the machine
    counts as quiet, so that a probe is kept whatever else runs meanwhile."""
    from course_utils.train import probe_cache

    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: False)


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


def test_fp32_and_auto_precision_both_train(capsys):
    _, h32 = fit(epochs=1, precision="fp32")
    _, hauto = fit(epochs=1, precision="auto")
    assert h32.precision == "fp32" and "as asked" in h32.precision_reason
    assert hauto.precision in ("fp32", "bf16")
    for h in (h32, hauto):
        assert math.isfinite(h.final["train_loss"]) and h.final["test_acc"] > 0.1
    out = capsys.readouterr().out
    # One line before training says how it trains: device, format (and why), layout, data.
    assert "cpu · fp32 (as asked) · channels-last" in out


def test_precision_probe_keeps_the_faster_format():
    net, shape, cpu = tiny_net(), (64, 1, 28, 28), torch.device("cpu")
    slow_bf16 = T.choose_precision(net, shape, cpu, measure={"fp32": 1.0, "bf16": 1.5}.get)
    assert slow_bf16.precision == "fp32"
    assert slow_bf16.reason() == "fp32 (bf16 was 50% slower here)"
    fast_bf16 = T.choose_precision(net, shape, cpu, measure={"fp32": 1.0, "bf16": 0.5}.get)
    assert fast_bf16.precision == "bf16" and fast_bf16.reason() == "bf16 (2.0× as fast as fp32 here)"
    assert fast_bf16.reason("zh") == "bf16（速度是 fp32 的 2.0 倍）"
    # a gain inside the timing noise does not move us off d2l's fp32
    assert T.choose_precision(net, shape, cpu, measure={"fp32": 1.0, "bf16": 0.95}.get
                              ).precision == "fp32"
    assert "慢 50%" in slow_bf16.reason("zh")


def test_precision_probe_skips_a_broken_format_without_a_traceback(capsys):
    def measure(precision):
        if precision == "bf16":
            raise RuntimeError("autocast is not supported on this device")
        return 1.0

    choice = T.choose_precision(tiny_net(), (64, 1, 28, 28), torch.device("cpu"),
                                measure=measure)
    assert choice.precision == "fp32" and choice.seconds["bf16"] is None
    assert choice.reason() == "fp32 (bf16 is not usable here)"
    assert capsys.readouterr().err == ""


def test_precision_probe_is_cached_and_leaves_the_random_state_alone():
    from course_utils.train import precision as P

    net, shape, cpu = tiny_net(), (64, 1, 28, 28), torch.device("cpu")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    first = T.choose_precision(net, shape, cpu)               # real timing, then cached
    assert torch.equal(torch.rand(3), expected)
    assert not first.cached and first.probe_seconds > 0
    assert set(first.seconds) == {"fp32", "bf16"}
    second = T.choose_precision(net, shape, cpu)
    assert second.cached and second.precision == first.precision
    assert (P.cache_dir() / "precision.json").is_file()
    other = T.choose_precision(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), shape, cpu)
    assert not other.cached                                    # another network, another key


def test_precision_and_init_are_checked():
    with pytest.raises(CourseError):
        fit(epochs=1, precision="fp8")
    with pytest.raises(CourseError):
        fit(epochs=1, init="zeros")


def test_cosine_schedule_falls_from_lr_to_zero():
    assert T.lr_at(0.1, "constant", 50, 100) == 0.1
    assert T.lr_at(0.1, "cosine", 0, 100) == pytest.approx(0.1)
    assert T.lr_at(0.1, "cosine", 50, 100) == pytest.approx(0.05)
    assert T.lr_at(0.1, "cosine", 100, 100) == pytest.approx(0.0, abs=1e-12)
    _, h = fit(epochs=2, schedule="cosine")
    assert h.schedule == "cosine" and h.final["train_loss"] < h.metrics[0]["train_loss"]


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
    assert h.summary and len(h.metrics) < 3                    # what happened is kept
    # the weights are the last good ones, never nan
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_divergence_puts_back_the_last_good_epoch():
    torch.manual_seed(0)
    net = tiny_net()
    train, test = tiny_data()
    T.train_ch6(net, train, test, 1, 0.1, "cpu", live=False)
    good = {k: v.clone() for k, v in net.state_dict().items()}
    h = T.train_ch6(net, train, test, 2, 1e6, "cpu", init=None, live=False)
    assert h.stop_reason == "diverged" and "before training" in h.message
    for k, v in net.state_dict().items():
        assert torch.equal(v, good[k])


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


def test_an_interrupt_in_the_first_epoch_still_reports_the_real_speed(capsys):
    torch.manual_seed(0)
    train, test = tiny_data()                                  # 4 batches per epoch
    h = T.train_ch6(tiny_net(), RaisesAfter(train, 3), test, 5, 0.1, "cpu", live=False)
    assert h.interrupted and not h.metrics and h.num_examples > 0
    assert h.train_seconds > 0 and h.examples_per_sec > 0
    # d2l's figure counts training steps only, so it is never below the end-to-end one
    assert h.examples_per_sec >= h.wall_examples_per_sec > 0
    # a whole number, not a suffix: "30590.0 examples/sec" is a fine speed on a tiny net
    assert not re.search(r"(?<![\d.])0\.0 examples/sec", capsys.readouterr().out)


def test_checkpoint_and_resume_round_trip(tmp_path):
    path = tmp_path / "ckpt" / "vgg.pt"
    net1, h1 = fit(epochs=1, checkpoint=path)
    assert path.is_file() and not list(path.parent.glob("*.tmp"))
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


def weights(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_failed_resume_leaves_the_weights_alone(tmp_path):
    path = tmp_path / "c.pt"
    fit(epochs=1, checkpoint=path)
    wider = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(),
                          nn.MaxPool2d(4), nn.Flatten(), nn.Linear(8 * 7 * 7, 10))
    before = weights(wider)
    with pytest.raises(TrainingError, match="not changed"):
        fit(wider, epochs=2, checkpoint=path, resume=True)
    assert same(before, weights(wider))
    torch.save([1, 2, 3], path)                                # not a checkpoint at all
    with pytest.raises(TrainingError):
        fit(tiny_net(), epochs=2, checkpoint=path, resume=True)


@pytest.mark.parametrize("device", ["mps", "cuda:3", "tpu", "gpu0"])
def test_an_unusable_device_touches_nothing(device):
    if device == "mps" and T.usable_device is not None and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    torch.manual_seed(0)
    net = tiny_net()
    before = weights(net)
    train, test = tiny_data()
    with pytest.raises(CourseError):
        T.train_ch6(net, train, test, 1, 0.1, device, live=False)
    assert same(before, weights(net))


@pytest.mark.parametrize("net, word", [
    (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 28 * 28, 10)),
     "in_channels"),
    (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 32 * 32, 10)),
     "input_size"),
    (nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), "num_classes"),
])
def test_a_net_that_does_not_fit_the_data_is_refused_before_training(net, word):
    before = weights(net)
    train, test = tiny_data()
    with pytest.raises(CourseError, match=word) as info:
        T.train_ch6(net, train, test, 1, 0.1, "cpu", live=False)
    assert "Traceback" not in str(info.value) and len(str(info.value)) < 400
    assert same(before, weights(net))


@pytest.mark.parametrize("kw, word", [
    ({"num_epochs": 1.5}, "num_epochs"), ({"num_epochs": "3"}, "num_epochs"),
    ({"num_epochs": -1}, "num_epochs"), ({"lr": "0.1"}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"lr": 0}, "lr"), ({"lr": None}, "lr"), ({"schedule": "step"}, "schedule"),
])
def test_bad_arguments_name_the_parameter(kw, word):
    args = {"num_epochs": 1, "lr": 0.1, **kw}
    net = tiny_net()
    before = weights(net)
    train, test = tiny_data()
    extra = {k: v for k, v in kw.items() if k == "schedule"}
    with pytest.raises(CourseError, match=word):
        T.train_ch6(net, train, test, args["num_epochs"], args["lr"], "cpu", live=False, **extra)
    assert same(before, weights(net))


@pytest.mark.parametrize("make_bad", ["parent_is_a_file", "path_is_a_folder"])
def test_a_checkpoint_that_cannot_be_written(tmp_path, make_bad, capsys):
    if make_bad == "parent_is_a_file":
        (tmp_path / "afile").write_text("x")
        path = tmp_path / "afile" / "vgg.pt"
        _, h = fit(epochs=2, checkpoint=path)                  # warned, training goes on
        assert h.stop_reason == "finished" and len(h.metrics) == 2
        assert len(h.warnings) == 2 and "Could not write" in h.warnings[0]
        assert "Could not write" in capsys.readouterr().out
    else:
        (tmp_path / "folder").mkdir()
        with pytest.raises(CourseError, match="folder"):
            fit(epochs=2, checkpoint=tmp_path / "folder")
    assert not list(tmp_path.rglob("*.tmp"))


def test_resume_without_a_file_says_so(tmp_path, capsys):
    _, h = fit(epochs=1, checkpoint=tmp_path / "none.pt", resume=True)
    assert "no checkpoint" in capsys.readouterr().out and len(h.metrics) == 1


def test_resuming_replays_the_uninterrupted_run(tmp_path):
    """Epoch 2 after a resume sees the same batches as in one run of 2 epochs."""
    def run(epochs, **kw):
        torch.manual_seed(0)
        net = tiny_net()
        train, test = tiny_data()
        T.train_ch6(net, train, test, epochs, 0.1, "cpu", precision="fp32", live=False, **kw)
        return net

    straight = run(2)
    path = tmp_path / "c.pt"
    run(1, checkpoint=path)
    torch.manual_seed(99)                                       # another session's state
    net = tiny_net()
    train, test = tiny_data()
    T.train_ch6(net, train, test, 2, 0.1, "cpu", precision="fp32", live=False,
                checkpoint=path, resume=True)
    for a, b in zip(straight.parameters(), net.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


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

    import matplotlib.figure

    calls = {"display": 0, "update": 0, "bar": 0, "blanked": 0}

    class Handle:
        def __init__(self, figure):
            self.figure = figure

        def update(self, obj, raw=False):
            if self.figure:
                calls["update"] += 1
            elif raw and obj == {"text/plain": ""}:
                calls["blanked"] += 1

    def fake_display(obj, display_id=None):
        assert display_id is True
        figure = isinstance(obj, matplotlib.figure.Figure)
        calls["display" if figure else "bar"] += 1
        return Handle(figure)

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setattr("course_utils.train.live.in_notebook", lambda: True)
    _, h = fit(epochs=2, live=True)
    assert calls["display"] == 1                               # one figure output...
    assert calls["update"] >= 2 * 2                            # ...redrawn per epoch and within
    assert calls["bar"] == 1 and calls["blanked"] == 1         # one bar, blanked at the end


def test_plain_text_lines_outside_a_notebook(capsys):
    _, h = fit(epochs=2, live=True)
    out = capsys.readouterr().out
    assert "epoch 1/2: train loss" in out and "epoch 2/2: train loss" in out and "ETA" in out


def test_text_progress_between_epochs_keeps_its_promise(capsys):
    _, h = fit(epochs=1, live=True, text_every=0.0)            # a line after every batch
    lines = [l for l in capsys.readouterr().out.splitlines() if "batch" in l]
    assert len(lines) == 4 and "batch 4/4" in lines[-1] and "ETA" in lines[-1]
    messages.set_lang("zh")
    fit(epochs=1, live=True, text_every=0.0)
    out = capsys.readouterr().out
    assert "第 1/1 轮，第 4/4 批" in out and "训练损失" in out


# ---------------------------------------------------------------- profiles


def test_profiles_and_choice(monkeypatch):
    ref = T.PROFILES["reference"]
    assert (ref.ratio, ref.lr, ref.num_epochs, ref.batch_size, ref.input_size, ref.init) == \
        (4, 0.05, 10, 128, 224, "xavier")                      # the book's recipe, exactly
    assert (ref.precision, ref.schedule) == ("fp32", "constant")   # as d2l trains
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


def test_cli_lists_profiles(capsys, monkeypatch):
    assert T.main(["--list"]) == 0
    assert "cpu-quick" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_PROFILE", "cpu-quik")            # a typo must not break --list
    assert T.main(["--list"]) == 0
    with pytest.raises(SystemExit):
        T.main(["--help"])
    assert "cpu-quik" in capsys.readouterr().out


def test_smoke_profile_really_trains_and_the_loss_falls():
    net, h = T.run_profile("smoke", live=False)
    assert h.stop_reason == "finished" and len(h.metrics) == T.PROFILES["smoke"].num_epochs
    assert h.metrics[-1]["train_loss"] < h.metrics[0]["train_loss"]
    assert h.metrics[-1]["test_acc"] > 0.3                     # chance is 0.1
    assert isinstance(net[0], nn.Sequential)                   # the lesson's VGG, not a stand-in


# ---------------------------------------------------------------- round 3: nothing lost


def test_a_probe_in_which_every_format_failed_is_not_cached(monkeypatch):
    from course_utils.train import precision as P

    def broken(*args, **kwargs):
        raise RuntimeError("no kernel for this format")
    real = P._stepper
    monkeypatch.setattr(P, "_stepper", broken)
    choice = T.choose_precision(tiny_net(), (64, 1, 28, 28), torch.device("cpu"))
    assert choice.precision == "fp32" and not any(choice.seconds.values())
    assert not (P.cache_dir() / "precision.json").exists()
    monkeypatch.setattr(P, "_stepper", real)        # (undo() would drop the private cache too)
    again = T.choose_precision(tiny_net(), (64, 1, 28, 28), torch.device("cpu"))
    assert not again.cached and again.seconds["fp32"] is not None   # measured, not read back


def test_the_checkpoint_keeps_the_plan_and_every_random_state(tmp_path):
    path = tmp_path / "c.pt"
    fit(epochs=1, lr=0.2, checkpoint=path, schedule="cosine")
    saved = torch.load(path, weights_only=True)
    assert saved["plan"] == {"lr": 0.2, "num_epochs": 1, "schedule": "cosine"}
    assert saved["torch_rng"].dtype == torch.uint8 and saved["torch_rng"].numel() > 0
    if torch.cuda.is_available():
        assert len(saved["cuda_rng"]) == torch.cuda.device_count()
    else:
        assert saved["cuda_rng"] is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_resume_puts_back_the_cuda_random_state(tmp_path):
    path = tmp_path / "c.pt"
    fit(epochs=1, checkpoint=path)
    saved = torch.load(path, weights_only=True)["cuda_rng"]
    torch.cuda.manual_seed_all(1234)                          # another session's state
    fit(epochs=1, checkpoint=path, resume=True)               # nothing to train: restore only
    assert all(torch.equal(torch.cuda.get_rng_state(i), s) for i, s in enumerate(saved))


def test_constant_schedule_may_go_on_to_more_epochs_and_says_so(tmp_path, capsys):
    path = tmp_path / "c.pt"
    fit(epochs=1, checkpoint=path)
    _, h = fit(epochs=2, checkpoint=path, resume=True)
    assert len(h.metrics) == 2 and "planned with num_epochs=1, with 1 epoch done" in capsys.readouterr().out
    assert torch.load(path, weights_only=True)["plan"]["num_epochs"] == 2
