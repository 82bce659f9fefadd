"""layer_table against the real network and torchvision's published compute."""

import torch
from torch import nn

from course_utils.models import VGG11, num_params, scale_arch, vgg
from course_utils.shapes import human, layer_table


def test_rows_agree_with_real_forward():
    net = vgg(scale_arch(VGG11, 8), input_size=64)
    rows = layer_table(net, (1, 1, 64, 64))
    assert net.training  # the table does not leave the net in eval mode
    X = torch.rand(1, 1, 64, 64)
    net.eval()
    with torch.no_grad():
        for row, layer in zip(rows, net):
            X = layer(X)
            assert row.output_shape == tuple(X.shape)
            assert row.activations == X.numel()
            assert row.params == sum(p.numel() for p in layer.parameters())
    assert len(rows) == len(net)
    assert sum(r.params for r in rows) == num_params(net)


def test_macs_match_torchvision_metadata():
    """torchvision states 7.609 GFLOPs (MACs, by its convention) for vgg11."""
    with torch.device("meta"):
        net = vgg(VGG11, in_channels=3, num_classes=1000)
    total = sum(r.macs for r in layer_table(net, (1, 3, 224, 224)))
    assert round(total / 1e9, 3) == 7.609


def test_macs_by_hand():
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
    rows = layer_table(net, (1, 2, 5, 5))
    assert rows[0].macs == 4 * 5 * 5 * 2 * 9
    assert rows[2].macs == 100 * 3


def test_human_numbers():
    assert human(132_863_336) == "132.9 M"
    assert human(7.609e9) == "7.61 G"
    assert human(512) == "512"


def test_shape_text():
    from course_utils.shapes import shape_text
    assert shape_text((256, 28, 28)) == "256×28×28"
    assert shape_text((1, 224, 224), " × ") == "1 × 224 × 224"


def test_wrong_arguments_are_named():
    from course_utils.messages import CourseError
    import pytest

    net = vgg(scale_arch(VGG11, 16), input_size=64)
    with pytest.raises(CourseError, match="first convolution takes 1 input channel, but "
                                          r"input_shape \(1, 3, 64, 64\) gives 3"):
        layer_table(net, (1, 3, 64, 64))
    with pytest.raises(CourseError, match=r"input_shape\[2\] must be a whole number"):
        layer_table(net, (1, 1, "64", 64))
    with pytest.raises(CourseError, match="input_shape must be a shape"):
        layer_table(net, 64)
    with pytest.raises(CourseError, match="net must be a network"):
        layer_table("VGG11", (1, 1, 64, 64))
    # an input too small for the net: torch's reason under one sentence of ours
    with pytest.raises(CourseError, match=r"An input of shape \(1, 1, 32, 32\) does not fit"):
        layer_table(net, (1, 1, 32, 32))
