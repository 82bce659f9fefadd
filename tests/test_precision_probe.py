"""The precision probe's rules: turns, medians and spreads, what is kept and for how long."""

from __future__ import annotations

import json
import time

import pytest
import torch
from torch import nn

from course_utils import machine
from course_utils.train import precision as P
from course_utils.train import probe_cache

CPU = torch.device("cpu")
SHAPE = (64, 1, 28, 28)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: False)


def tiny_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))


def steps_of(table: dict):
    """A fake ``measure``: each format's step times in turn; records the call order."""
    calls, left = [], {k: list(v) for k, v in table.items()}

    def measure(precision):
        calls.append(precision)
        times = left[precision]
        return times.pop(0) if len(times) > 1 else times[0]
    return measure, calls


def cached_entry() -> dict:
    entries = json.loads((machine.cache_dir() / P.CACHE_FILE).read_text())
    assert len(entries) == 1
    return next(iter(entries.values()))


def test_formats_take_turns_step_by_step():
    measure, calls = steps_of({"fp32": [0.1], "bf16": [0.1]})
    P.choose_precision(tiny_net(), SHAPE, CPU, measure=measure)
    assert len(calls) >= 2 * P.PROBE_ROUNDS
    assert calls == ["fp32", "bf16"] * (len(calls) // 2)


def test_quick_steps_get_more_rounds_slow_ones_the_minimum():
    quick, quick_calls = steps_of({"fp32": [0.01], "bf16": [0.01]})
    P.choose_precision(tiny_net(), SHAPE, CPU, measure=quick)
    assert len(quick_calls) == 2 * P.PROBE_MAX_ROUNDS
    slow, slow_calls = steps_of({"fp32": [P.PROBE_SECONDS], "bf16": [P.PROBE_SECONDS]})
    P.choose_precision(tiny_net(), SHAPE, CPU, measure=slow)
    assert len(slow_calls) == 2 * P.PROBE_ROUNDS


def test_the_median_decides_and_the_spread_is_recorded(monkeypatch):
    # one freak slow fp32 step (another program woke up) must not hand bf16 the win
    measure, _ = steps_of({"fp32": [1.0, 9.0, 1.0, 1.0], "bf16": [0.95]})
    monkeypatch.setattr(P, "_stepper", lambda net, shape, n, dev, precision, fast=False:
                        lambda: measure(precision))
    choice = P.choose_precision(tiny_net(), SHAPE, CPU)
    assert choice.precision == "fp32" and choice.seconds["fp32"] == pytest.approx(1.0)
    assert choice.spread["fp32"] == pytest.approx(8.0) and choice.spread["bf16"] == 0
    entry = cached_entry()
    assert entry["spread"]["fp32"] == pytest.approx(8.0)
    assert entry["seconds"]["bf16"] == pytest.approx(0.95)


@pytest.mark.parametrize("before, after", [(True, False), (False, True)])
def test_a_probe_on_a_busy_machine_is_used_but_not_kept(monkeypatch, before, after):
    checks = iter([before, after])
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: next(checks))
    choice = P.choose_precision(tiny_net(), SHAPE, CPU)
    assert choice.seconds["fp32"] is not None and not choice.kept
    assert not (machine.cache_dir() / P.CACHE_FILE).exists()
    monkeypatch.setattr(probe_cache, "machine_busy", lambda: False)
    again = P.choose_precision(tiny_net(), SHAPE, CPU)
    assert not again.cached and again.kept and (machine.cache_dir() / P.CACHE_FILE).exists()


def test_busy_means_more_than_half_the_cpus(monkeypatch):
    monkeypatch.undo()
    n = machine.cpu_info().cores
    monkeypatch.setattr(probe_cache.os, "getloadavg", lambda: (n / 2 + 0.1, 0.0, 0.0))
    assert probe_cache.machine_busy()
    monkeypatch.setattr(probe_cache.os, "getloadavg", lambda: (n / 2 - 0.1, 0.0, 0.0))
    assert not probe_cache.machine_busy()


def test_a_kept_decision_expires(monkeypatch, capsys):
    P.choose_precision(tiny_net(), SHAPE, CPU)                       # measured and kept
    assert P.choose_precision(tiny_net(), SHAPE, CPU).cached
    file = machine.cache_dir() / P.CACHE_FILE
    entries = json.loads(file.read_text())
    for entry in entries.values():
        entry["time"] = time.time() - (probe_cache.MAX_AGE_DAYS + 1) * 86400
    file.write_text(json.dumps(entries))
    old = P.choose_precision(tiny_net(), SHAPE, CPU)
    assert not old.cached and old.kept
    assert "days old" in capsys.readouterr().err
    assert P.choose_precision(tiny_net(), SHAPE, CPU).cached        # the new one is kept


def test_expiry_rules():
    now = time.time()
    assert not probe_cache.expired({"time": now - 86400}, now)
    assert probe_cache.expired({"time": now - 31 * 86400}, now)
    assert probe_cache.expired({}, now) and probe_cache.expired({"time": "yesterday"}, now)
    assert probe_cache.expired({"time": now + 86400}, now)           # a clock set back


def test_the_key_changes_with_the_cpu_torch_and_linear_path(monkeypatch):
    net = tiny_net()
    base = P.cache_key(net, SHAPE, CPU)
    assert P.cache_key(net, SHAPE, CPU, fast_linear=True) != base
    monkeypatch.setattr(P.torch, "__version__", "0.0.1")
    assert P.cache_key(net, SHAPE, CPU) != base
    monkeypatch.undo()
    other = machine.CPU(name="Other CPU", family="6", model="143")
    monkeypatch.setattr(P, "cpu_info", lambda: other)
    assert P.cache_key(net, SHAPE, CPU) != base


def test_the_probe_uses_the_real_batch(monkeypatch):
    shapes = []

    def stepper(net, shape, n, device, precision, fast=False):
        shapes.append(shape)
        return lambda: 0.1
    monkeypatch.setattr(P, "_stepper", stepper)
    P.choose_precision(tiny_net(), (128, 1, 28, 28), CPU)
    assert shapes == [(128, 1, 28, 28)] * 2


def test_the_probe_leaves_every_random_state_alone():
    net = tiny_net()                          # (it seeds the generator itself)
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    P.choose_precision(net, SHAPE, CPU, use_cache=False)
    assert torch.equal(torch.rand(2), expected)
    if torch.cuda.is_available():             # fork_rng must name the GPUs as well
        net = tiny_net().cuda()
        torch.cuda.manual_seed_all(3)
        expected = torch.rand(2, device="cuda")
        torch.cuda.manual_seed_all(3)
        P.choose_precision(net, SHAPE, torch.device("cuda"), use_cache=False)
        assert torch.equal(torch.rand(2, device="cuda"), expected)
