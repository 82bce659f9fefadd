"""oneDNN's fp32 Linear: nn.Linear's results and gradients, its checkpoints, chosen by measuring."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from course_utils.train import fast_linear as F
from course_utils.train import probe_cache

CPU = torch.device("cpu")
needs_onednn = pytest.mark.skipif(not F.onednn_available(), reason="no oneDNN in this torch")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: False)


def pair(i: int, o: int, bias: bool = True):
    torch.manual_seed(0)
    plain = nn.Linear(i, o, bias=bias)
    fast = nn.Linear(i, o, bias=bias)
    fast.load_state_dict(plain.state_dict())
    F.swap_linears(fast)
    return plain, fast


@needs_onednn
@pytest.mark.parametrize("shape, i, o, bias", [((128, 512), 512, 256, True),
                                               ((7, 33), 33, 10, True),
                                               ((16, 64), 64, 32, False),
                                               ((2, 5, 40), 40, 24, True)])
def test_forward_and_every_gradient_match_nn_linear(shape, i, o, bias):
    plain, fast = pair(i, o, bias)
    assert type(fast) is F.FastLinear
    x = torch.randn(shape)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    grad_out = torch.randn(*shape[:-1], o)
    y1, y2 = plain(x1), fast(x2)
    assert y2.shape == y1.shape
    torch.testing.assert_close(y2, y1, rtol=1e-5, atol=1e-5)
    y1.backward(grad_out)
    y2.backward(grad_out)
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fast.weight.grad, plain.weight.grad, rtol=1e-5, atol=1e-4)
    if bias:
        torch.testing.assert_close(fast.bias.grad, plain.bias.grad, rtol=1e-5, atol=1e-5)


@needs_onednn
def test_the_fast_path_is_really_taken(monkeypatch):
    calls = []
    real = F._onednn_mm
    monkeypatch.setattr(F, "_onednn_mm", lambda *a: calls.append(1) or real(*a))
    _, fast = pair(8, 4)
    fast(torch.randn(3, 8, requires_grad=True)).sum().backward()
    assert len(calls) == 3                       # forward, grad of input, grad of weight


def test_other_formats_and_devices_keep_nn_linear(monkeypatch):
    calls = []
    monkeypatch.setattr(F, "_onednn_mm", lambda *a: calls.append(1))
    plain, fast = pair(8, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert fast(torch.randn(3, 8)).dtype == torch.bfloat16
    x = torch.randn(3, 8, dtype=torch.float64)
    torch.testing.assert_close(fast.double()(x), plain.double()(x))
    if torch.cuda.is_available():
        fast.float().cuda()(torch.randn(3, 8, device="cuda"))
    assert calls == []


def test_without_onednn_the_layer_is_nn_linear(monkeypatch):
    monkeypatch.setattr(F, "onednn_available", lambda: False)
    plain, fast = pair(8, 4)
    x = torch.randn(3, 8)
    assert torch.equal(fast(x), plain(x))
    choice = F.choose_linear(nn.Sequential(nn.Linear(8, 4)), 128, CPU)
    assert not choice.fast and "no oneDNN" in choice.reason("en")


def test_state_dict_repr_and_checkpoints_are_the_same_either_way():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    keys, text = list(net.state_dict()), repr(net)
    buffer = io.BytesIO()
    with F.fast_linears(net):
        assert type(net[1]) is F.FastLinear
        assert list(net.state_dict()) == keys and repr(net) == text
        torch.save(net.state_dict(), buffer)      # saved while fast...
    assert type(net[1]) is nn.Linear              # ...plain again afterwards
    buffer.seek(0)
    plain = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    plain.load_state_dict(torch.load(buffer))     # ...and loads into a plain network
    x = torch.randn(2, 12)
    assert torch.equal(plain(x), net(x))
    fast = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    F.swap_linears(fast)
    fast.load_state_dict(net.state_dict())        # and a plain one's loads into a fast one
    torch.testing.assert_close(fast(x), net(x))


@needs_onednn
def test_chosen_only_when_more_than_five_percent_faster():
    net = nn.Sequential(nn.Linear(16, 8))
    assert F.choose_linear(net, 128, CPU, measure=lambda s, b: (1.0, 0.5)).fast
    slow = F.choose_linear(net, 128, CPU, measure=lambda s, b: (1.0, 0.97))
    assert not slow.fast and "not faster" in slow.reason("en")
    fast = F.choose_linear(net, 128, CPU, measure=lambda s, b: (1.0, 0.5))
    assert fast.reason("en") == "Linear: oneDNN (2.0× torch's own here)"
    assert fast.reason("zh") == "全连接层：oneDNN（比 torch 默认快 2.0 倍）"


def test_gpus_and_networks_without_linear_layers_say_nothing():
    net = nn.Sequential(nn.Conv2d(1, 2, 3))
    assert F.choose_linear(net, 128, CPU).reason() == ""
    assert F.choose_linear(nn.Linear(2, 2), 128, torch.device("cuda")).reason() == ""


@needs_onednn
def test_the_choice_is_measured_once_then_cached(monkeypatch):
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    first = F.choose_linear(net, 128, CPU)
    assert not first.cached and first.kept and first.torch_seconds > 0
    second = F.choose_linear(net, 128, CPU)
    assert second.cached and second.fast == first.fast
    assert not F.choose_linear(net, 64, CPU).cached            # another batch, another key
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: True)
    busy = F.choose_linear(net, 32, CPU)
    assert not busy.kept and not F.choose_linear(net, 32, CPU).cached


@needs_onednn
@pytest.mark.parametrize("faster", [True, False])
def test_the_trainer_uses_it_in_fp32_says_so_and_leaves_the_net_plain(monkeypatch, capsys,
                                                                       faster):
    from course_utils import messages
    from course_utils.train import train_ch6
    from tests.test_train import tiny_data, tiny_net

    monkeypatch.setattr(F, "_measure", lambda s, b: (1.0, 0.5 if faster else 0.99))
    calls = []
    real = F._onednn_mm
    monkeypatch.setattr(F, "_onednn_mm", lambda *a: calls.append(1) or real(*a))
    before = messages.get_lang()
    messages.set_lang("en")
    torch.manual_seed(0)
    net = tiny_net()
    train, test = tiny_data()
    try:
        history = train_ch6(net, train, test, 1, 0.1, "cpu", precision="fp32", live=False)
    finally:
        messages.set_lang(before)
    out = capsys.readouterr().out
    if faster:
        assert "Linear: oneDNN (2.0× torch's own here)" in out and calls
    else:
        assert "Linear: torch's own (oneDNN was not faster here)" in out and not calls
    assert history.final["test_acc"] > 0.1
    assert all(type(m) is not F.FastLinear for m in net.modules())
