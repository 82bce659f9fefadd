"""Fashion-MNIST, offline first, held in memory.

Where the data comes from, in this order:

1. the folder named by ``$FASHION_MNIST_DIR``;
2. ``data/`` in this repository (``data/FashionMNIST/raw/`` works too);
3. Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``),
   which ``make lab`` / ``make test`` install with apt where they can;
4. last, a download into ``data/FashionMNIST/raw``, checked against checksums.

Every file is parsed with numpy, its IDX header and size checked and its
decompressed md5 compared with the published one, so a truncated or damaged file
is named and never trained on. The first folder whose four files are all good
wins: a damaged or unreadable copy earlier in the list is skipped with one line
saying why, so it cannot hide a good copy further down. A download goes to a
temporary file and is renamed into place only once its checksums agree. ``load_data_fashion_mnist`` keeps
d2l's signature and meaning but holds the images in memory (on the GPU when one
is given) and resizes each batch with ``interpolate``: no worker processes, which
is what makes d2l's loader hang or crawl on small machines, macOS and Windows.
"""

from __future__ import annotations

import argparse
import errno
import gzip
import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .machine import cache_dir
from .messages import DataError, LanguageError, console_safe, get_lang, pick, whole_number

from .paths import REPO_ROOT, in_checkout


def _data_home() -> Path:
    """``data/`` in a checkout of the course; for an installed package (a hub, Colab),
    the user's cache: site-packages is neither the student's nor writable."""
    if in_checkout():
        return REPO_ROOT / "data"
    return cache_dir() / "data"


REPO_DATA = _data_home()
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

FIXES = (
    "任选一种办法：\n"
    "  • 运行 `make data`（在 Debian/Ubuntu 上以 root 身份会用 apt 安装 dataset-fashion-mnist）；\n"
    "  • 或 `sudo apt-get install dataset-fashion-mnist`；\n"
    "  • 或把 4 个文件（train-images-idx3-ubyte.gz 等）放进本仓库的 data/ 文件夹，"
    "或用环境变量 FASHION_MNIST_DIR 指向它们所在的文件夹。",
    "Any one of these fixes it:\n"
    "  • run `make data` (as root on Debian/Ubuntu it installs dataset-fashion-mnist with apt);\n"
    "  • or `sudo apt-get install dataset-fashion-mnist`;\n"
    "  • or put the 4 files (train-images-idx3-ubyte.gz, ...) in this repository's data/ "
    "folder, or point the environment variable FASHION_MNIST_DIR at their folder.",
)
HOW_TO_GET = ("找不到 Fashion-MNIST 数据集。" + FIXES[0],
              "Fashion-MNIST was not found. " + FIXES[1])


def _say(zh: str, en: str) -> None:
    """One line for the student, in their language, on stderr (a notebook shows it)."""
    print(pick(zh, en), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- what a bad file is


class FileProblem(DataError):
    """One file or folder that cannot be used, with a short reason for "skipped" lines.

    ``short_zh``/``short_en`` say what is wrong in a few words; the full message
    adds what to do about it.
    """

    def __init__(self, path: Path, short_zh: str, short_en: str, todo_zh: str, todo_en: str):
        self.path, self.short_zh, self.short_en = Path(path), short_zh, short_en
        super().__init__(f"{path}：{short_zh}。{todo_zh}", f"{path}: {short_en}. {todo_en}")

    def short(self, lang: str | None = None, folder: Path | None = None) -> str:
        """The reason in a few words, naming the file (not the ``folder`` itself)."""
        if folder is not None and self.path == Path(folder):
            return pick(self.short_zh, self.short_en, lang)
        return pick(f"{self.path.name}：{self.short_zh}", f"{self.path.name}: {self.short_en}", lang)


def _damaged(path: Path, zh: str, en: str) -> FileProblem:
    return FileProblem(path, zh, en, "请删除它并重新获取。", "Delete it and get it again.")


def _no_permission(path: Path, folder: bool = False) -> FileProblem:
    # Not damage: deleting the file would be the wrong advice.
    if folder:
        return FileProblem(path, "没有权限打开这个文件夹", "no permission to open this folder",
                           f"文件本身可能是好的：请让当前用户能读取它（例如 chmod a+rx {path}），"
                           "或用 FASHION_MNIST_DIR 指向另一份。",
                           f"The files may well be fine: let this user read it (e.g. "
                           f"chmod a+rx {path}), or point FASHION_MNIST_DIR at another copy.")
    return FileProblem(path, "没有权限读取这个文件", "no permission to read this file",
                       f"文件没有损坏，不要删除：请让当前用户能读取它（例如 chmod a+r {path}），"
                       "或用 FASHION_MNIST_DIR 指向另一份。",
                       f"It is not damaged, so do not delete it: let this user read it (e.g. "
                       f"chmod a+r {path}), or point FASHION_MNIST_DIR at another copy.")


def _not_a_folder(path: Path) -> FileProblem:
    return FileProblem(path, f"这是一个文件，不是文件夹（请指向它所在的文件夹 {path.parent}）",
                       f"this is a file, not a folder (name its folder, {path.parent}, instead)",
                       "FASHION_MNIST_DIR 要指向存放 4 个文件的文件夹，而不是其中一个文件。",
                       "FASHION_MNIST_DIR must name the folder that holds the 4 files, not "
                       "one of them.")


def _link_loop(path: Path) -> FileProblem:
    return FileProblem(path, "这个符号链接绕成了一个圈（最终指回它自己）",
                       "this symbolic link loops back on itself",
                       f"请删除或改正这个链接（ls -l {path} 可以看到它指向哪里）。",
                       f"Remove or fix the link (ls -l {path} shows where it points).")


def _loops(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def _read_raw(path: Path) -> bytes:
    """The file's bytes, decompressed when it ends in ``.gz``."""
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise _no_permission(path) from None
    except OSError as err:
        raise _damaged(path, f"无法读取（{err.strerror or err}）",
                       f"cannot be read ({err.strerror or err})") from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise _damaged(path, f"不是完整的 gzip 文件（{err}）",
                           f"is not a complete gzip file ({err})") from None
    return raw


def _check_raw(raw: bytes, path: Path, name: str, md5_known_good: bool = False) -> np.ndarray:
    """Header, length and md5 of one decompressed IDX file; its array when all agree.

    ``md5_known_good``: this very file (same path, size, mtime) passed the md5 check
    earlier in this process, so the 55 MB hash is not paid a second time.
    """
    magic, shape, md5 = FILES[name]
    expected = 4 + 4 * len(shape) + int(np.prod(shape))
    head = 4 + 4 * len(shape)
    header = np.frombuffer(raw[:head], dtype=">u4") if len(raw) >= head else []
    if len(header) < 1 or header[0] != magic or tuple(header[1:]) != shape:
        raise _damaged(path, f"文件头不对，它不是 {name}", f"wrong header: it is not {name}")
    if len(raw) != expected:
        raise _damaged(path, f"长度是 {len(raw)} 字节，应为 {expected}，文件被截断或损坏",
                       f"{len(raw)} bytes, expected {expected}: truncated or damaged")
    if not md5_known_good and hashlib.md5(raw).hexdigest() != md5:
        raise _damaged(path, "校验和不符，内容已损坏", "wrong checksum: its content is damaged")
    return np.frombuffer(raw, dtype=np.uint8, offset=len(raw) - int(np.prod(shape))).reshape(shape)


# Files already checked in this process, by (path, size, mtime): the md5 of 55 MB
# is paid once, however many times the data set is looked for.
_VERIFIED: set[tuple[str, int, int]] = set()


def _stat_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def read_idx(path: Path, name: str | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or not) after checking header, size and md5."""
    path = Path(path)
    name = name or path.name.removesuffix(".gz")
    key = _stat_key(path)
    array = _check_raw(_read_raw(path), path, name, md5_known_good=key in _VERIFIED)
    if key is not None:
        _VERIFIED.add(key)
    return array


def verify_file(path: Path, name: str) -> None:
    """Raise :class:`FileProblem` unless ``path`` is a good copy of ``name`` (cached)."""
    key = _stat_key(Path(path))
    if key is None or key not in _VERIFIED:
        read_idx(path, name)


# ---------------------------------------------------------------- where the data is


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


def _looping_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_symlink() and _loops(candidate):
            return candidate
    return None


def check_dataset_dir(folder: Path) -> None:
    """Raise :class:`FileProblem` unless ``folder`` holds four good files."""
    folder = Path(folder)
    try:
        os.listdir(folder)
    except PermissionError:
        raise _no_permission(folder, folder=True) from None
    except NotADirectoryError:
        raise _not_a_folder(folder) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _link_loop(folder) from None
        raise FileProblem(folder, f"无法打开这个文件夹（{err.strerror or err}）",
                          f"this folder cannot be opened ({err.strerror or err})",
                          "请检查它，或用 FASHION_MNIST_DIR 指向另一份。",
                          "Check it, or point FASHION_MNIST_DIR at another copy.") from None
    missing = [name for name in FILES if _file_in(folder, name) is None]
    looping = [_looping_file(folder, name) for name in missing]
    if any(looping):
        raise _link_loop(next(p for p in looping if p))
    if missing:
        raise FileProblem(folder / missing[0], "缺少这个文件", "this file is missing",
                          "请补齐 4 个文件。", "Add the missing files.")
    for name in FILES:
        verify_file(_file_in(folder, name), name)


def _holds_any(folder: Path) -> bool:
    """Does ``folder`` look like a copy at all? (An empty ``data/`` is not worth a word.)"""
    try:
        names = set(os.listdir(folder))
    except FileNotFoundError:
        return False
    except OSError:
        return True           # unreadable: say so rather than pass over it in silence
    return any(n in names or f"{n}.gz" in names for n in FILES)


_said: set[str] = set()


def find_dataset_dir(dirs: list[Path] | None = None,
                     skipped: list[FileProblem] | None = None) -> Path | None:
    """The first folder whose four files are all good, or ``None``.

    A folder that holds some of the files but not good ones is skipped with one
    line saying why (once per process), so a damaged copy in ``data/`` cannot
    hide a good one further down the list; each reason is added to ``skipped``.
    """
    named = os.environ.get("FASHION_MNIST_DIR")
    named = Path(named).expanduser() if named else None
    for folder in candidate_dirs() if dirs is None else dirs:
        folder = Path(folder)
        if not _holds_any(folder):
            if folder == named:
                # the student asked for this folder: passing it over in silence would puzzle
                _say_once(f"{folder}|empty",
                          f"跳过 FASHION_MNIST_DIR={folder}："
                          + ("这个文件夹不存在" if not folder.exists() else
                             "里面没有 Fashion-MNIST 的文件") + "；接着在别处找。",
                          f"Skipped FASHION_MNIST_DIR={folder}: "
                          + ("this folder does not exist" if not folder.exists() else
                             "it holds no Fashion-MNIST files") + "; looking elsewhere.")
            continue
        try:
            check_dataset_dir(folder)
            return folder
        except FileProblem as problem:
            if skipped is not None:
                skipped.append(problem)
            _say_once(f"{folder}|{problem.en}", f"跳过 {folder}：{problem.short('zh', folder)}。",
                      f"Skipped {folder}: {problem.short('en', folder)}.")
    return None


def _say_once(line: str, zh: str, en: str) -> None:
    """Once per process: a notebook that loads the data twice says a skip once."""
    if line not in _said:
        _said.add(line)
        _say(zh, en)


def _not_found(skipped: list[FileProblem]) -> DataError:
    if not skipped:
        return DataError(*HOW_TO_GET)
    zh = "\n".join(f"  • {p.message('zh')}" for p in skipped)
    en = "\n".join(f"  • {p.message('en')}" for p in skipped)
    return DataError(f"没有找到完好的 Fashion-MNIST，找到的副本都不能用：\n{zh}\n" + FIXES[0],
                     f"No usable copy of Fashion-MNIST; the copies found cannot be used:\n{en}\n"
                     + FIXES[1])


# ---------------------------------------------------------------- getting a copy


def _write_atomically(target: Path, payload: bytes) -> None:
    """Write next to ``target``, then rename: a crash or Ctrl-C never leaves half a file
    under the real name, and the temporary file is removed whatever happens."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise DataError(f"无法写入 {target}（{err.strerror or err}）：请检查磁盘空间和文件夹权限。",
                            f"Cannot write {target} ({err.strerror or err}): check the disk space "
                            "and the folder's permissions.") from None
        raise


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (OSError, http.client.HTTPException, ValueError) as err:
        # OSError covers URLError and timeouts; HTTPException covers a connection
        # cut mid-file (IncompleteRead), which is not an OSError.
        reason = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise DataError(f"下载 {url} 失败（{reason}）。\n" + HOW_TO_GET[0],
                        f"Downloading {url} failed ({reason}).\n" + HOW_TO_GET[1]) from None


def download(dest: Path = REPO_DATA / "FashionMNIST" / "raw", mirror: str = MIRROR,
             timeout: float = 10.0) -> Path:
    """Fetch the four files, verify each, keep them decompressed in ``dest``.

    A file already in ``dest`` is kept only if it checks out. Each download is
    checked (compressed and decompressed md5) before it is renamed into place.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"无法创建文件夹 {dest}（{err.strerror or err}）。\n" + HOW_TO_GET[0],
                        f"Cannot create the folder {dest} ({err.strerror or err}).\n"
                        + HOW_TO_GET[1]) from None
    for name, md5 in DOWNLOAD_MD5.items():
        target = dest / name
        if target.is_file():
            try:
                verify_file(target, name)
                continue
            except FileProblem as problem:
                _say(f"{problem.short('zh')}：重新下载。", f"{problem.short('en')}: downloading "
                     "it again.")
        url = f"{mirror}{name}.gz"
        payload = _fetch(url, timeout)
        if hashlib.md5(payload).hexdigest() != md5:
            raise DataError(f"下载的 {name}.gz 校验和不符，已丢弃。\n" + HOW_TO_GET[0],
                            f"The downloaded {name}.gz has a wrong checksum; discarded.\n"
                            + HOW_TO_GET[1])
        raw = _read_raw_bytes_gz(payload, url)
        _check_raw(raw, Path(url), name)
        _write_atomically(target, raw)
        _VERIFIED.add(_stat_key(target))
    return dest


def _read_raw_bytes_gz(payload: bytes, url: str) -> bytes:
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"下载的 {url} 不是完整的 gzip 文件（{err}），已丢弃。",
                        f"The download {url} is not a complete gzip file ({err}); "
                        "discarded.") from None


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
    """Find a good copy of the data set, installing or downloading one if needed."""
    skipped: list[FileProblem] = []
    folder = find_dataset_dir(skipped=skipped)
    if folder is None and allow_install and install_debian_package():
        folder = find_dataset_dir(skipped=[])
    if folder is None and allow_download:
        folder = download()
    if folder is None:
        raise _not_found(skipped)
    return folder


def _dataset_dir() -> Path:
    skipped: list[FileProblem] = []
    folder = find_dataset_dir(skipped=skipped)
    if folder is None:
        raise _not_found(skipped)
    return folder


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
        batch_size = whole_number(batch_size, "batch_size", example=128)
        device = torch.device(device) if device is not None else torch.device("cpu")
        self.images = images.to(device)      # uint8 (N, 1, 28, 28): 4x smaller than float
        self.labels = labels.to(device)
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.device, self.seed = device, seed
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def restart(self) -> None:
        """Back to the first shuffle of ``seed``: a new training run sees the same
        batches as the last one did (``train_ch6`` calls this unless it resumes)."""
        if self.generator is not None:
            self.generator.manual_seed(self.seed)

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
        _write_atomically(target, header + read_idx(_file_in(folder, name), name).tobytes())
    return Path(root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Find, install or check Fashion-MNIST.")
    parser.add_argument("--no-install", action="store_true", help="never run apt-get")
    parser.add_argument("--no-download", action="store_true", help="never download")
    args = parser.parse_args(argv)
    console_safe()
    try:
        get_lang()      # a wrong COURSE_LANG is said here, in both languages
        folder = ensure_dataset(not args.no_install, not args.no_download)
    except (DataError, LanguageError) as err:
        print(err, file=sys.stderr)
        return 1
    print(pick(f"Fashion-MNIST 数据集完好：{folder}", f"Fashion-MNIST OK: {folder}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
