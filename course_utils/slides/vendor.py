"""reveal.js, MathJax, require.js and jQuery, taken once from the npm registry.

A classroom often has no internet, so the JavaScript nbconvert's reveal template
would load from CDNs is fetched at build time (``npm pack``, cached in
``~/.cache/vgg-course/npm``) and copied next to the decks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..machine import cache_dir
from ..messages import CourseError

CACHE_DIR = cache_dir() / "npm"

# npm package -> (exact version, the files a deck needs). Versions are pinned so a
# deck built today and one built next term behave the same.
VENDOR = {
    "reveal.js": ("4.6.1", ["dist/reveal.js", "dist/reveal.css", "dist/reset.css",
                            "dist/theme/", "plugin/notes/", "LICENSE"]),
    # MathJax 2, because nbconvert's template talks to MathJax 2's API (MathJax.Hub).
    # Only the TeX -> CommonHTML path the template configures, not all 73 MB.
    "mathjax": ("2.7.9", ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js",
                          "extensions/",
                          "jax/input/TeX/", "jax/element/", "jax/output/CommonHTML/",
                          "jax/output/PreviewHTML/", "jax/output/NativeMML/",
                          "fonts/HTML-CSS/TeX/woff/", "fonts/HTML-CSS/TeX/otf/",
                          "localization/", "LICENSE"]),
    "requirejs": ("2.3.7", ["require.js"]),
    "jquery": ("3.7.1", ["dist/jquery.min.js", "LICENSE.txt"]),
}

# Bumped when install_vendor changes what it does to the files (a rebuild then redoes them).
VENDOR_FORMAT = 3

# Where each script the template loads lives, relative to a deck.
URLS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "require_js_url": "vendor/requirejs/require.js",
    "jquery_url": "vendor/jquery/dist/jquery.min.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

# nbconvert's reveal template, minus the one script we cannot serve locally: the

HOW_TO_GET_NPM = (
    "制作离线幻灯片需要 npm（用来下载 reveal.js 和 MathJax，只在制作时需要，放映时不需要）。"
    "请安装 Node.js（Debian/Ubuntu: sudo apt-get install npm）后重试。",
    "Building offline slides needs npm (to fetch reveal.js and MathJax, at build time "
    "only: presenting needs no network). Install Node.js (Debian/Ubuntu: "
    "sudo apt-get install npm) and try again.",
)


def npm_tarball(package: str, version: str, cache_dir: Path = CACHE_DIR) -> Path:
    """The package's tarball from the npm registry, downloaded once into ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    # npm names scoped or dotted packages' tarballs "<name>-<version>.tgz".
    tarball = cache_dir / f"{package.replace('@', '').replace('/', '-')}-{version}.tgz"
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise CourseError(*HOW_TO_GET_NPM)
    result = subprocess.run([npm, "pack", f"{package}@{version}", "--silent",
                             "--pack-destination", str(cache_dir)],
                            capture_output=True, text=True)
    if result.returncode != 0 or not tarball.is_file():
        raise CourseError(f"npm pack {package}@{version} 失败：{result.stderr.strip()[-500:]}",
                          f"npm pack {package}@{version} failed: "
                          f"{result.stderr.strip()[-500:]}")
    return tarball


def _wanted(name: str, keep: list[str]) -> bool:
    return any(name == k or (k.endswith("/") and name.startswith(k)) for k in keep)


def unpack(tarball: Path, dest: Path, keep: list[str]) -> int:
    """Copy the files listed in ``keep`` (paths or folders/) from an npm tarball."""
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.split("/", 1)[-1]          # drop npm's "package/" prefix
            if not member.isfile() or not _wanted(name, keep) or ".." in name.split("/"):
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src:
                target.write_bytes(src.read())
            count += 1
    return count


def install_vendor(out_dir: Path, cache_dir: Path = CACHE_DIR) -> Path:
    """Put reveal.js, MathJax, require.js and jQuery in ``out_dir/vendor`` (once)."""
    vendor = out_dir / "vendor"
    for package, (version, keep) in VENDOR.items():
        dest = vendor / package
        stamp, stamp_text = dest / ".version", f"{version}+{VENDOR_FORMAT}"
        if stamp.is_file() and stamp.read_text() == stamp_text:
            continue                                      # already there: no npm, no network
        shutil.rmtree(dest, ignore_errors=True)
        unpack(npm_tarball(package, version, cache_dir), dest, keep)
        for css in dest.glob("dist/theme/*.css"):
            css.write_text(strip_remote_imports(css.read_text(encoding="utf-8")), encoding="utf-8")
        for notes in (dest / "plugin/notes/notes.js", dest / "plugin/notes/notes.esm.js"):
            if notes.is_file():
                notes.write_text(speaker_view_with_deck_fonts(notes.read_text(encoding="utf-8")),
                                 encoding="utf-8")
        stamp.write_text(stamp_text)
    return vendor


# reveal.js's notes plugin writes the speaker view's page, one string literal, into a
# new window: that page gets what the deck's ``window.vggSpeakerHead()`` returns (its
# embedded @font-face, export.SPEAKER_VIEW_HEAD) before its ``</head>``, or Chinese
# notes are boxes on a PC without a Chinese font.
SPEAKER_HEAD_HOOK = '"+(window.vggSpeakerHead?window.vggSpeakerHead():"")+"'


def speaker_view_with_deck_fonts(script: str) -> str:
    """The notes plugin, its speaker view asking the deck for the deck's fonts."""
    if SPEAKER_HEAD_HOOK in script:
        return script
    if script.count("</head>") != 1:
        raise CourseError("reveal.js 的演讲者视图插件（plugin/notes）和预期的不一样，"
                          "无法给它加上幻灯片的字体。",
                          "reveal.js's speaker view plugin (plugin/notes) is not what the "
                          "build expects: cannot give it the deck's font.")
    return script.replace("</head>", SPEAKER_HEAD_HOOK + "</head>", 1)


_REMOTE_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*;\s*", re.I)


def strip_remote_imports(css: str) -> str:
    """reveal.js's themes @import Google Fonts; offline that import only stalls the
    page, and the deck names its own fonts (DECK_CSS), so it goes."""
    return _REMOTE_IMPORT.sub("", css)
