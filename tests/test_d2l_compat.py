"""d2l itself (installed with --no-deps on current libraries) runs on our data."""

import torch

from course_utils import data


def test_d2l_loads_our_data_offline(tmp_path, monkeypatch):
    from d2l import torch as d2l

    # d2l reads root="../data" relative to the working directory.
    work = tmp_path / "work"
    work.mkdir()
    data.prepare_torchvision_root(tmp_path / "data")
    monkeypatch.chdir(work)
    monkeypatch.setattr(d2l, "get_dataloader_workers", lambda: 0)  # 4 workers crawl on 2 cores
    train_iter, test_iter = d2l.load_data_fashion_mnist(128, resize=64)
    assert (len(train_iter), len(test_iter)) == (469, 79)
    X, y = next(iter(test_iter))
    _, ours = data.load_data_fashion_mnist(128, resize=64)
    X_ours, y_ours = next(iter(ours))
    assert X.shape == X_ours.shape == (128, 1, 64, 64)
    assert torch.equal(y, y_ours)
    assert (X - X_ours).abs().max().item() <= 1 / 255 + 1e-6
