"""Fashion-MNIST, offline first, held in memory.

Where the data comes from, in this order:

1. the folder named by ``$FASHION_MNIST_DIR``;
2. ``data/`` in this repository (``data/FashionMNIST/raw/`` works too);
3. Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``),
   which ``make lab`` / ``make test`` install with apt where they can;
4. last, a download into ``data/FashionMNIST/raw``, checked against checksums.

Every file is parsed with numpy, its IDX header and size checked and its
decompressed md5 compared with the published one, so a truncated or damaged file
is named in an error and never trained on. ``load_data_fashion_mnist`` keeps
d2l's signature and meaning but holds the images in memory (on the GPU when one
is given) and resizes each batch with ``interpolate``: no worker processes, which
is what makes d2l's loader hang or crawl on small machines, macOS and Windows.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .messages import DataError, get_lang

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO_DATA = REPO_ROOT / "data"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"

# name -> (IDX magic, shape, md5 of the decompressed file). The md5s are those of
# the original Zalando release, decompressed.
FILES = {
    "train-images-idx3-ubyte": (2051, (60000, 28, 28), "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte": (2049, (60000,), "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte": (2051, (10000, 28, 28), "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte": (2049, (10000,), "15d484375f8d13e6eb1aabb0c3f46965"),
}
# The download fallback: the original release's mirror and its (compressed) md5s.
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DOWNLOAD_MD5 = {
    "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
}

TEXT_LABELS = {
    "en": ["t-shirt", "trouser", "pullover", "dress", "coat",
           "sandal", "shirt", "sneaker", "bag", "ankle boot"],
    "zh": ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"],
}

HOW_TO_GET = (
    "找不到 Fashion-MNIST 数据集。任选一种办法：\n"
    "  • 运行 `make data`（在 Debian/Ubuntu 上以 root 身份会用 apt 安装 dataset-fashion-mnist）；\n"
    "  • 或 `sudo apt-get install dataset-fashion-mnist`；\n"
    "  • 或把 4 个文件（train-images-idx3-ubyte.gz 等）放进本仓库的 data/ 文件夹，"
    "或用环境变量 FASHION_MNIST_DIR 指向它们所在的文件夹。",
    "Fashion-MNIST was not found. Any one of these fixes it:\n"
    "  • run `make data` (as root on Debian/Ubuntu it installs dataset-fashion-mnist with apt);\n"
    "  • or `sudo apt-get install dataset-fashion-mnist`;\n"
    "  • or put the 4 files (train-images-idx3-ubyte.gz, ...) in this repository's data/ "
    "folder, or point the environment variable FASHION_MNIST_DIR at their folder.",
)


def candidate_dirs() -> list[Path]:
    """Where to look for the data set, in order."""
    dirs = []
    if os.environ.get("FASHION_MNIST_DIR"):
        dirs.append(Path(os.environ["FASHION_MNIST_DIR"]).expanduser())
    dirs += [REPO_DATA, REPO_DATA / "FashionMNIST" / "raw", DEBIAN_DIR]
    return dirs


def _file_in(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _complete(folder: Path) -> bool:
    return all(_file_in(folder, name) for name in FILES)


def find_dataset_dir(dirs: list[Path] | None = None) -> Path | None:
    """The first folder that holds all four files, or ``None``."""
    for folder in candidate_dirs() if dirs is None else dirs:
        if folder.is_dir() and _complete(folder):
            return folder
    return None


def download(dest: Path = REPO_DATA / "FashionMNIST" / "raw", mirror: str = MIRROR,
             timeout: float = 10.0) -> Path:
    """Fetch the four files, verify each checksum, keep them decompressed in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, md5 in DOWNLOAD_MD5.items():
        if (dest / name).is_file():
            continue
        url = f"{mirror}{name}.gz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
        except OSError as err:
            raise DataError(f"下载 {url} 失败（{err}）。\n" + HOW_TO_GET[0],
                            f"Downloading {url} failed ({err}).\n" + HOW_TO_GET[1]) from None
        if hashlib.md5(payload).hexdigest() != md5:
            raise DataError(f"下载的 {name}.gz 校验和不符，已丢弃。\n" + HOW_TO_GET[0],
                            f"The downloaded {name}.gz has a wrong checksum; discarded.\n"
                            + HOW_TO_GET[1])
        (dest / name).write_bytes(gzip.decompress(payload))
    return dest


def install_debian_package() -> bool:
    """Install Debian's data-set package with apt when we are root on Debian."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-qq", DEBIAN_PACKAGE],
                ["sh", "-c", f"apt-get update -qq && apt-get install -y -qq {DEBIAN_PACKAGE}"]):
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode == 0:
            return True
    return False


def ensure_dataset(allow_install: bool = True, allow_download: bool = True) -> Path:
    """Find the data set, installing or downloading it if needed; verify it."""
    folder = find_dataset_dir()
    if folder is None and allow_install and install_debian_package():
        folder = find_dataset_dir()
    if folder is None and allow_download:
        folder = download()
    if folder is None:
        raise DataError(*HOW_TO_GET)
    for name in FILES:
        read_idx(_file_in(folder, name), name)
    return folder


def _dataset_dir() -> Path:
    folder = find_dataset_dir()
    if folder is None:
        raise DataError(*HOW_TO_GET)
    return folder


def read_idx(path: Path, name: str | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or not) after checking header, size and md5."""
    path = Path(path)
    name = name or path.name.removesuffix(".gz")
    magic, shape, md5 = FILES[name]
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f"无法读取 {path}（{err}）：文件已损坏，请删除后重新获取。",
                        f"Cannot read {path} ({err}): the file is damaged; delete it and "
                        "get it again.") from None
    expected = 4 + 4 * len(shape) + int(np.prod(shape))
    header = np.frombuffer(raw[:4 + 4 * len(shape)], dtype=">u4") if len(raw) >= 16 else []
    if len(header) < 1 or header[0] != magic or tuple(header[1:]) != shape:
        raise DataError(f"{path} 的文件头不对：它不是 {name}。请删除它并重新获取。",
                        f"{path} has the wrong header: it is not {name}. Delete it and get "
                        "it again.")
    if len(raw) != expected:
        raise DataError(f"{path} 长度是 {len(raw)} 字节，应为 {expected}：文件被截断或损坏，"
                        "请删除后重新获取。",
                        f"{path} is {len(raw)} bytes, expected {expected}: it is truncated or "
                        "damaged. Delete it and get it again.")
    if hashlib.md5(raw).hexdigest() != md5:
        raise DataError(f"{path} 的校验和不符：内容已损坏，请删除后重新获取。",
                        f"{path} has a wrong checksum: its content is damaged. Delete it and "
                        "get it again.")
    return np.frombuffer(raw, dtype=np.uint8, offset=len(raw) - int(np.prod(shape))).reshape(shape)


@lru_cache(maxsize=2)
def load_fashion_mnist(train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images uint8 [N, 1, 28, 28], labels int64 [N])``, read once per process."""
    folder = _dataset_dir()
    prefix = "train" if train else "t10k"
    images = read_idx(_file_in(folder, f"{prefix}-images-idx3-ubyte"), f"{prefix}-images-idx3-ubyte")
    labels = read_idx(_file_in(folder, f"{prefix}-labels-idx1-ubyte"), f"{prefix}-labels-idx1-ubyte")
    return (torch.from_numpy(images.copy()).unsqueeze(1),
            torch.from_numpy(labels.astype(np.int64)))


def resize_batch(images: torch.Tensor, size) -> torch.Tensor:
    """Resize a float batch (B, C, H, W) like torchvision's ``Resize`` on PIL images."""
    if size is None:
        return images
    if isinstance(size, int):
        size = (size, size)
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    # antialias=True uses the same separable filters as PIL, so up- and down-sizing
    # both agree with d2l's PIL pipeline to within one grey level.
    return F.interpolate(images, size=size, mode="bilinear", antialias=True,
                         align_corners=False).clamp_(0, 1)


class InMemoryLoader:
    """Mini-batches of (float32 images in [0, 1], int64 labels) from tensors in memory."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 shuffle: bool, resize=None, device=None, seed: int | None = None):
        if batch_size < 1:
            raise DataError(f"batch_size 必须是正整数，现在是 {batch_size}。",
                            f"batch_size must be a positive integer, got {batch_size}.")
        device = torch.device(device) if device is not None else torch.device("cpu")
        self.images = images.to(device)      # uint8 (N, 1, 28, 28): 4x smaller than float
        self.labels = labels.to(device)
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.device = device
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    @property
    def num_examples(self) -> int:
        return len(self.labels)

    def __iter__(self):
        n = len(self.labels)
        order = (torch.randperm(n, generator=self.generator).to(self.device)
                 if self.shuffle else None)
        for start in range(0, n, self.batch_size):
            if order is None:
                idx = slice(start, start + self.batch_size)
            else:
                idx = order[start:start + self.batch_size]
            X = self.images[idx].float().div_(255)          # (B, 1, 28, 28)
            yield resize_batch(X, self.resize), self.labels[idx]   # (B, 1, H, W), (B,)


def load_data_fashion_mnist(batch_size: int, resize=None, device=None, seed: int | None = None):
    """d2l's ``load_data_fashion_mnist``: ``(train_iter, test_iter)``, train shuffled.

    Same meaning as d2l's (float32 in [0, 1], ``len()`` 469 and 79 at batch 128),
    but held in memory (on ``device`` when given) and resized per batch.
    """
    train = InMemoryLoader(*load_fashion_mnist(True), batch_size, shuffle=True,
                           resize=resize, device=device, seed=seed)
    test = InMemoryLoader(*load_fashion_mnist(False), batch_size, shuffle=False,
                          resize=resize, device=device)
    return train, test


def get_fashion_mnist_labels(labels, lang: str | None = None) -> list[str]:
    """Text labels for numeric ones, in the chosen language."""
    names = TEXT_LABELS[get_lang(lang)]
    return [names[int(i)] for i in labels]


def prepare_torchvision_root(root: Path | str = REPO_DATA) -> Path:
    """Lay the data out as ``root/FashionMNIST/raw/<name>`` so torchvision and d2l
    load it with no download (Debian's recompressed ``.gz`` files fail their check)."""
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    folder = _dataset_dir()
    for name in FILES:
        target = raw / name
        try:
            read_idx(target, name)
            continue                      # already there and intact
        except DataError:
            pass
        magic, shape, _ = FILES[name]
        header = np.array([magic, *shape], dtype=">u4").tobytes()
        target.write_bytes(header + read_idx(_file_in(folder, name), name).tobytes())
    return Path(root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Find, install or check Fashion-MNIST.")
    parser.add_argument("--no-install", action="store_true", help="never run apt-get")
    parser.add_argument("--no-download", action="store_true", help="never download")
    args = parser.parse_args(argv)
    try:
        folder = ensure_dataset(not args.no_install, not args.no_download)
    except DataError as err:
        print(err.message(get_lang()), file=sys.stderr)
        return 1
    print(f"Fashion-MNIST OK: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
