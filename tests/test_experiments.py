"""The lesson's experiments and the "What VGG sees" viewer, on tiny slices."""

import pytest
import torch
from torch import nn

from course_utils import experiments as E
from course_utils import feature_maps as F
from course_utils.figures import use_cjk_font
from course_utils.messages import CourseError
from course_utils.models import VGG11, scale_arch, vgg

TINY = E.Slice(train=256, test=128, epochs=1, batch_size=64)


def test_the_one_change_is_the_only_difference():
    a = E.train_run("a", E.narrow_vgg(32), 32, TINY, seed=3)
    b = E.train_run("b", E.narrow_vgg(32), 32, TINY, seed=3)
    assert a.losses == b.losses and a.test_acc == b.test_acc        # same seed: same run
    c = E.train_run("c", E.narrow_vgg(32), 32, TINY, seed=4)
    assert c.losses != a.losses                                      # the seed does matter
    assert len(a.losses) == 256 // 64 and 0 <= a.test_acc <= 1


def test_training_leaves_the_notebooks_random_state_alone():
    net = E.narrow_vgg(32)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    E.train_run("a", net, 32, TINY)
    assert torch.equal(torch.rand(3), expected)


def test_kernels_compares_3x3_pairs_with_single_5x5():
    three, five = E.kernels(32, TINY, lang="en")
    k3 = {m.kernel_size for m in three.net.modules() if isinstance(m, nn.Conv2d)}
    k5 = [m for m in five.net.modules() if isinstance(m, nn.Conv2d)]
    assert k3 == {(3, 3)} and {m.kernel_size for m in k5} == {(5, 5)}
    assert len(k5) * 2 == sum(isinstance(m, nn.Conv2d) for m in three.net.modules())
    assert "5×5" in five.label


def test_inits_differ_only_in_the_initialisation():
    xavier, he = E.inits(32, TINY, lang="zh")
    assert xavier.label == "Xavier" and "He" in he.label
    assert [type(m) for m in xavier.net.modules()] == [type(m) for m in he.net.modules()]
    assert xavier.losses[0] != he.losses[0]


def test_input_sizes_changes_the_head_only_where_it_must():
    runs = E.input_sizes((32, 64), TINY, lang="en")
    assert [r.input_size for r in runs] == [32, 64]
    assert runs[1].params > runs[0].params          # 2x2 instead of 1x1 after five pools


def test_show_runs_draws_and_prints_in_the_lessons_language(capsys):
    import matplotlib
    matplotlib.use("Agg")
    use_cjk_font()
    runs = E.seeds((0, 1), 32, TINY, lang="zh")
    fig = E.show_runs(runs, "随机种子", "zh")
    out = capsys.readouterr().out
    assert out.count("测试准确率") == 2 and "随机种子 0" in out
    assert fig.axes[1].get_ylabel() == "测试准确率"


# ------------------------------------------------------------------ what VGG sees

def small_trained_net():
    torch.manual_seed(0)
    return vgg(scale_arch(VGG11, 16), input_size=32)


def test_block_outputs_match_the_blocks_shapes():
    net = small_trained_net()
    outs = F.block_outputs(net, torch.rand(1, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(4, 16, 16), (8, 8, 8), (16, 4, 4), (32, 2, 2), (32, 1, 1)]
    assert net.training                                  # put back as it was


def test_the_viewer_redraws_for_another_block_and_image():
    net = small_trained_net()
    images = torch.rand(4, 1, 32, 32)
    viewer = F.FeatureMapViewer(net, images, ["a", "b", "c", "d"], lang="en")
    first = viewer.picture.value
    assert first[:4] == b"\x89PNG" and "Block 1" in viewer.note.value
    viewer.block.value = 3
    assert viewer.picture.value != first and "Block 3" in viewer.note.value
    third = viewer.picture.value
    viewer.image.value = 2
    assert viewer.picture.value != third
    assert viewer.block.options == (1, 2, 3, 4, 5)


def test_the_viewer_speaks_chinese_and_needs_a_trained_net(capsys):
    use_cjk_font()
    assert F.what_vgg_sees(None, [], lang="zh") is None
    assert "还没有训练" in capsys.readouterr().out
    net = small_trained_net()
    batches = [(torch.rand(8, 1, 32, 32), torch.randint(0, 10, (8,)))] * 2
    viewer = F.what_vgg_sees(net, batches, lang="zh", n=10)
    assert len(viewer.images) == 10 and viewer.image.description == "测试图片编号"
    assert "通道" in viewer.note.value


def test_a_net_without_blocks_gets_one_sentence():
    with pytest.raises(CourseError) as err:
        F.block_outputs(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.rand(1, 2, 2))
    assert "vgg()" in err.value.en and "vgg()" in err.value.zh


def test_first_filters_are_drawn_one_per_channel():
    import matplotlib
    matplotlib.use("Agg")
    fig = F.show_first_filters(small_trained_net(), "en")
    assert sum(bool(ax.images) for ax in fig.axes) == 4
