"""The lesson's network against references: torchvision's VGGs and the seed's output."""

import pytest
import torch
import torchvision
from torch import nn

from course_utils.messages import CourseError
from course_utils.models import (VGG11, VGG13, VGG16, VGG19, check_arch, feature_size,
                                 num_params, scale_arch, vgg, vgg_block)
from course_utils.shapes import shape_lines

# Printed by the seed's shape-check cell on a 1x1x224x224 input.
SEED_SHAPE_LINES = """\
Sequential output shape:\t torch.Size([1, 64, 112, 112])
Sequential output shape:\t torch.Size([1, 128, 56, 56])
Sequential output shape:\t torch.Size([1, 256, 28, 28])
Sequential output shape:\t torch.Size([1, 512, 14, 14])
Sequential output shape:\t torch.Size([1, 512, 7, 7])
Flatten output shape:\t torch.Size([1, 25088])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 4096])
ReLU output shape:\t torch.Size([1, 4096])
Dropout output shape:\t torch.Size([1, 4096])
Linear output shape:\t torch.Size([1, 10])""".splitlines()

# torchvision's counts for 3 input channels and 1000 classes, as its weights' metadata
# gives them (torchvision.models.VGG11_Weights.IMAGENET1K_V1.meta["num_params"], ...).
TORCHVISION_PARAMS = {"vgg11": 132_863_336, "vgg13": 133_047_848,
                      "vgg16": 138_357_544, "vgg19": 143_667_240}
ARCHS = {"vgg11": VGG11, "vgg13": VGG13, "vgg16": VGG16, "vgg19": VGG19}


def test_vgg_block_is_the_lessons_block():
    blk = vgg_block(2, 3, 8)
    kinds = [type(m) for m in blk]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.Conv2d, nn.ReLU, nn.MaxPool2d]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in blk if isinstance(c, nn.Conv2d))
    assert blk[-1].kernel_size == 2 and blk[-1].stride == 2
    assert blk(torch.zeros(1, 3, 10, 10)).shape == (1, 8, 5, 5)


def test_seed_shape_check_real_forward():
    """The seed's own loop, on a real network and real data, prints the seed's lines."""
    torch.manual_seed(0)
    net = vgg(VGG11)
    X = torch.randn(size=(1, 1, 224, 224))
    lines = []
    with torch.no_grad():
        for blk in net:
            X = blk(X)
            lines.append(f"{blk.__class__.__name__} output shape:\t {X.shape}")
    assert lines == SEED_SHAPE_LINES


def test_shape_lines_match_seed_without_memory():
    with torch.device("meta"):
        net = vgg(VGG11)
    assert shape_lines(net) == SEED_SHAPE_LINES


@pytest.mark.parametrize("name", sorted(ARCHS))
def test_parameter_counts_equal_torchvision(name):
    with torch.device("meta"):
        ours = vgg(ARCHS[name], in_channels=3, num_classes=1000)
        theirs = getattr(torchvision.models, name)(weights=None)
    assert num_params(ours) == num_params(theirs) == TORCHVISION_PARAMS[name]


@pytest.mark.parametrize("size", [32, 64, 96, 160, 224])
def test_forward_at_other_input_sizes(size):
    net = vgg(scale_arch(VGG11, 4), input_size=size)
    with torch.no_grad():
        out = net(torch.rand(2, 1, size, size))
    assert out.shape == (2, 10)
    assert net[6].in_features == 128 * feature_size(size, 5) ** 2


def test_fewer_blocks_and_odd_sizes():
    arch = [(1, 8), (2, 16), (1, 16)]
    for size in (8, 9, 15, 33):
        net = vgg(arch, in_channels=3, num_classes=7, input_size=size)
        assert net(torch.rand(1, 3, size, size)).shape == (1, 7)


def test_scale_arch_divides_channels():
    assert scale_arch(VGG11, 4) == [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)]
    assert scale_arch(VGG11, 1) == list(VGG11)


@pytest.mark.parametrize("arch, size, words", [
    (VGG11, 16, "block 5 would output 0x0"),
    ([(0, 64)], 224, "Block 1 has 0 convolutions"),
    (scale_arch(VGG11, 128), 224, "Block 1 has 0 output channels"),
    ([], 224, "conv_arch is empty"),
])
def test_impossible_networks_say_why(arch, size, words):
    with pytest.raises(ValueError, match=words) as info:
        vgg(arch, input_size=size)
    assert info.value.zh and info.value.en  # both languages carried


def test_impossible_ratio():
    with pytest.raises(ValueError, match="ratio must be a positive integer"):
        scale_arch(VGG11, 0)


@pytest.mark.parametrize("kwargs, words", [
    (dict(input_size="224"), "input_size must be a whole number (int), such as 224; got the text "
                             "'224' (a string, in quotes). Write 224 without quotes."),
    (dict(input_size=None), "input_size must be a whole number (int), such as 224; got None"),
    (dict(input_size=float("nan")), "got nan (not a number)"),
    (dict(input_size=224.5), "got the fraction 224.5"),
    (dict(conv_arch=[(1.5, 64)]), "Block 1: the number of convolutions must be a whole number"),
    (dict(conv_arch=[("1", 64)]), "got the text '1'"),
    (dict(conv_arch=[(1, 64, 3)]), "Block 1 of conv_arch is (1, 64, 3) (a tuple): every block "
                                   "must be a pair"),
    (dict(conv_arch="VGG11"), "write the variable VGG11 without quotes"),
    (dict(conv_arch=None), "conv_arch must be a list of (num_convs, out_channels) pairs"),
    (dict(in_channels=0), "in_channels must be a positive integer, got 0"),
    (dict(num_classes="10"), "num_classes must be a whole number"),
])
def test_wrong_types_name_the_parameter(kwargs, words):
    args = dict(conv_arch=VGG11, in_channels=1, num_classes=10, input_size=224)
    args.update(kwargs)
    with pytest.raises(CourseError) as info:
        vgg(**args)
    assert words in info.value.en
    assert info.value.zh != info.value.en and any("\u4e00" <= ch <= "\u9fff" for ch in info.value.zh)


@pytest.mark.parametrize("ratio", [None, float("nan"), 0, -1, "4", 2.5])
def test_scale_arch_refuses_bad_ratios(ratio):
    with pytest.raises(CourseError, match="ratio must be a"):
        scale_arch(VGG11, ratio)


def test_integral_float_input_size_is_accepted():
    """224.0 is read as 224 (a division or a slider can produce it); 224.5 is refused."""
    net = vgg(scale_arch(VGG11, 16.0), input_size=64.0)
    assert num_params(net) == num_params(vgg(scale_arch(VGG11, 16), input_size=64))
    with pytest.raises(CourseError):
        vgg_block(2.0, 1, "8")


def test_check_arch_accepts_smallest_input():
    check_arch(VGG11, input_size=32)
    with pytest.raises(ValueError):
        check_arch(VGG11, input_size=31)
