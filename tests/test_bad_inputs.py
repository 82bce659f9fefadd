"""Every bad input a student can make: one short message in their language, nothing lost.

One row per case, in ``CASES``. Each row is run in both languages and checked the
same way:

* the failure is a :class:`CourseError` (or the subclass the row names), never a
  raw ``TypeError``/``RuntimeError``/``PermissionError``;
* its message is in the language set: Chinese characters present for zh, absent
  for en; except the language switch's own error, which is always in both, since
  we cannot know which one the reader understands;
* nothing was lost: the row's ``nothing_lost`` check (files intact, no ``.tmp``
  left, the good copy of the data still used...).

A row whose input is handled without an exception (a damaged copy skipped in
favour of a good one, an explorer showing its reason) has ``expect=None``; its
action returns the words the student sees (or prints them to stderr), and those
are checked the same way.

To add a case: write a function ``action(ctx)`` (``ctx.tmp`` is a fresh folder,
``ctx.monkeypatch`` undoes itself, ``ctx.keep`` carries what ``nothing_lost``
should compare) and append a :class:`Case`.
"""

from __future__ import annotations

import gzip
import http.client
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from course_utils import data, messages
from course_utils.messages import CourseError, DataError, LanguageError, TrainingError

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Case:
    name: str
    action: Callable[[Any], Any]
    expect: type | None = CourseError      # None: handled, no exception
    nothing_lost: Callable[[Any], None] | None = None
    words_en: str | None = None            # must appear in the English message
    not_words: tuple[str, ...] = ()        # must appear in neither language
    bilingual: bool = False                # the message is in both languages


# ------------------------------------------------------------------ data: fake folders


def _good_copy() -> Path:
    folder = data.find_dataset_dir()
    if folder is None:
        pytest.skip("no good copy of Fashion-MNIST on this machine (make data)")
    return folder


def _copy_with(ctx, damage: Callable[[bytes], bytes] | None, name="t10k-labels-idx1-ubyte",
               gz: bool = False) -> Path:
    """A folder of the four files: links to the good copy, except ``name``, which is
    written decompressed (or gzipped when ``gz``) and then passed through ``damage``."""
    good = _good_copy()
    folder = ctx.tmp / "copy"
    folder.mkdir()
    for other in data.FILES:
        source = data._file_in(good, other)
        if other != name:
            (folder / source.name).symlink_to(source.resolve())
    raw = data._read_raw(data._file_in(good, name))
    target = folder / (f"{name}.gz" if gz else name)
    target.write_bytes(damage(gzip.compress(raw) if gz else raw))   # .gz: damage the gzip itself
    ctx.keep.update(folder=folder, good=good, damaged=target, damaged_bytes=target.read_bytes())
    return folder


def _only(ctx, *folders):
    ctx.monkeypatch.setattr(data, "candidate_dirs", lambda: list(folders))


def _before_good(ctx, folder):
    """The damaged folder first, then the good copy (as $FASHION_MNIST_DIR comes first)."""
    ctx.monkeypatch.setattr(data, "candidate_dirs", lambda: [folder, ctx.keep["good"]])


def truncate(raw):
    return raw[:-100]


def flip_last_byte(raw):
    return raw[:-1] + bytes([(raw[-1] + 1) % 256])


def wrong_header(raw):
    return b"\x00\x00\x08\x03" + raw[4:]


def _skipped_for_good(damage, gz=False):
    def action(ctx):
        _before_good(ctx, _copy_with(ctx, damage, gz=gz))
        found = data.ensure_dataset(allow_install=False, allow_download=False)
        ctx.keep["found"] = found
        return None          # the skip line on stderr is what the student reads
    return action


def good_copy_used_and_damage_kept(ctx):
    assert ctx.keep["found"] == ctx.keep["good"], "the good copy further down was not used"
    assert ctx.keep["damaged"].read_bytes() == ctx.keep["damaged_bytes"], "a file was changed"
    assert not list(ctx.keep["folder"].glob("*.tmp")) and not list(ctx.tmp.rglob(".*.tmp"))


def damaged_file_kept(ctx):
    assert ctx.keep["damaged"].read_bytes() == ctx.keep["damaged_bytes"]


def _only_damaged(damage):
    def action(ctx):
        _only(ctx, _copy_with(ctx, damage))
        data.load_fashion_mnist.cache_clear()
        try:
            data.load_fashion_mnist(False)
        finally:
            data.load_fashion_mnist.cache_clear()
    return action


def _closed_folder(ctx):
    """A good copy whose folder cannot be listed (every file good: only the folder is closed)."""
    folder = _copy_with(ctx, lambda raw: raw)
    real_listdir = data.os.listdir

    def listdir(path="."):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)
    # root ignores file modes (chmod 000 would still read), so the refusal is simulated
    ctx.monkeypatch.setattr(data.os, "listdir", listdir)
    return folder


def _unreadable_folder(ctx):
    _only(ctx, _closed_folder(ctx))
    data.ensure_dataset(allow_install=False, allow_download=False)


def _unreadable_file(ctx):
    folder = _copy_with(ctx, lambda raw: raw)
    damaged = ctx.keep["damaged"]
    real_read = Path.read_bytes

    def read_bytes(self):
        if self == damaged:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)
    ctx.monkeypatch.setattr(Path, "read_bytes", read_bytes)
    _only(ctx, folder)
    data.ensure_dataset(allow_install=False, allow_download=False)


def _unreadable_folder_before_good(ctx):
    _before_good(ctx, _closed_folder(ctx))
    ctx.keep["found"] = data.ensure_dataset(allow_install=False, allow_download=False)


def _download_next_to_own_file(ctx):
    """Download into a folder that already holds one of the student's own files."""
    dest = ctx.tmp / "raw"
    dest.mkdir()
    keep = dest / "keep-me.txt"
    keep.write_text("the student's own file")
    ctx.keep.update(dest=dest, own=keep)
    data.download(dest, mirror="http://127.0.0.1:9/")


def _download_cut(ctx):
    """The connection drops mid-file: http.client.IncompleteRead, not an OSError."""
    def urlopen(url, timeout=None):
        raise http.client.IncompleteRead(b"\x1f\x8b partial", 1000)
    ctx.monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)
    _download_next_to_own_file(ctx)


def download_left_nothing(ctx):
    dest = ctx.keep["dest"]
    assert sorted(p.name for p in dest.iterdir()) == ["keep-me.txt"], list(dest.iterdir())
    assert ctx.keep["own"].read_text() == "the student's own file"


def _download_garbage(ctx):
    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return gzip.compress(b"not the data")
    ctx.monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout=None: Answer())
    _download_next_to_own_file(ctx)


def _env_dir_is_a_file(ctx):
    """FASHION_MNIST_DIR names one of the files instead of their folder."""
    good = _good_copy()
    ctx.keep.update(good=good)
    one = ctx.tmp / "train-images-idx3-ubyte.gz"
    one.write_bytes(b"not even the data")
    ctx.monkeypatch.setenv("FASHION_MNIST_DIR", str(one))
    ctx.monkeypatch.setattr(data, "candidate_dirs",
                            lambda: [Path(data.os.environ["FASHION_MNIST_DIR"]), good])
    ctx.keep["found"] = data.ensure_dataset(allow_install=False, allow_download=False)


def _env_dir_without_data(exists: bool):
    """FASHION_MNIST_DIR names a folder that is not there, or one without the files."""
    def action(ctx):
        good = _good_copy()
        ctx.keep.update(good=good)
        named = ctx.tmp / "my-data"
        if exists:
            named.mkdir()
        ctx.monkeypatch.setenv("FASHION_MNIST_DIR", str(named))
        ctx.monkeypatch.setattr(data, "candidate_dirs",
                                lambda: [Path(data.os.environ["FASHION_MNIST_DIR"]), good])
        ctx.keep["found"] = data.ensure_dataset(allow_install=False, allow_download=False)
    return action


def _folder_link_loop(ctx):
    """data/ holds a link that points back to itself where a folder was expected."""
    loop = ctx.tmp / "FashionMNIST"
    loop.symlink_to(loop)
    ctx.keep["good"] = _good_copy()
    _before_good(ctx, loop)
    ctx.keep["found"] = data.ensure_dataset(allow_install=False, allow_download=False)


def _file_link_loop(ctx):
    """One of the four files is a link that loops; the other three are good."""
    folder = _copy_with(ctx, lambda raw: raw)
    ctx.keep["damaged"].unlink()
    ctx.keep["damaged"].symlink_to(ctx.keep["damaged"])
    _before_good(ctx, folder)
    ctx.keep["found"] = data.ensure_dataset(allow_install=False, allow_download=False)


def good_copy_used(ctx):
    assert ctx.keep["found"] == ctx.keep["good"], "the good copy further down was not used"


def _lab_with_env_dir_a_file(ctx):
    """`make lab` with FASHION_MNIST_DIR naming a file and no other copy: a note, no exit."""
    from course_utils import lab
    one = ctx.tmp / "t10k-labels-idx1-ubyte"
    one.write_bytes(b"x")
    _only(ctx, one)
    ctx.monkeypatch.setattr(data, "install_debian_package", lambda: False)

    def no_download(*args, **kwargs):
        raise DataError(*data.HOW_TO_GET)
    ctx.monkeypatch.setattr(data, "download", no_download)
    lab._check_data()                      # returns: lessons 1-3 need no data


def _data_cli_with_wrong_course_lang(ctx):
    """`COURSE_LANG=fr make data`: exit 1 and a message in both languages."""
    ctx.monkeypatch.setenv("COURSE_LANG", "fr")
    ctx.monkeypatch.setattr(messages, "_lang", None)
    assert data.main(["--no-install", "--no-download"]) == 1


# ------------------------------------------------------------------ models, explorers, language


def _vgg(**kwargs):
    from course_utils.models import VGG11, vgg

    args = dict(conv_arch=VGG11, in_channels=1, num_classes=10, input_size=224)
    args.update(kwargs)
    return lambda ctx: vgg(**args)


def _scale(ratio):
    from course_utils.models import VGG11, scale_arch
    return lambda ctx: scale_arch(VGG11, ratio)


def _vgg_block(*args):
    from course_utils.models import vgg_block
    return lambda ctx: vgg_block(*args)


def _explorer_all_blocks_off(ctx):
    from course_utils.widgets import vgg_explorer

    explorer = vgg_explorer(messages.get_lang())
    for slider in explorer.blocks:
        slider.value = 0
    assert explorer.report is None and explorer.error
    return explorer.error


def _layer_table(shape):
    def action(ctx):
        from course_utils.shapes import layer_table
        from course_utils.models import VGG11, scale_arch, vgg
        layer_table(vgg(scale_arch(VGG11, 16), input_size=64), shape)
    return action


def _start_lesson(lang):
    def action(ctx):
        from course_utils.notebook import start_lesson
        start_lesson(lang)
    return action


def _language_unchanged(ctx):
    assert messages.get_lang() == ctx.lang, "a refused language switch changed the language"


def _explorer(kind, lang):
    def action(ctx):
        from course_utils import widgets
        getattr(widgets, kind)(lang)
    return action


def _lab_token(token):
    def action(ctx):
        from course_utils.lab import lab_command
        lab_command(8888, token)
    return action


# ------------------------------------------------------------------ training


def _tiny_net(channels=4):
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, channels, kernel_size=3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(4), nn.Flatten(), nn.Linear(channels * 7 * 7, 10))


def _tiny_data():
    import torch
    from course_utils.data import InMemoryLoader

    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (128,), generator=g)
    images = torch.randint(0, 255, (128, 1, 28, 28), generator=g, dtype=torch.uint8)
    return (InMemoryLoader(images, labels, 64, shuffle=True, seed=0),
            InMemoryLoader(images, labels, 64, shuffle=False))


def _train(ctx, net=None, epochs=1, lr=0.1, device="cpu", **kw):
    """train_ch6 on tiny data; the net's weights are kept in ctx for the check."""
    from course_utils.train import train_ch6

    ctx.monkeypatch.setenv("VGG_COURSE_CACHE", str(ctx.tmp / "cache"))
    net = net if net is not None else _tiny_net()
    ctx.keep.setdefault("net", net)
    ctx.keep.setdefault("weights", {k: v.clone() for k, v in net.state_dict().items()})
    train, test = _tiny_data()
    return train_ch6(net, train, test, epochs, lr, device, live=False, **kw)


def weights_unchanged(ctx):
    import torch
    now = ctx.keep["net"].state_dict()
    assert all(torch.equal(now[k], v) for k, v in ctx.keep["weights"].items()), \
        "the student's weights were changed by a run that was refused"


def _resume_other_net(ctx):
    path = ctx.tmp / "vgg.pt"
    _train(SimpleNamespace(tmp=ctx.tmp, monkeypatch=ctx.monkeypatch, keep={}),
           checkpoint=path)
    ctx.keep["checkpoint"] = (path, path.read_bytes())
    _train(ctx, net=_tiny_net(channels=8), epochs=2, checkpoint=path, resume=True)


def checkpoint_and_weights_kept(ctx):
    weights_unchanged(ctx)
    path, saved = ctx.keep["checkpoint"]
    assert path.read_bytes() == saved, "the checkpoint was changed"


def _resume_from_a_list(ctx):
    import torch
    path = ctx.tmp / "list.pt"
    torch.save([1, 2, 3], path)
    ctx.keep["checkpoint"] = (path, path.read_bytes())
    _train(ctx, epochs=2, checkpoint=path, resume=True)


def _bad_device(device):
    def action(ctx):
        import torch
        if device == "mps" and torch.backends.mps.is_available():
            pytest.skip("this machine has MPS")
        _train(ctx, device=device)
    return action


def _net_not_fitting(kind):
    def action(ctx):
        from torch import nn
        nets = {
            "in_channels": nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(),
                                         nn.Linear(4 * 28 * 28, 10)),
            "input_size": nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(),
                                        nn.Linear(4 * 32 * 32, 10)),
            "num_classes": nn.Sequential(nn.Flatten(), nn.Linear(784, 5)),
        }
        _train(ctx, net=nets[kind])
    return action


def _train_args(**kw):
    def action(ctx):
        args = {"epochs": 1, "lr": 0.1, **kw}
        _train(ctx, **args)
    return action


def _unwritable_checkpoint(ctx):
    (ctx.tmp / "a-file").write_text("x")
    history = _train(ctx, epochs=2, checkpoint=ctx.tmp / "a-file" / "vgg.pt")
    assert history.stop_reason == "finished" and len(history.metrics) == 2
    ctx.keep["history"] = history
    return history.warnings[0]


def _checkpoint_on_a_full_disk(ctx):
    """Every write of the checkpoint meets a full disk (Linux's /dev/full answers ENOSPC)."""
    import torch
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    save = torch.save

    def onto_a_full_disk(obj, f, *args, **kwargs):
        with open("/dev/full", "wb") as full:
            save(obj, full, *args, **kwargs)
    ctx.monkeypatch.setattr(torch, "save", onto_a_full_disk)
    history = _train(ctx, epochs=2, checkpoint=ctx.tmp / "vgg.pt")
    assert history.stop_reason == "finished" and len(history.metrics) == 2
    assert not list(ctx.tmp.glob("*vgg.pt*")), "a partial checkpoint was left behind"
    ctx.keep["history"] = history
    return history.warnings[0]


def history_returned(ctx):
    history = ctx.keep["history"]
    assert history.summary and (history.metrics or history.stop_reason == "diverged"), \
        "the History was lost"


def _diverging(ctx):
    import torch
    history = _train(ctx, epochs=2, lr=1e6)
    assert history.stop_reason == "diverged"
    assert all(torch.isfinite(p).all() for p in ctx.keep["net"].parameters())
    ctx.keep["history"] = history
    return history.message


def _resume_without_file(ctx, capsys=None):
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = _train(ctx, checkpoint=ctx.tmp / "none.pt", resume=True)
    ctx.keep["history"] = history
    return out.getvalue().splitlines()[0]


def _cli(*argv, env=None):
    def action(ctx):
        import contextlib
        import io
        from course_utils.train import main
        for k, v in (env or {}).items():
            ctx.monkeypatch.setenv(k, v)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(argv))
        assert code in (0, 1), code
        return err.getvalue() or "(listed)"
    return action


def _checkpoint_of_one_epoch(ctx, name="vgg.pt", **kw):
    """A checkpoint written by an earlier run (1 epoch), kept in ctx for the check."""
    path = ctx.tmp / name
    _train(SimpleNamespace(tmp=ctx.tmp, monkeypatch=ctx.monkeypatch, keep={}),
           checkpoint=path, **kw)
    ctx.keep["checkpoint"] = (path, path.read_bytes())
    return path


def _said_on_stdout(ctx, **kw):
    """Train, and return what train_ch6 printed (a note is the student's message)."""
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ctx.keep["history"] = _train(ctx, **kw)
    return out.getvalue()


def _note(text, start):
    return next(line for line in text.splitlines() if line.startswith(start))


def _over_an_old_checkpoint(ctx):
    path = _checkpoint_of_one_epoch(ctx)
    text = _said_on_stdout(ctx, epochs=1, checkpoint=path)
    return _note(text, ("Note", "提示"))


def old_checkpoint_kept_beside(ctx):
    import torch
    path, saved = ctx.keep["checkpoint"]
    beside = [p for p in path.parent.glob("vgg.*.pt")]
    assert len(beside) == 1 and beside[0].read_bytes() == saved, "the old checkpoint was lost"
    assert torch.load(path, weights_only=True)["epoch"] == len(ctx.keep["history"].metrics)
    assert not ctx.keep["history"].warnings, ctx.keep["history"].warnings


def _old_checkpoint_that_cannot_move(ctx):
    from course_utils.train import checkpoints
    path = _checkpoint_of_one_epoch(ctx)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(src))
    ctx.monkeypatch.setattr(checkpoints.os, "rename", refuse)
    _said_on_stdout(ctx, epochs=2, checkpoint=path)
    return ctx.keep["history"].warnings[0]


def old_checkpoint_untouched(ctx):
    path, saved = ctx.keep["checkpoint"]
    assert path.read_bytes() == saved, "the old checkpoint was overwritten"
    history = ctx.keep["history"]
    assert history.stop_reason == "finished" and len(history.metrics) == 2


def _two_runs_save_at_once(ctx):
    """While this run writes its checkpoint, another run saves to the same path."""
    import torch
    from course_utils.train import checkpoints

    path = _checkpoint_of_one_epoch(ctx)
    other = _tiny_net(channels=8)
    real_save = torch.save

    def save_then_the_other_run_saves(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        if not ctx.keep.get("other_saved"):
            ctx.keep["other_saved"] = True
            checkpoints.save_checkpoint(path, other, torch.optim.SGD(other.parameters(), lr=0.1),
                                        [], 0.1)
    ctx.monkeypatch.setattr(torch, "save", save_then_the_other_run_saves)
    text = _said_on_stdout(ctx, epochs=1, checkpoint=path)
    assert ctx.keep["other_saved"]
    return _note(text, ("Note", "提示"))


def _another_run_between_epochs(ctx):
    """Another run saves to this run's checkpoint path between its epochs 1 and 2."""
    import torch
    from course_utils.train import checkpoints, loop

    path = ctx.tmp / "vgg.pt"
    other = _tiny_net(channels=8)
    real_eval = loop.evaluate_accuracy
    calls = []

    def evaluate_then_the_other_run_saves(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:            # epoch 2 is tested: this run saved epoch 1 already
            checkpoints.save_checkpoint(path, other, torch.optim.SGD(other.parameters(), lr=0.1),
                                        [], 0.1)
            ctx.keep["checkpoint"] = (path, path.read_bytes())
        return real_eval(*args, **kwargs)
    ctx.monkeypatch.setattr(loop, "evaluate_accuracy", evaluate_then_the_other_run_saves)
    return _note(_said_on_stdout(ctx, epochs=2, checkpoint=path), ("Note", "提示"))


def _resume_with_a_new_lr(ctx):
    from course_utils.train import read_checkpoint

    path = _checkpoint_of_one_epoch(ctx)
    net = _tiny_net()
    ctx.keep["epoch1"] = read_checkpoint(path, net)["model"]
    # a learning rate too small to move anything: epoch 2 ends where epoch 1 did
    text = _said_on_stdout(ctx, net=net, epochs=2, lr=1e-12, checkpoint=path, resume=True)
    ctx.keep["after"] = {k: v.clone() for k, v in net.state_dict().items()}
    return _note(text, ("Note: the first", "提示：前"))


def _resume_a_finished_run(ctx):
    path = _checkpoint_of_one_epoch(ctx)
    text = _said_on_stdout(ctx, epochs=1, checkpoint=path, resume=True)
    assert ctx.keep["history"].num_examples == 0
    return _note(text, ("Note", "提示"))


def net_holds_the_checkpoint(ctx):
    import io
    import torch
    path, saved = ctx.keep["checkpoint"]
    assert path.read_bytes() == saved, "the checkpoint was changed"
    model = torch.load(io.BytesIO(saved), weights_only=True)["model"]
    now = ctx.keep["net"].state_dict()
    assert all(torch.equal(now[k], v) for k, v in model.items()), "the trained weights were lost"


def new_lr_used_and_told(ctx):
    import torch
    history = ctx.keep["history"]
    assert history.lr == 1e-12 and len(history.metrics) == 2
    for k, v in ctx.keep["epoch1"].items():
        assert torch.allclose(ctx.keep["after"][k], v, atol=1e-6), \
            f"{k} moved: the checkpoint's lr=0.1 was used, not the new one"
    path, _ = ctx.keep["checkpoint"]
    assert torch.load(path, weights_only=True)["plan"]["lr"] == 1e-12


def _resume_with_another_plan(**kw):
    def action(ctx):
        path = _checkpoint_of_one_epoch(ctx, schedule="cosine", epochs=1)
        _train(ctx, checkpoint=path, resume=True, **kw)
    return action


def _checkpoint_with_bad_rng(value):
    """``value``: what the checkpoint holds as torch's random state; "7 zero bytes" is a
    tensor of the right type and the wrong size."""
    def action(ctx):
        import torch
        path = _checkpoint_of_one_epoch(ctx)
        state = torch.load(path, weights_only=True)
        state["torch_rng"] = (torch.zeros(7, dtype=torch.uint8) if value == "7 zero bytes"
                              else value)
        torch.save(state, path)
        ctx.keep["checkpoint"] = (path, path.read_bytes())
        _train(ctx, epochs=2, checkpoint=path, resume=True)
    return action


def _interrupted_while_saving(ctx):
    """Ctrl-C lands while epoch 2's checkpoint is being written."""
    import torch
    real_save = torch.save
    saves = []

    def save(obj, f, *args, **kwargs):
        saves.append(1)
        if len(saves) == 2:
            raise KeyboardInterrupt
        real_save(obj, f, *args, **kwargs)
    ctx.monkeypatch.setattr(torch, "save", save)
    path = ctx.tmp / "vgg.pt"
    history = _train(ctx, epochs=3, checkpoint=path)
    ctx.keep.update(history=history, path=path)
    return history.message


def checkpoint_holds_what_was_said(ctx):
    import torch
    history = ctx.keep["history"]
    assert history.stop_reason == "interrupted" and len(history.metrics) == 2
    assert torch.load(ctx.keep["path"], weights_only=True)["epoch"] == 1


def _zero_epochs_after_training(ctx):
    net = _tiny_net()
    _train(SimpleNamespace(tmp=ctx.tmp, monkeypatch=ctx.monkeypatch, keep={}), net=net)
    return _note(_said_on_stdout(ctx, net=net, epochs=0), ("Note", "提示"))


def _run_the_training_cell_twice(ctx):
    """One loader, the cell run twice (net built after torch.manual_seed each time)."""
    import torch
    from course_utils.train import train_ch6

    ctx.monkeypatch.setenv("VGG_COURSE_CACHE", str(ctx.tmp / "cache"))
    train, test = _tiny_data()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = _tiny_net()
        runs.append(train_ch6(net, train, test, 2, 0.1, "cpu", live=False, precision="fp32"))
    ctx.keep["runs"] = runs
    return runs[1].summary[-1]


def same_numbers_twice(ctx):
    first, second = ctx.keep["runs"]
    assert first.metrics == second.metrics, (first.metrics, second.metrics)


def _net_returning_a_tuple(ctx):
    from torch import nn

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = _tiny_net()

        def forward(self, x):
            return self.body(x), x.mean()
    _train(ctx, net=WithExtra())


def _net_without_parameters(ctx):
    from torch import nn
    _train(ctx, net=nn.Sequential(nn.Flatten()))


def _cpu_out_of_memory(ctx):
    from torch import nn

    class Greedy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, x):
            if self.training:
                raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. "
                                   "DefaultCPUAllocator: can't allocate memory: you tried to "
                                   "allocate 9663676416 bytes. Error code 12 (Cannot allocate "
                                   "memory)")
            return self.lin(x.flatten(1))
    _train(ctx, net=Greedy(), init=None)


def _precision_cache(content):
    """precision.json holding ``content`` (text, bytes, or a callable of the real entries)."""
    def action(ctx):
        import torch
        from course_utils.train import precision as P
        from course_utils.train import probe_cache

        ctx.monkeypatch.setenv("VGG_COURSE_CACHE", str(ctx.tmp / "cache"))
        ctx.monkeypatch.setattr(probe_cache, "machine_busy", lambda: False)   # keep the probe
        net, shape, cpu = _tiny_net(), (64, 1, 28, 28), torch.device("cpu")
        file = ctx.tmp / "cache" / "precision.json"
        file.parent.mkdir(parents=True, exist_ok=True)
        key = P.cache_key(net, (min(64, P.PROBE_MAX_BATCH), 1, 28, 28), cpu)
        content_ = content(key) if callable(content) else content
        if isinstance(content_, bytes):
            file.write_bytes(content_)
        else:
            file.write_text(content_)
        choice = P.choose_precision(net, shape, cpu)
        ctx.keep.update(choice=choice, file=file, key=key)
    return action


def measured_again_and_cache_mended(ctx):
    import json
    choice = ctx.keep["choice"]
    assert not choice.cached and choice.probe_seconds > 0, "the damaged entry was used"
    entry = json.loads(ctx.keep["file"].read_text())[ctx.keep["key"]]
    assert entry["precision"] in ("fp32", "bf16")


def _entry(precision, seconds, stamp="now"):
    import json
    import time

    def entry(key):
        e = {"precision": precision, "seconds": seconds}
        if stamp is not None:
            e["time"] = time.time() if stamp == "now" else stamp
        return json.dumps({key: e})
    return entry


def _every_format_fails(ctx):
    """No format could be timed (a broken build, say): fp32, said as a default, not kept."""
    import torch
    from course_utils.train import precision as P

    ctx.monkeypatch.setenv("VGG_COURSE_CACHE", str(ctx.tmp / "cache"))

    def broken(precision):
        raise RuntimeError(f"{precision} kernel missing")
    choice = P.choose_precision(_tiny_net(), (64, 1, 28, 28), torch.device("cpu"),
                                measure=broken)
    assert choice.precision == "fp32" and not choice.kept
    assert not (ctx.tmp / "cache" / "precision.json").exists()
    return choice.reason()


GBK_RUN = """
import torch
from torch import nn
from course_utils.data import InMemoryLoader
from course_utils.train import train_ch6
torch.manual_seed(0)
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
images = torch.randint(0, 255, (128, 1, 28, 28), dtype=torch.uint8)
labels = torch.randint(0, 10, (128,))
data = InMemoryLoader(images, labels, 64, shuffle=True, seed=0)
h = train_ch6(net, data, data, 2, 1e6, "cpu", live=False, precision="fp32")
assert h.stop_reason == "diverged"
"""


def _gbk_console(ctx):
    """A Chinese Windows console (GBK) has no "⚠️": the message is printed all the same."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "COURSE_LANG": ctx.lang,
           "VGG_COURSE_CACHE": str(ctx.tmp / "cache")}
    done = subprocess.run([sys.executable, "-c", GBK_RUN], cwd=Path(__file__).parents[1],
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")[-2000:]
    return next(line for line in done.stdout.decode("gbk").splitlines() if "[!]" in line)


def _long_cpu_run(precision):
    """Any run counts as long here: the estimate line is what the student reads."""
    def action(ctx):
        from course_utils.train import memory
        ctx.monkeypatch.setattr(memory, "LONG_RUN_SECONDS", 0)
        return _note(_said_on_stdout(ctx, epochs=2, precision=precision),
                     ("Estimate", "预计"))
    return action


def _probe_said_before_it_runs(ctx):
    """A probe on a big network takes a while: the student reads why before it starts."""
    import contextlib
    import io
    from course_utils.train import precision as P

    out, seen_first = io.StringIO(), []
    stepper = P._stepper

    def spy(*args, **kwargs):
        seen_first.append(out.getvalue())          # what was printed before the first step
        return stepper(*args, **kwargs)
    ctx.monkeypatch.setattr(P, "_stepper", spy)
    with contextlib.redirect_stdout(out):
        ctx.keep["history"] = _train(ctx, epochs=1, precision="auto")
    assert seen_first, "the probe did not run"
    return _note(seen_first[0], ("Measuring", "先测"))


def _lab_serve_without_token(ctx):
    from course_utils import lab
    ctx.monkeypatch.delenv("JUPYTER_TOKEN", raising=False)
    assert lab.main(["--serve"]) == 1


CASES = [
    # ---- data: a damaged or unreadable copy never hides a good one, and is never deleted
    Case("data: truncated file before a good copy", _skipped_for_good(truncate), None,
         good_copy_used_and_damage_kept, words_en="truncated"),
    Case("data: garbled bytes before a good copy", _skipped_for_good(flip_last_byte), None,
         good_copy_used_and_damage_kept, words_en="wrong checksum"),
    Case("data: wrong header before a good copy", _skipped_for_good(wrong_header), None,
         good_copy_used_and_damage_kept, words_en="wrong header"),
    Case("data: broken gzip before a good copy", _skipped_for_good(truncate, gz=True), None,
         good_copy_used_and_damage_kept, words_en="not a complete gzip file"),
    Case("data: the only copy is truncated", _only_damaged(truncate), DataError,
         damaged_file_kept, words_en="Delete it and get it again"),
    Case("data: unreadable folder", _unreadable_folder, DataError,
         words_en="no permission to open this folder", not_words=("Delete it", "删除它")),
    Case("data: unreadable file", _unreadable_file, DataError,
         words_en="do not delete it", not_words=("Delete it and get", "请删除它")),
    Case("data: unreadable folder before a good copy", _unreadable_folder_before_good, None,
         good_copy_used_and_damage_kept, words_en="no permission"),
    Case("data: download cut off (IncompleteRead)", _download_cut, DataError,
         download_left_nothing, words_en="IncompleteRead"),
    Case("data: download with a wrong checksum", _download_garbage, DataError,
         download_left_nothing, words_en="wrong checksum"),
    Case("data: FASHION_MNIST_DIR names a file", _env_dir_is_a_file, None, good_copy_used,
         words_en="this is a file, not a folder"),
    Case("data: FASHION_MNIST_DIR names no folder", _env_dir_without_data(False), None,
         good_copy_used, words_en="this folder does not exist; looking elsewhere"),
    Case("data: FASHION_MNIST_DIR names an empty folder", _env_dir_without_data(True), None,
         good_copy_used, words_en="it holds no Fashion-MNIST files"),
    Case("data: a folder link that loops", _folder_link_loop, None, good_copy_used,
         words_en="loops back on itself"),
    Case("data: a file link that loops", _file_link_loop, None, good_copy_used,
         words_en="loops back on itself"),
    Case("make lab: FASHION_MNIST_DIR names a file, no other copy", _lab_with_env_dir_a_file,
         None, words_en="Lessons 1-3 work without the data set"),
    Case("data: COURSE_LANG=fr for make data", _data_cli_with_wrong_course_lang, None,
         bilingual=True, words_en="COURSE_LANG must be"),
    # ---- types and values, each naming the parameter and the type it wants
    Case("vgg: input_size='224'", _vgg(input_size="224"), words_en="the text '224'"),
    Case("vgg: input_size=None", _vgg(input_size=None), words_en="input_size must be a whole number"),
    Case("vgg: input_size=nan", _vgg(input_size=float("nan")), words_en="nan (not a number)"),
    Case("vgg: block (1.5, 64)", _vgg(conv_arch=[(1.5, 64)]), words_en="Block 1: the number of "
         "convolutions must be a whole number"),
    Case("vgg: block ('1', 64)", _vgg(conv_arch=[("1", 64)]), words_en="the text '1'"),
    Case("vgg: block (1, 64, 3)", _vgg(conv_arch=[(1, 64, 3)]), words_en="must be a pair"),
    Case("vgg: conv_arch='VGG11'", _vgg(conv_arch="VGG11"), words_en="without quotes"),
    Case("vgg: in_channels=0", _vgg(in_channels=0), words_en="in_channels must be a positive"),
    Case("vgg: num_classes=2.5", _vgg(num_classes=2.5), words_en="num_classes must be a whole"),
    Case("scale_arch: ratio=None", _scale(None), words_en="ratio must be a whole number"),
    Case("scale_arch: ratio=nan", _scale(float("nan")), words_en="ratio must be a whole number"),
    Case("scale_arch: ratio=0", _scale(0), words_en="ratio must be a positive integer"),
    Case("scale_arch: ratio=-1", _scale(-1), words_en="ratio must be a positive integer"),
    Case("vgg_block: num_convs='2'", _vgg_block("2", 1, 8),
         words_en="num_convs must be a whole number"),
    Case("layer_table: 3 channels into a 1-channel net", _layer_table((1, 3, 64, 64)),
         words_en="first convolution takes 1 input channel"),
    Case("layer_table: shape with text", _layer_table((1, 1, "64", 64)),
         words_en="input_shape[2] must be a whole number"),
    Case("explorer: every block slider at 0", _explorer_all_blocks_off, None,
         words_en="slider", not_words=("conv_arch",)),
    # ---- the language switch: only zh/en, said in both
    Case("set_lang('fr')", lambda ctx: messages.set_lang("fr"), LanguageError,
         _language_unchanged, bilingual=True, words_en='must be "zh" (Chinese) or "en"'),
    Case("set_lang(None)", lambda ctx: messages.set_lang(None), LanguageError,
         _language_unchanged, bilingual=True),
    Case("start_lesson('fr')", _start_lesson("fr"), LanguageError, _language_unchanged,
         bilingual=True),
    Case("start_lesson(None)", _start_lesson(None), LanguageError, _language_unchanged,
         bilingual=True),
    Case("vgg_explorer(lang='fr')", _explorer("vgg_explorer", "fr"), LanguageError,
         _language_unchanged, bilingual=True),
    Case("block_explorer(lang='EN')", _explorer("block_explorer", "EN"), LanguageError,
         _language_unchanged, bilingual=True),
    # ---- training: checked before any weight changes; nothing lost when it goes wrong
    Case("train: resume from another network's checkpoint", _resume_other_net,
         TrainingError, checkpoint_and_weights_kept, words_en="was not changed"),
    Case("train: resume from a file holding a list", _resume_from_a_list, TrainingError,
         checkpoint_and_weights_kept, words_en="does not hold a checkpoint"),
    Case("train: device='mps' on a machine without it", _bad_device("mps"), CourseError,
         weights_unchanged, words_en="This machine has no mps"),
    Case("train: device='cuda:3' on a machine without it", _bad_device("cuda:3"), CourseError,
         weights_unchanged, words_en="has no cuda:3"),
    Case("train: device='gpu'", _bad_device("gpu"), CourseError, weights_unchanged,
         words_en="Unknown device"),
    Case("train: in_channels 3 for grey images", _net_not_fitting("in_channels"), CourseError,
         weights_unchanged, words_en="in_channels", not_words=("Traceback",)),
    Case("train: input_size other than the data's", _net_not_fitting("input_size"),
         CourseError, weights_unchanged, words_en="input_size"),
    Case("train: num_classes 5 for 10 classes", _net_not_fitting("num_classes"), CourseError,
         weights_unchanged, words_en="num_classes to 10"),
    Case("train: num_epochs=1.5", _train_args(epochs=1.5), CourseError, weights_unchanged,
         words_en="num_epochs must be a whole number"),
    Case("train: lr='0.1'", _train_args(lr="0.1"), CourseError, weights_unchanged,
         words_en="lr must be a number > 0, such as 0.05; got the text '0.1'"),
    Case("train: lr=nan", _train_args(lr=float("nan")), CourseError, weights_unchanged,
         words_en="lr must be a number"),
    Case("train: checkpoint in a folder that is a file", _unwritable_checkpoint, None,
         history_returned, words_en="Training goes on"),
    Case("train: checkpoint on a full disk", _checkpoint_on_a_full_disk, None,
         history_returned, words_en="The disk (or your quota) is full"),
    Case("train: checkpoint path is a folder",
         lambda ctx: _train(ctx, checkpoint=ctx.tmp), CourseError, weights_unchanged,
         words_en="is a folder"),
    Case("train: a learning rate that diverges", _diverging, None, history_returned,
         words_en="put back"),
    Case("train: resume=True before any checkpoint", _resume_without_file, None,
         history_returned, words_en="no checkpoint"),
    Case("train CLI: --device mps", _cli("--device", "mps", "--profile", "smoke"), None,
         words_en="This machine has no mps", not_words=("Traceback",)),
    Case("train CLI: COURSE_PROFILE typo", _cli("--profile", "cpu-quik"), None,
         words_en="There is no profile 'cpu-quik'"),
    # ---- checkpoints: never overwritten by surprise, never half-written by two runs
    Case("train: resume=False over an existing checkpoint", _over_an_old_checkpoint, None,
         old_checkpoint_kept_beside, words_en="moved to"),
    Case("train: an old checkpoint that cannot be moved aside", _old_checkpoint_that_cannot_move,
         None, old_checkpoint_untouched, words_en="so as not to overwrite it"),
    Case("train: two runs save to one checkpoint at the same moment", _two_runs_save_at_once,
         None, old_checkpoint_kept_beside, words_en="moved to"),
    Case("train: another run writes the checkpoint between two epochs",
         _another_run_between_epochs, None, old_checkpoint_kept_beside,
         words_en="another run wrote"),
    Case("train: Ctrl-C while the checkpoint is written", _interrupted_while_saving, None,
         checkpoint_holds_what_was_said, words_en="holds only the first 1 epoch "),
    # ---- resuming: the new lr wins and is said; a schedule that cannot continue is refused
    Case("train: resume with a new lr", _resume_with_a_new_lr, None, new_lr_used_and_told,
         words_en="the new lr=1e-12 is used"),
    Case("train: resume a run that is already finished", _resume_a_finished_run, None,
         net_holds_the_checkpoint, words_en="already holds 1 epoch, so num_epochs=1 trains no more"),
    Case("train: resume a cosine run with other epochs",
         _resume_with_another_plan(epochs=3, schedule="cosine"), TrainingError,
         checkpoint_and_weights_kept, words_en="continue with num_epochs=1"),
    Case("train: resume with another schedule",
         _resume_with_another_plan(epochs=1, schedule="constant"), TrainingError,
         checkpoint_and_weights_kept, words_en="continue with schedule='cosine'"),
    Case("train: checkpoint with a damaged random state", _checkpoint_with_bad_rng("7 zero bytes"),
         TrainingError, checkpoint_and_weights_kept, words_en="random state (torch_rng)"),
    Case("train: checkpoint with text as its random state", _checkpoint_with_bad_rng("seed 0"),
         TrainingError, checkpoint_and_weights_kept, words_en="is damaged"),
    # ---- what a run does with the weights it is given
    Case("train: num_epochs=0 after training", _zero_epochs_after_training, None,
         weights_unchanged, words_en="not re-initialised"),
    Case("train: the training cell run twice", _run_the_training_cell_twice, None,
         same_numbers_twice),
    Case("train: a net that returns a tuple", _net_returning_a_tuple, CourseError,
         weights_unchanged, words_en="return just the scores"),
    Case("train: a net without parameters", _net_without_parameters, CourseError,
         weights_unchanged, words_en="no parameters to train"),
    Case("train: the CPU runs out of memory", _cpu_out_of_memory, TrainingError,
         weights_unchanged, words_en="Out of memory (RAM)"),
    # ---- the precision cache: a damaged or hand-edited file is ignored and measured again
    Case("precision.json: []", _precision_cache("[]"), None, measured_again_and_cache_mended,
         words_en="measuring again"),
    Case("precision.json: null", _precision_cache("null"), None,
         measured_again_and_cache_mended, words_en="not a JSON object"),
    Case("precision.json: half a file", _precision_cache('{"abc": {"prec'), None,
         measured_again_and_cache_mended, words_en="damaged"),
    Case("precision.json: bad numbers", _precision_cache(_entry("bf16", {"fp32": "fast",
                                                                         "bf16": -1})),
         None, measured_again_and_cache_mended, words_en="edited or damaged"),
    Case("precision.json: fp16 on a CPU", _precision_cache(_entry("fp16", {"fp16": 0.1})),
         None, measured_again_and_cache_mended, words_en="measuring again"),
    Case("precision.json: bytes that are not UTF-8", _precision_cache(b"\xff\xfe{\x00\x9c"),
         None, measured_again_and_cache_mended, words_en="not a JSON object"),
    Case("precision.json: the chosen format never timed",
         _precision_cache(_entry("bf16", {"fp32": 0.2, "bf16": None})), None,
         measured_again_and_cache_mended, words_en="edited or damaged"),
    Case("precision.json: a decision with no timings",
         _precision_cache(_entry("bf16", None)), None,
         measured_again_and_cache_mended, words_en="edited or damaged"),
    Case("precision.json: a timestamp that is text",
         _precision_cache(_entry("bf16", {"fp32": 0.2, "bf16": 0.1}, stamp="yesterday")), None,
         measured_again_and_cache_mended, words_en="edited or damaged"),
    Case("precision probe: every format fails", _every_format_fails, None,
         words_en="no format could be timed"),
    Case("train: a long CPU run, precision measured", _long_cpu_run("auto"), None,
         history_returned, words_en="of memory"),
    Case("train: a long CPU run, precision as asked", _long_cpu_run("fp32"), None,
         history_returned, words_en="on this CPU"),
    Case("train: the precision probe is said before it runs", _probe_said_before_it_runs,
         None, history_returned, words_en="the next run skips this"),
    Case("train: a GBK console without the warning sign", _gbk_console, None,
         words_en="[!] Training stopped"),
    # ---- the lab never starts without a token
    Case("lab: empty token", _lab_token(""), words_en="does not start without one"),
    Case("lab: blank token", _lab_token("  "), words_en="does not start without one"),
    Case("lab: served without a token in the environment", _lab_serve_without_token, None,
         words_en="does not start without one"),
]


@pytest.fixture(params=["zh", "en"])
def lang(request):
    before = messages._lang
    messages.set_lang(request.param)
    yield request.param
    messages._lang = before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, lang, tmp_path, monkeypatch, capsys):
    ctx = SimpleNamespace(tmp=tmp_path, monkeypatch=monkeypatch, keep={}, lang=lang)
    data._said.clear()                      # skip lines are said once per process
    if case.expect is None:
        shown = case.action(ctx)
        text = shown if isinstance(shown, str) else capsys.readouterr().err
        assert text.strip(), "nothing was said to the student"
    else:
        with pytest.raises(Exception) as info:
            case.action(ctx)
        err = info.value
        assert isinstance(err, case.expect), f"{type(err).__name__}: {err}"
        text = str(err)
        assert err.zh and err.en and err.zh != err.en
        if case.words_en:
            assert case.words_en in err.en, err.en
    monkeypatch.undo()                      # the check below sees the real world again
    if case.bilingual:
        assert CJK.search(text) and re.search(r"[A-Za-z]{4,} [a-z]+", text), text
    elif lang == "zh":
        assert CJK.search(text), f"no Chinese in: {text!r}"
    else:
        assert not CJK.search(text), f"Chinese in the English message: {text!r}"
    if case.words_en and case.expect is None and lang == "en":
        assert case.words_en in text, text
    for word in case.not_words:
        assert word not in text, text
    if case.nothing_lost:
        case.nothing_lost(ctx)
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left behind"


def test_every_case_has_a_unique_name():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
