"""Fashion-MNIST: the real data, the in-memory loader, and what goes wrong."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from course_utils import data
from course_utils.messages import DataError


@pytest.fixture(scope="module")
def train():
    return data.load_fashion_mnist(True)


def test_real_dataset_shapes_and_statistics(train):
    images, labels = train
    test_images, test_labels = data.load_fashion_mnist(False)
    assert images.shape == (60000, 1, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (60000,) and labels.dtype == torch.int64
    assert test_images.shape == (10000, 1, 28, 28) and test_labels.shape == (10000,)
    assert torch.bincount(labels).tolist() == [6000] * 10
    assert torch.bincount(test_labels).tolist() == [1000] * 10
    assert round(images.double().mean().item(), 2) == 72.94


def test_loader_matches_d2l_contract():
    train_iter, test_iter = data.load_data_fashion_mnist(128, seed=0)
    assert (len(train_iter), len(test_iter)) == (469, 79)
    X, y = next(iter(train_iter))
    assert X.shape == (128, 1, 28, 28) and X.dtype == torch.float32
    assert 0 <= X.min() and X.max() <= 1 and y.dtype == torch.int64
    # The test set comes in order, the training set shuffled.
    _, y_test = next(iter(test_iter))
    assert torch.equal(y_test, data.load_fashion_mnist(False)[1][:128])
    assert not torch.equal(y, data.load_fashion_mnist(True)[1][:128])
    # Every example once per epoch; the last batch is the remainder.
    sizes = [len(y) for _, y in test_iter]
    assert sum(sizes) == 10000 and sizes[-1] == 10000 - 78 * 128


def test_loader_resizes_and_moves():
    train_iter, _ = data.load_data_fashion_mnist(32, resize=96, device="cpu")
    X, _ = next(iter(train_iter))
    assert X.shape == (32, 1, 96, 96)


@pytest.mark.parametrize("size", [224, 96, 64, 14])
def test_resize_agrees_with_torchvision_on_pil(train, size):
    """Our per-batch resize equals d2l's PIL pipeline to within one grey level."""
    images = train[0][:64]
    theirs = torch.stack([transforms.ToTensor()(transforms.Resize(size)(Image.fromarray(img[0].numpy())))
                          for img in images])
    ours = data.resize_batch(images.float() / 255, size)
    assert ours.shape == theirs.shape == (64, 1, size, size)
    assert (ours - theirs).abs().max().item() <= 1 / 255 + 1e-6


def test_text_labels_both_languages():
    assert data.get_fashion_mnist_labels([0, 9], "en") == ["t-shirt", "ankle boot"]
    assert data.get_fashion_mnist_labels([0, 9], "zh") == ["T恤", "短靴"]


def _copy_dataset(tmp_path):
    source = data.find_dataset_dir()
    for name in data.FILES:
        found = data._file_in(source, name)
        shutil.copy(found, tmp_path / found.name)
    return tmp_path


@pytest.mark.parametrize("damage", ["truncate", "flip", "header"])
def test_corrupt_file_is_named(tmp_path, damage):
    folder = _copy_dataset(tmp_path)
    path = data._file_in(folder, "t10k-labels-idx1-ubyte")
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if damage == "truncate":
        raw = raw[:-100]
    elif damage == "flip":
        raw = raw[:-1] + bytes([(raw[-1] + 1) % 256])
    else:
        raw = b"\x00\x00\x08\x03" + raw[4:]
    target = folder / "t10k-labels-idx1-ubyte"
    path.unlink()
    target.write_bytes(raw)
    with pytest.raises(DataError) as info:
        data.read_idx(target)
    assert "t10k-labels-idx1-ubyte" in info.value.en and "t10k-labels-idx1-ubyte" in info.value.zh
    assert "Delete it and get it again" in info.value.en


def test_corrupt_gzip_is_named(tmp_path):
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        data.read_idx(bad)


def test_dataset_found_through_environment_variable(tmp_path, monkeypatch):
    folder = _copy_dataset(tmp_path)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    assert data.find_dataset_dir() == folder
    assert data.ensure_dataset(allow_install=False, allow_download=False) == folder


def test_missing_dataset_gives_one_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "candidate_dirs", lambda: [tmp_path / "nowhere"])
    monkeypatch.setattr(data, "REPO_DATA", tmp_path / "data")
    data.load_fashion_mnist.cache_clear()
    try:
        with pytest.raises(DataError) as info:
            data.load_fashion_mnist(True)
        assert "FASHION_MNIST_DIR" in info.value.en and "dataset-fashion-mnist" in info.value.zh
        # The download fallback fails here (no internet) and says so, not a traceback.
        dead_mirror = "http://127.0.0.1:9/"
        with pytest.raises(DataError, match="Downloading http://127.0.0.1:9/"):
            data.download(tmp_path / "dl", mirror=dead_mirror, timeout=2)
        assert data.main(["--no-install", "--no-download"]) == 1
        err = capsys.readouterr().err
        assert "Fashion-MNIST" in err and "make data" in err
    finally:
        data.load_fashion_mnist.cache_clear()


def test_download_checks_checksum(tmp_path, monkeypatch):
    """A mirror that serves the wrong bytes is refused and nothing is kept."""
    import http.server
    import threading

    (tmp_path / "mirror").mkdir()
    for name in data.DOWNLOAD_MD5:
        (tmp_path / "mirror" / f"{name}.gz").write_bytes(gzip.compress(b"not the data"))
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=tmp_path / "mirror", **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DataError, match="wrong checksum"):
            data.download(tmp_path / "dl", mirror=f"http://127.0.0.1:{server.server_port}/")
        assert not any((tmp_path / "dl").iterdir())
    finally:
        server.shutdown()


def test_torchvision_layout_is_standard_idx(tmp_path):
    root = data.prepare_torchvision_root(tmp_path)
    raw = root / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte"
    assert raw.stat().st_size == 60008
    labels = np.frombuffer(raw.read_bytes()[8:], dtype=np.uint8)
    assert np.array_equal(labels, data.load_fashion_mnist(True)[1].numpy())


# ------------------------------------------------------------------ search by validity, downloads


def _tiny_release(monkeypatch):
    """A one-file data set of 3 labels, and a fake mirror serving it: the download path
    runs end to end without the internet. Returns (raw bytes, served gzip, log of URLs)."""
    import http.client  # noqa: F401 - the mirror may raise one of its errors

    raw = np.array([2049, 3], dtype=">u4").tobytes() + bytes([7, 1, 4])
    payload = gzip.compress(raw)
    monkeypatch.setattr(data, "FILES", {"t10k-labels-idx1-ubyte": (2049, (3,), hashlib.md5(raw).hexdigest())})
    monkeypatch.setattr(data, "DOWNLOAD_MD5", {"t10k-labels-idx1-ubyte": hashlib.md5(payload).hexdigest()})
    fetched = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.body
    monkeypatch.setattr(data.urllib.request, "urlopen",
                        lambda url, timeout=None: fetched.append(url) or Answer(payload))
    return raw, payload, fetched


def test_download_is_checked_then_renamed_into_place(tmp_path, monkeypatch):
    raw, _, fetched = _tiny_release(monkeypatch)
    dest = data.download(tmp_path / "raw", mirror="http://mirror/")
    assert (dest / "t10k-labels-idx1-ubyte").read_bytes() == raw
    assert [p.name for p in dest.iterdir()] == ["t10k-labels-idx1-ubyte"]   # no .tmp left
    assert fetched == ["http://mirror/t10k-labels-idx1-ubyte.gz"]
    # a good file already there is checked and kept, not fetched again
    data._VERIFIED.clear()
    data.download(dest, mirror="http://mirror/")
    assert len(fetched) == 1


def test_a_damaged_downloaded_file_is_fetched_again(tmp_path, monkeypatch, capsys):
    from course_utils import messages

    monkeypatch.setattr(messages, "_lang", "en")
    raw, _, fetched = _tiny_release(monkeypatch)
    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / "t10k-labels-idx1-ubyte").write_bytes(raw[:-1])          # an earlier cut download
    data.download(dest, mirror="http://mirror/")
    assert (dest / "t10k-labels-idx1-ubyte").read_bytes() == raw and len(fetched) == 1
    assert "t10k-labels-idx1-ubyte: 10 bytes, expected 11: truncated or damaged: downloading it " \
        "again" in capsys.readouterr().err


def test_an_interrupted_write_leaves_neither_half_a_file_nor_a_tmp(tmp_path, monkeypatch):
    _tiny_release(monkeypatch)

    def interrupted(fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(data.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.download(tmp_path / "raw", mirror="http://mirror/")
    assert list((tmp_path / "raw").iterdir()) == []


def test_a_cut_connection_is_a_data_error(tmp_path, monkeypatch):
    import http.client

    def cut(url, timeout=None):
        raise http.client.IncompleteRead(b"\x1f\x8b", 500)
    monkeypatch.setattr(data.urllib.request, "urlopen", cut)
    with pytest.raises(DataError, match="IncompleteRead") as info:
        data.download(tmp_path / "raw", mirror="http://mirror/")
    assert "FASHION_MNIST_DIR" in info.value.en
    assert list((tmp_path / "raw").iterdir()) == []


def test_a_damaged_copy_does_not_hide_a_good_one(tmp_path, monkeypatch, capsys):
    good = data.find_dataset_dir()
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in data.FILES:
        (bad / data._file_in(good, name).name).symlink_to(data._file_in(good, name).resolve())
    (bad / "t10k-labels-idx1-ubyte.gz").unlink()
    (bad / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + bytes(100))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(bad))
    data._said.clear()
    found = data.find_dataset_dir()
    assert found != bad and data.check_dataset_dir(found) is None
    err = capsys.readouterr().err
    assert str(bad) in err and "t10k-labels-idx1-ubyte" in err
    assert len(err.strip().splitlines()) == 1                     # one short line
    data.find_dataset_dir()                                         # said once per process
    assert capsys.readouterr().err == ""


def test_an_empty_data_folder_is_passed_over_in_silence(tmp_path, capsys):
    (tmp_path / "FashionMNIST").mkdir()          # what prepare_torchvision_root leaves in data/
    good = data.find_dataset_dir()
    assert data.find_dataset_dir([tmp_path, good]) == good
    assert capsys.readouterr().err == ""


def test_verification_is_paid_once_per_process(monkeypatch):
    good = data.find_dataset_dir()
    data.find_dataset_dir([good])                  # the first look pays
    calls = []
    real = data._check_raw
    monkeypatch.setattr(data, "_check_raw", lambda *a: calls.append(a[2]) or real(*a))
    data.find_dataset_dir([good])
    assert calls == []                             # every file of the good copy is cached


@pytest.mark.parametrize("env,lang", [
    ({"COURSE_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    ({"COURSE_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),   # LC_ALL wins, as in POSIX
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_language_follows_course_lang_then_the_locale(env, lang):
    from course_utils.messages import default_lang
    assert default_lang(env) == lang


def test_make_data_speaks_chinese_in_a_chinese_shell(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("COURSE_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env["LANG"] = "zh_CN.UTF-8"
    env["FASHION_MNIST_DIR"] = str(tmp_path / "nowhere")
    run = subprocess.run([sys.executable, "-m", "course_utils.data", "--no-install", "--no-download"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Fashion-MNIST 数据集完好" in run.stdout
