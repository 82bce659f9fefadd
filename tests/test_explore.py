"""The explorers' numbers agree with real networks, for possible and impossible settings.

Reports are computed on the meta device; here every one is checked against a
real CPU network (parameter count, each layer's output shape from a real
forward pass) and against an independent hand count of MACs, at sizes small
enough to run in a second or two.
"""

import random

import pytest
import torch
from torch import nn

from course_utils.explore import (arch_report, block_report, receptive_field,
                                  lesson_vgg11_report, stack_vs_single)
from course_utils.messages import CourseError
from course_utils.models import VGG11, VGG13, VGG16, VGG19, VGG_ARCHS, num_params, scale_arch, vgg, vgg_block

# torchvision's vgg11/13/16/19 (3 channels, 1000 classes, 224x224): parameters, and
# its metadata's GFLOPS, which count multiply-adds.
TORCHVISION = {"VGG-11": (132_863_336, 7.609), "VGG-13": (133_047_848, 11.308),
               "VGG-16": (138_357_544, 15.47), "VGG-19": (143_667_240, 19.632)}


def real_shapes(net: nn.Module, input_shape) -> list[tuple[int, ...]]:
    """Each top-level layer's output shape, from a forward pass on real numbers."""
    x, shapes = torch.randn(input_shape), []
    with torch.no_grad():
        for layer in net.eval():
            x = layer(x)
            shapes.append(tuple(x.shape))
    return shapes


def hand_macs(conv_arch, input_size, in_channels, num_classes) -> int:
    """MACs counted on paper: each 3x3 conv output value costs 9 x C_in multiply-adds."""
    total, size, c_in = 0, input_size, in_channels
    for num_convs, c_out in conv_arch:
        for _ in range(num_convs):
            total += size * size * c_out * c_in * 9
            c_in = c_out
        size //= 2
    return total + c_in * size * size * 4096 + 4096 * 4096 + 4096 * num_classes


def assert_matches_real(conv_arch, ratio, input_size, in_channels, num_classes):
    report = arch_report(conv_arch, ratio, input_size, in_channels, num_classes)
    torch.manual_seed(0)
    net = vgg(scale_arch(conv_arch, ratio), in_channels, num_classes, input_size)
    assert report.total_params == num_params(net)
    assert [r["output_shape"] for r in report.rows] == real_shapes(
        net, (1, in_channels, input_size, input_size))
    assert [r["name"] for r in report.rows] == [type(m).__name__ for m in net]
    assert report.total_macs == hand_macs(report.conv_arch, input_size, in_channels, num_classes)
    assert sum(b.params for b in report.blocks) == report.total_params
    assert sum(b.macs for b in report.blocks) == report.total_macs
    return report


@pytest.mark.parametrize("name", list(VGG_ARCHS))
def test_full_size_counts_match_torchvision(name):
    report = arch_report(VGG_ARCHS[name], 1, 224, in_channels=3, num_classes=1000)
    params, gflops = TORCHVISION[name]
    assert report.total_params == params
    assert report.total_macs / 1e9 == pytest.approx(gflops, abs=5e-4)


def test_vgg11_at_224_is_7_609_gmacs():
    report = arch_report(VGG11, 1, 224, 3, 1000)
    assert round(report.total_macs / 1e9, 3) == 7.609


def test_lesson_vgg11_shapes_and_blocks():
    report = lesson_vgg11_report()
    assert [r["output_shape"] for r in report.rows] == [
        (1, 64, 112, 112), (1, 128, 56, 56), (1, 256, 28, 28), (1, 512, 14, 14),
        (1, 512, 7, 7), (1, 25088), (1, 4096), (1, 4096), (1, 4096),
        (1, 4096), (1, 4096), (1, 4096), (1, 10)]
    assert [b.label for b in report.blocks] == ["1", "2", "3", "4", "5", "FC"]
    assert [b.num_convs for b in report.blocks] == [1, 1, 2, 2, 2, 0]
    assert report.blocks[-1].output_shape == (1, 10)


@pytest.mark.parametrize("arch,ratio,size,c_in,classes", [
    (VGG11, 16, 32, 1, 10),          # the smallest input five blocks allow
    (VGG19, 32, 36, 3, 7),           # odd sizes round down at each pool
    (VGG13, 8, 64, 1, 2),
    (VGG16, 32, 100, 3, 10),
    (((1, 8),), 1, 2, 1, 3),         # one block on a 2x2 input
    (((4, 16), (1, 4)), 2, 9, 2, 5),
])
def test_matches_real_network(arch, ratio, size, c_in, classes):
    assert_matches_real(arch, ratio, size, c_in, classes)


def test_matches_real_network_on_random_settings():
    rng = random.Random(1234)
    for _ in range(8):
        num_blocks = rng.randint(1, 5)
        arch = [(rng.randint(1, 4), rng.choice([8, 16, 32, 64])) for _ in range(num_blocks)]
        ratio = rng.choice([1, 2, 4, 8])
        size = rng.randint(2 ** num_blocks, 48)
        assert_matches_real(arch, ratio, size, rng.choice([1, 3]), rng.randint(1, 12))


@pytest.mark.parametrize("arch,ratio,size,words", [
    (VGG11, 128, 224, "Block 1 has 0 output channels"),    # 64 // 128 == 0
    (VGG11, 1, 16, "block 5 would output 0x0"),
    (((1, 64), (1, 128)), 1, 3, "block 2 would output 0x0"),
    (((1, 64), (0, 128)), 1, 224, "Block 2 has 0 convolutions"),
    ((), 1, 224, "No block is left"),      # all sliders at 0: says what to do with them
    (VGG11, 0, 224, "ratio must be a positive integer"),
    (VGG11, 2.5, 224, "ratio must be a whole number (int), such as 4; got the fraction 2.5"),
])
def test_impossible_settings_say_why(arch, ratio, size, words):
    with pytest.raises(ValueError) as info:
        arch_report(arch, ratio, size)
    assert isinstance(info.value, CourseError)
    assert words in info.value.en
    assert info.value.zh and info.value.zh != info.value.en
    if not arch:   # the explorer's student typed no conv_arch: don't name it
        assert "conv_arch" not in info.value.en + info.value.zh
        assert "slider" in info.value.en and "滑块" in info.value.zh


@pytest.mark.parametrize("call,words", [
    (lambda: arch_report(VGG11, 1, "224"), "input_size must be a whole number (int), such as 224; "
                                          "got the text '224'"),
    (lambda: arch_report(VGG11, None, 224), "ratio must be a whole number"),
    (lambda: arch_report([("1", 64)], 1, 224), "Block 1: the number of convolutions"),
    (lambda: block_report(1.5, 1, 8, 32), "num_convs must be a whole number"),
    (lambda: block_report(1, 1, 8, float("nan")), "got nan (not a number)"),
    (lambda: stack_vs_single(2, "64"), "channels must be a whole number"),
    (lambda: stack_vs_single(2, 8, input_size=None), "input_size must be a whole number"),
    (lambda: receptive_field("33"), "kernel_sizes must be a list"),
    (lambda: receptive_field([3, 3], [1]), "give one per layer"),
])
def test_wrong_types_name_the_parameter(call, words):
    with pytest.raises(CourseError) as info:
        call()
    assert words in info.value.en and info.value.zh != info.value.en


def test_integral_floats_are_read_as_ints():
    """224.0 means 224: accepted, and the report holds plain ints."""
    report = arch_report(VGG11, 4.0, 224.0, 1.0, 10.0)
    assert report == arch_report(VGG11, 4, 224, 1, 10)
    assert all(type(v) is int for v in (report.ratio, report.input_size, report.in_channels))


def test_every_possible_explorer_setting_is_consistent():
    # The explorer's whole grid at input 32 (fast on meta): totals add up, shapes halve.
    for name, arch in VGG_ARCHS.items():
        for ratio in (1, 2, 4, 8, 16, 32):
            report = arch_report(arch, ratio, 32)
            sizes = [b.output_shape[-1] for b in report.blocks[:-1]]
            assert sizes == [16, 8, 4, 2, 1], (name, ratio)
            assert report.total_params == sum(r["params"] for r in report.rows)


# ------------------------------------------------------------------ block explorer


@pytest.mark.parametrize("num_convs,c_in,c_out,size", [(1, 1, 8, 2), (2, 3, 16, 9), (4, 16, 8, 20)])
def test_block_report_matches_real_block(num_convs, c_in, c_out, size):
    report = block_report(num_convs, c_in, c_out, size)
    block = vgg_block(num_convs, c_in, c_out)
    assert report.params == num_params(block)
    assert [r["output_shape"] for r in report.rows] == real_shapes(block, (1, c_in, size, size))
    assert report.output_shape == (1, c_out, size // 2, size // 2)
    assert report.macs == size * size * c_out * 9 * (c_in + (num_convs - 1) * c_out)


@pytest.mark.parametrize("args,words", [
    ((0, 3, 8, 32), "0 convolutions"), ((1, 3, 0, 32), "0 output channels"),
    ((1, 3, 8, 1), "would output 0x0"), ((1, 0, 8, 32), "in_channels must be a positive")])
def test_block_report_impossible(args, words):
    with pytest.raises(CourseError, match=words):
        block_report(*args)


def measured_field(kernel_sizes, strides) -> int:
    """Receptive field seen by gradients: how many input columns move one output value."""
    layers = [nn.Conv2d(1, 1, k, stride=s, bias=False) for k, s in zip(kernel_sizes, strides)]
    for layer in layers:
        nn.init.ones_(layer.weight)    # positive weights: no cancellation hides a pixel
    x = torch.ones(1, 1, 40, 40, requires_grad=True)
    y = nn.Sequential(*layers)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    return int((x.grad[0, 0].abs().sum(dim=0) > 0).sum())


@pytest.mark.parametrize("kernels,strides", [
    ([3], [1]), ([3, 3], [1, 1]), ([3, 3, 3], [1, 1, 1]), ([5], [1]), ([7], [1]),
    ([3, 3], [2, 1]), ([3, 2, 3], [1, 2, 1])])
def test_receptive_field_formula_matches_gradients(kernels, strides):
    assert receptive_field(kernels, strides) == measured_field(kernels, strides)


@pytest.mark.parametrize("channels", [1, 8, 64, 512])
def test_stacked_3x3_against_one_big_conv(channels):
    c = channels
    for n in (1, 2, 3, 4):
        s = stack_vs_single(n, c, input_size=10)
        assert s.kernel_size == 2 * n + 1 and s.receptive_field == 2 * n + 1
        assert s.stacked_params == n * (9 * c * c + c)                 # the paper's 27C² for n=3
        assert s.single_params == (2 * n + 1) ** 2 * c * c + c         # ... against 49C²
        assert s.stacked_macs == 100 * n * 9 * c * c
        assert s.single_macs == 100 * (2 * n + 1) ** 2 * c * c
        assert (s.stacked_relus, s.single_relus) == (n, 1)
        if n > 1:
            assert s.param_ratio < 1


def test_stacked_against_real_convs():
    s = stack_vs_single(3, 16, in_channels=3, input_size=12)
    stacked = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1),
                            nn.Conv2d(16, 16, 3, padding=1))
    single = nn.Conv2d(3, 16, 7, padding=3)
    assert (s.stacked_params, s.single_params) == (num_params(stacked), num_params(single))
    x = torch.randn(1, 3, 12, 12)
    assert stacked(x).shape == single(x).shape == (1, 16, 12, 12)


def test_stack_vs_single_impossible():
    with pytest.raises(CourseError, match="0 convolutions"):
        stack_vs_single(0, 64)
    with pytest.raises(CourseError, match="0 output channels"):
        stack_vs_single(2, 0)
    with pytest.raises(CourseError, match="input_size"):
        stack_vs_single(2, 8, input_size=0)
