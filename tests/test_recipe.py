"""The trainer's recipe, checked against d2l's own ``train_ch6`` step for step.

A copy of the trainer with another optimizer, another init or evaluation in a
lower precision must fail here: each check is run once more on a "mutant" (the
recipe changed by monkeypatching) and must then go red.
"""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.train import loop
from course_utils.train.profiles import get_profile

# The recipe under test is the course's own "reference" profile: a change to it (init,
# number format, schedule) must show here as a step that d2l does not take.
REFERENCE = get_profile("reference")

SEED = 7
BATCHES, BATCH = 5, 8          # d2l's figure needs at least 5 batches per epoch


def small_net():
    # Dropout makes every step depend on the random state, as VGG's head does.
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(32, 10))


def loaders():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(BATCHES * BATCH, 1, 8, 8, generator=gen)
    y = torch.randint(0, 10, (BATCHES * BATCH,), generator=gen)
    data = TensorDataset(X, y)
    # A loader's own generator: starting an epoch then leaves torch's global RNG alone.
    return (DataLoader(data, batch_size=BATCH, generator=torch.Generator()),
            DataLoader(data, batch_size=BATCH, generator=torch.Generator()))


class _QuietAnimator:
    def __init__(self, *args, **kwargs):
        pass

    def add(self, *args, **kwargs):
        pass


def d2l_weights(monkeypatch, epochs=2, lr=0.05):
    from d2l import torch as d2l
    monkeypatch.setattr(d2l, "Animator", _QuietAnimator)
    train_iter, test_iter = loaders()
    torch.manual_seed(SEED)
    net = small_net()
    torch.manual_seed(SEED + 1)
    d2l.train_ch6(net, train_iter, test_iter, epochs, lr, torch.device("cpu"))
    return net.state_dict()


def course_weights(epochs=2, lr=REFERENCE.lr):
    train_iter, test_iter = loaders()
    torch.manual_seed(SEED)
    net = small_net()
    torch.manual_seed(SEED + 1)
    loop.train_ch6(net, train_iter, test_iter, epochs, lr, "cpu", init=REFERENCE.init,
                   precision=REFERENCE.precision, schedule=REFERENCE.schedule, live=False)
    return net.state_dict()


def same_weights(a, b):
    return all(torch.allclose(a[k], b[k], rtol=1e-5, atol=1e-6) for k in a)


def _momentum(monkeypatch):
    sgd = torch.optim.SGD
    monkeypatch.setattr(torch.optim, "SGD", lambda params, lr: sgd(params, lr=lr, momentum=0.9))


def _xavier_normal(monkeypatch):
    monkeypatch.setattr(nn.init, "xavier_uniform_", nn.init.xavier_normal_)


def _profile_in_bf16(monkeypatch):
    import dataclasses
    monkeypatch.setitem(globals(), "REFERENCE", dataclasses.replace(REFERENCE, precision="bf16"))


def _profile_cosine(monkeypatch):
    import dataclasses
    monkeypatch.setitem(globals(), "REFERENCE", dataclasses.replace(REFERENCE, schedule="cosine"))


MUTANTS = {"momentum 0.9": _momentum, "xavier_normal_": _xavier_normal,
           "reference profile in bf16": _profile_in_bf16,
           "reference profile with a cosine lr": _profile_cosine}


def test_reference_recipe_takes_d2ls_steps(monkeypatch):
    assert REFERENCE.lr == 0.05 and REFERENCE.batch_size == 128   # the book's numbers
    assert same_weights(d2l_weights(monkeypatch), course_weights())


@pytest.mark.parametrize("mutant", MUTANTS)
def test_a_changed_recipe_no_longer_matches_d2l(monkeypatch, mutant):
    expected = d2l_weights(monkeypatch)
    with monkeypatch.context() as m:
        MUTANTS[mutant](m)
        changed = course_weights()
    assert not same_weights(expected, changed)


def eval_dtypes(monkeypatch, wrap=None, precision="fp32"):
    """The dtype, and whether autocast was on, each time the net ran in eval mode,
    after training in ``precision``."""
    if wrap is not None:
        monkeypatch.setattr(loop, "autocast", wrap)
    seen = []
    net = small_net()

    def spy(module, args):
        if not module.training:
            seen.append((args[0].dtype, torch.is_autocast_enabled("cpu")))
    net[4].register_forward_pre_hook(spy)   # the first Linear, after conv and pooling
    train_iter, test_iter = loaders()
    loop.train_ch6(net, train_iter, test_iter, 1, 0.05, "cpu", precision=precision, live=False)
    return seen


# Training in bf16 is where a trainer is tempted to test in bf16 too.
@pytest.mark.parametrize("trained_in", ["fp32", "bf16"])
def test_evaluation_runs_in_fp32(monkeypatch, trained_in):
    seen = eval_dtypes(monkeypatch, precision=trained_in)
    assert seen and set(seen) == {(torch.float32, False)}


def test_evaluation_in_bf16_is_caught(monkeypatch):
    def bf16(device, precision):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    seen = eval_dtypes(monkeypatch, bf16)
    assert set(seen) != {(torch.float32, False)}


def test_evaluation_in_the_training_format_is_caught(monkeypatch):
    evaluate = loop.evaluate_accuracy

    def in_training_format(net, data_iter, device=None, precision="fp32"):
        return evaluate(net, data_iter, device, "bf16")         # trained in bf16 below
    monkeypatch.setattr(loop, "evaluate_accuracy", in_training_format)
    seen = eval_dtypes(monkeypatch, precision="bf16")
    assert set(seen) != {(torch.float32, False)}


def resumed_and_straight(tmp_path):
    """Weights after 2 epochs in one run, and after 1 epoch + a resumed second one."""
    def run(epochs, **kw):
        torch.manual_seed(SEED)
        net = small_net()
        train_iter, test_iter = loaders()
        loop.train_ch6(net, train_iter, test_iter, epochs, 0.05, "cpu", precision="fp32",
                       live=False, **kw)
        return net.state_dict()

    straight = run(2)
    path = tmp_path / "resume.pt"
    run(1, checkpoint=path)
    torch.manual_seed(SEED + 99)            # a new session: another random state
    net = small_net()
    train_iter, test_iter = loaders()
    loop.train_ch6(net, train_iter, test_iter, 2, 0.05, "cpu", precision="fp32", live=False,
                   checkpoint=path, resume=True)
    return straight, net.state_dict()


def test_resume_with_dropout_replays_the_uninterrupted_run(tmp_path):
    assert same_weights(*resumed_and_straight(tmp_path))


def test_resume_without_the_random_state_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(torch, "set_rng_state", lambda state: None)
    assert not same_weights(*resumed_and_straight(tmp_path))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lesson_4_divergence_cell_runs_and_diverges(capsys, monkeypatch, tmp_path, lang):
    """Run the lesson's own cells (set-up, the network, the too-large-lr cell), not
    their stored outputs, and see the run stop on a diverging loss, in the lesson's
    language, measuring in a cache of its own (never the user's)."""
    import json
    from pathlib import Path

    from IPython.display import display

    from course_utils import messages

    monkeypatch.setenv("VGG_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(messages, "_lang", messages._lang)      # start_lesson sets it
    path = Path(__file__).resolve().parent.parent / "notebooks" / lang / "04-training.ipynb"
    code = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"]
    [divergence] = [c for c in code if "1.0, device" in c]
    needed = [c for c in code[:code.index(divergence)]
              if "start_lesson(" in c or "conv_arch = " in c or "try_gpu()" in c]
    imports = [line for c in code[:code.index(divergence)] for line in c.splitlines()
               if line.startswith("from course_utils.train import")]
    namespace = {"display": display}
    for source in needed + ["\n".join(imports), divergence]:
        exec(compile(source, str(path), "exec"), namespace)
    out = capsys.readouterr().out
    assert namespace["bad"].stop_reason == "diverged"
    assert "⚠️" in out and ("发散" if lang == "zh" else "diverged") in out
