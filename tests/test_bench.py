"""bench/: the benchmark against d2l runs end to end (no speed is asserted here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import bench_vs_d2l as bench  # noqa: E402


def test_gpu_check_script_parses():
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    subprocess.run(["bash", "-n", str(REPO / "bench" / "gpu_check.sh")], check=True)


def test_too_few_batches_for_d2l_is_refused():
    with pytest.raises(SystemExit):
        bench.parse_args(["--batches", "4"])          # d2l.train_ch6 would divide by zero


def test_readme_block_replaces_only_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n{bench.README_START}\nold\n{bench.README_END}\nrest\n")
    bench.update_readme(readme, "new table")
    assert readme.read_text() == f"# Title\n{bench.README_START}\nnew table\n{bench.README_END}\nrest\n"


def test_tiny_benchmark_runs_both_sides(tmp_path):
    pytest.importorskip("d2l")
    out = tmp_path / "bench.txt"
    bench.main(["--input-size", "32", "--batches", "6", "--test-batches", "1", "--warmup", "1",
                "--device", "cpu", "--precision", "auto", "fp32", "--out", str(out)])
    text = out.read_text()
    assert "torch:" in text and "cpu:" in text and "load average" in text
    assert "peak (GEMM 2048x2048" in text and "FLOPs per training example" in text
    rows = [line for line in text.splitlines() if line.startswith("| 32 | 6 |")]
    assert len(rows) == 3                             # steady, compute, end-to-end
    for row in rows:
        ratios = [c.strip() for c in row.strip(" |").split("|") if c.strip().endswith("×")]
        assert len(ratios) == 2 and all(float(r[:-1]) > 0 for r in ratios)   # auto, fp32
    peak_rows = [line for line in text.splitlines() if line.startswith("| 32 | 0.")]
    assert [r.split("|")[3].strip() for r in peak_rows] == ["d2l", "ours auto", "ours fp32"]
    assert all(r.rstrip(" |").endswith("%") for r in peak_rows)


def test_flops_per_example_match_the_known_count():
    args = bench.parse_args(["--input-size", "224"])
    # the ratio-4 VGG-11 at 224: about 3.07 GFLOP per training example (fwd + bwd)
    assert bench.flops_per_example(args, 224) == pytest.approx(3.07e9, rel=0.02)


def test_steady_time_leaves_out_only_the_spans_inside_the_window():
    loader = bench.TimedLoader([], 0, None)
    loader.stamps, loader.end = [0.0, 1.0, 2.0, 3.0], 5.0
    assert loader.steady_seconds_per_batch(1) == pytest.approx(4.0 / 3)
    # a redraw of 0.5 s inside the window is left out; one before it changes nothing
    assert loader.steady_seconds_per_batch(1, [(0.2, 0.9), (2.0, 2.5)]) == pytest.approx(3.5 / 3)


def test_d2l_runs_in_a_fresh_process_with_its_redraws_timed(tmp_path):
    pytest.importorskip("d2l")
    from course_utils.data import prepare_torchvision_root

    args = bench.parse_args(["--input-size", "32", "--batches", "5", "--test-batches", "1",
                             "--warmup", "1", "--device", "cpu"])
    result = bench.run_d2l_fresh(args, 32, torch.device("cpu"),
                                 prepare_torchvision_root(tmp_path / "data"))
    assert result["pid"] != os.getpid()           # not this process: its allocator is d2l's own
    assert result["steady"] > 0 and result["precision"] == "fp32"
    assert result["animator_s"] > 0                # d2l redraws every num_batches // 5 batches


def test_theoretical_peak_follows_the_cpu_flags():
    from course_utils.machine import CPU, flops_per_cycle, theoretical_gflops

    zen5 = CPU(name="AMD EPYC", vendor="AuthenticAMD", family="26", cores=2, mhz=2600.0,
               flags=frozenset({"avx2", "fma", "avx512f", "avx512_bf16"}))
    assert flops_per_cycle(zen5) == {"fp32": 64, "bf16": 128}
    peak = theoretical_gflops(zen5)
    assert peak["fp32"] == pytest.approx(2 * 2.6 * 64) and peak["bf16"] == pytest.approx(2 * 2.6 * 128)
    zen4 = CPU(name="AMD EPYC", vendor="AuthenticAMD", family="25", cores=2, mhz=2600.0,
               flags=frozenset({"avx2", "fma", "avx512f", "avx512_bf16"}))
    assert flops_per_cycle(zen4) == {"fp32": 32, "bf16": 64}     # 512-bit split in two halves
    avx2 = CPU(name="Laptop", cores=4, max_mhz=3000.0, mhz=1200.0, flags=frozenset({"avx2", "fma"}))
    peak = theoretical_gflops(avx2)
    assert peak["fp32"] == pytest.approx(4 * 3.0 * 32) and peak["bf16"] is None   # cpufreq max
    assert peak["clock"] == "cpufreq max"
    arm = CPU(name="arm", flags=frozenset({"asimd"}), mhz=None)
    assert theoretical_gflops(arm)["fp32"] is None and "unknown" in bench.fmt_gflops(None)


def test_each_run_is_compared_with_its_own_formats_peak():
    peak = {"fp32": {"best": 100.0, "path": "oneDNN matmul", "paths": {}},
            "bf16": {"best": 400.0, "path": "torch.mm", "paths": {}}}
    run = {"steady": 100.0, "compute": 1.0, "end_to_end": 1.0}
    rows = [{"size": 32, "batches": 6, "flops": 0.5e9, "d2l": {**run, "precision": "fp32"},
             "ours bf16": {**run, "precision": "bf16"},
             "ours auto": {**run, "precision": "bf16/fp32"}}]
    shares = [line.rstrip(" |").rsplit("|", 1)[1].strip()
              for line in bench.peak_table(rows, peak)[2:]]
    assert shares == ["50%", "12%", "12%"]       # 50 GFLOP/s of 100 (fp32), of 400 (bf16)


def test_peak_paths_all_measure_a_product():
    peaks = bench.measure_peaks(torch.device("cpu"), n=64, repeats=1)
    assert set(peaks) == {"fp32", "bf16"}
    for p in peaks.values():
        assert "torch.mm" in p["paths"] and p["best"] == max(v for v in p["paths"].values()
                                                            if v == v)
    lines = bench.peak_lines(peaks, {"fp32": 1e9, "bf16": None, "clock_mhz": None,
                                     "clock": "unknown"}, n=64, repeats=1)
    assert "theoretical unknown" in lines[2] and "of it" in lines[1]
