"""How much memory one student needs on the hub, measured, and what a class needs.

Runs the student edition of lessons 3 and 4, each in a fresh kernel as a student's
server would start it (one thread, the hub's environment), and samples the kernel's
resident memory (RSS) while it runs; then starts one JupyterLab server, as each
student gets, and reads its RSS. Prints the numbers and a sizing table for classes of
30, 60 and 200 in Markdown, for hub/README.md:

    python hub/measure_memory.py                       # smoke profile: quick
    COURSE_PROFILE=cpu-quick python hub/measure_memory.py   # what the hub's students run
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ("03-assembling-vgg11.ipynb", "04-training.ipynb")
CLASSES = (30, 60, 200)
MB = 1024 * 1024
# One thread per student, as the hub's spawner sets it (hub/jupyterhub_config.py).
HUB_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
HEADROOM = 1.25        # a kernel that ran both lessons, a second tab, the page cache
SYSTEM_GB = 2          # the hub, its proxy, the operating system


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / MB


def run_lesson(path: Path) -> tuple[float, float]:
    """(RSS after the lesson, peak RSS while it ran) of a fresh kernel, in MB."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    peak, done = [0.0], threading.Event()
    with client.setup_kernel(env={**os.environ, **HUB_ENV}):
        pid = client.km.provisioner.pid

        def sample():
            while not done.is_set():
                try:
                    peak[0] = max(peak[0], rss_mb(pid))
                except psutil.Error:
                    return
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        after = rss_mb(pid)
        done.set()
        sampler.join()
    return after, max(peak[0], after)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_mb(home: Path) -> float:
    """RSS of an idle JupyterLab server with no kernel, the other half of a student."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.token=",
         "--ServerApp.allow_root=True", f"--ServerApp.root_dir={home}"],
        env={**os.environ, **HUB_ENV, "HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request

        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(1)
        return rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en", choices=("zh", "en"))
    args = parser.parse_args(argv)
    profile = os.environ.setdefault("COURSE_PROFILE", "smoke")

    from course_utils import student

    with tempfile.TemporaryDirectory() as tmp:
        edition = Path(tmp) / "edition"
        student.build(edition, langs=[args.lang])
        rows = {name: run_lesson(edition / args.lang / name) for name in LESSONS}
        server = server_mb(Path(tmp))

    print(f"Training profile: {profile}; one thread per kernel; Python {sys.version.split()[0]}, "
          f"torch {__import__('torch').__version__}\n")
    print("| what | RSS after (MB) | peak RSS (MB) |\n|---|---:|---:|")
    for name, (after, peak) in rows.items():
        print(f"| kernel, lesson {name[:2]} | {after:.0f} | {peak:.0f} |")
    print(f"| JupyterLab server (no kernel) | {server:.0f} | |")

    # A student: their server plus the kernel of the lesson they are on (the largest peak).
    student_mb = server + max(peak for _, peak in rows.values())
    print(f"\nOne student at work: {student_mb:.0f} MB (server + largest kernel peak); "
          f"with {HEADROOM:.2f}x headroom: {student_mb * HEADROOM:.0f} MB.\n")
    print("| students | RAM, all working at once | cores (one each, 2 students per core) |")
    print("|---:|---:|---:|")
    for n in CLASSES:
        ram_gb = n * student_mb * HEADROOM / 1024 + SYSTEM_GB
        print(f"| {n} | {ram_gb:.0f} GB | {n} ({(n + 1) // 2}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
