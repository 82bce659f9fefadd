"""Instructor mode: every lesson notebook as a reveal.js deck that works offline.

``make slides`` (``python -m course_utils.slides --out slides``) writes::

    slides/index.html                    one page linking every deck
    slides/01-modularization.zh.html     one deck per notebook and language
    slides/vendor/reveal.js, mathjax, requirejs, jquery

A classroom often has no internet, so nothing is fetched while presenting: the
JavaScript that nbconvert's reveal template would load from CDNs (reveal.js,
require.js, jQuery, MathJax) is taken once, at build time, from the npm registry
(``npm pack``, cached in ``~/.cache/vgg-course/npm``) and copied next to the
decks; the lesson's figures are embedded in the decks as data URIs. Each deck is
checked after it is written: a deck that still refers to the network, or to an
image it could not embed, is an error, not a surprise in front of a class.

Slides follow the cells' "Slide Type" (JupyterLab: property inspector). A notebook
with no slide metadata at all gets one slide per heading cell.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import unquote

from .messages import CourseError

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
LANGS = ("zh", "en")
CACHE_DIR = Path(os.environ.get("VGG_COURSE_CACHE", Path.home() / ".cache" / "vgg-course")) / "npm"

# npm package -> (exact version, the files a deck needs). Versions are pinned so a
# deck built today and one built next term behave the same.
VENDOR = {
    "reveal.js": ("4.6.1", ["dist/reveal.js", "dist/reveal.css", "dist/reset.css",
                            "dist/theme/", "plugin/notes/", "LICENSE"]),
    # MathJax 2, because nbconvert's template talks to MathJax 2's API (MathJax.Hub).
    # Only the TeX -> CommonHTML path the template configures, not all 73 MB.
    "mathjax": ("2.7.9", ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "extensions/",
                          "jax/input/TeX/", "jax/element/", "jax/output/CommonHTML/",
                          "jax/output/PreviewHTML/", "jax/output/NativeMML/",
                          "fonts/HTML-CSS/TeX/woff/", "fonts/HTML-CSS/TeX/otf/",
                          "localization/", "LICENSE"]),
    "requirejs": ("2.3.7", ["require.js"]),
    "jquery": ("3.7.1", ["dist/jquery.min.js", "LICENSE.txt"]),
}

# Where each script the template loads lives, relative to a deck.
URLS = {
    "reveal_url_prefix": "vendor/reveal.js",
    "require_js_url": "vendor/requirejs/require.js",
    "jquery_url": "vendor/jquery/dist/jquery.min.js",
    "mathjax_url": "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}

# nbconvert's reveal template, minus the one script we cannot serve locally: the
# course has no mermaid diagrams, and mermaid's module would come from a CDN.
TEMPLATE_NAME = "vgg_course_slides.html.j2"
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

HOW_TO_GET_NPM = (
    "制作离线幻灯片需要 npm（用来下载 reveal.js 和 MathJax，只在制作时需要，放映时不需要）。"
    "请安装 Node.js（Debian/Ubuntu: sudo apt-get install npm）后重试。",
    "Building offline slides needs npm (to fetch reveal.js and MathJax, at build time "
    "only: presenting needs no network). Install Node.js (Debian/Ubuntu: "
    "sudo apt-get install npm) and try again.",
)


# ---------------------------------------------------------------------------
# Vendored JavaScript
# ---------------------------------------------------------------------------

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
        stamp = dest / ".version"
        if stamp.is_file() and stamp.read_text() == version:
            continue                                      # already there: no npm, no network
        shutil.rmtree(dest, ignore_errors=True)
        unpack(npm_tarball(package, version, cache_dir), dest, keep)
        stamp.write_text(version)
    return vendor


# ---------------------------------------------------------------------------
# Notebooks -> decks
# ---------------------------------------------------------------------------

def find_notebooks(root: Path = NOTEBOOKS_DIR) -> list[tuple[str, Path]]:
    """``(lang, path)`` for every ``root/<lang>/*.ipynb``, in a stable order."""
    found = []
    for lang in LANGS:
        found += [(lang, p) for p in sorted((Path(root) / lang).glob("*.ipynb"))]
    return found


_MD_IMAGE = re.compile(r"(!\[[^\]]*\]\(\s*<?)([^)\s>]+)")
_HTML_IMAGE = re.compile(r"(<img\b[^>]*\bsrc\s*=\s*[\"'])([^\"']+)", re.I)


def _data_uri(url: str, base_dir: Path) -> str:
    """``url`` as a data URI when it names a local file, else unchanged."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith(("/", "#")):
        return url                                        # http:, data:, attachment:...
    path = (base_dir / unquote(url)).resolve()
    if not path.is_file():
        return url                                        # deck_problems() will name it
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def embed_local_images(source: str, base_dir: Path) -> str:
    """Inline the local images a markdown cell links (``../../Images/vgg.zh.svg``).

    nbconvert's own ``embed_images`` refuses files outside the notebook's folder,
    and the course keeps its figures in the repository's ``Images/``.
    """
    def swap(match):
        return match.group(1) + _data_uri(match.group(2), base_dir)
    return _HTML_IMAGE.sub(swap, _MD_IMAGE.sub(swap, source))


def prepare(nb, base_dir: Path | None = None):
    """A copy of the notebook ready for slides (the file itself is left alone)."""
    nb = copy.deepcopy(nb)
    if base_dir is not None:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = embed_local_images(cell.source, base_dir)
    # Saved widget state would make the template load the widget manager from a
    # CDN; widgets need a live kernel anyway, so present those parts from JupyterLab.
    nb.metadata.pop("widgets", None)
    if not any("slide_type" in c.get("metadata", {}).get("slideshow", {}) for c in nb.cells):
        for cell in nb.cells:
            heading = cell.cell_type == "markdown" and cell.source.lstrip().startswith("#")
            cell.metadata["slideshow"] = {"slide_type": "slide" if heading else "-"}
    return nb


def deck_name(lang: str, notebook: Path) -> str:
    return f"{notebook.stem}.{lang}.html"


def _exporter(lang: str):
    import jinja2
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    for key, value in URLS.items():
        setattr(config.SlidesExporter, key, value)
    config.SlidesExporter.embed_images = True       # figures travel inside the deck
    config.SlidesExporter.reveal_scroll = True      # long code cells scroll, not overflow
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.language_code = lang
    return SlidesExporter(config=config, template_file=TEMPLATE_NAME,
                          extra_loaders=[jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})])


def export_deck(notebook: Path, lang: str, out_dir: Path) -> Path:
    """Write one deck; raise :class:`CourseError` if it would need the network."""
    import nbformat

    nb = prepare(nbformat.read(notebook, as_version=4), notebook.parent)
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)}}
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    problems = deck_problems(body)
    if problems:
        raise CourseError(f"{notebook} 的幻灯片不能离线使用：" + "；".join(problems),
                          f"The deck for {notebook} would not work offline: "
                          + "; ".join(problems))
    target = out_dir / deck_name(lang, notebook)
    target.write_text(body, encoding="utf-8")
    return target


_REMOTE = [
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"\burl\(\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"\bimport\b[^;\n]*?from\s+[\"']((?:https?:)?//[^\"']+)", re.I),
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
]
_IMG_SRC = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']*)[\"']", re.I)


def remote_references(page: str) -> list[str]:
    """Every script, style sheet, font or image a page would fetch over the network."""
    return sorted({m.group(1) for pattern in _REMOTE for m in pattern.finditer(page)})


def deck_problems(page: str) -> list[str]:
    """Why a deck would fail in a classroom without internet (empty: it would not)."""
    problems = [f"loads {url}" for url in remote_references(page)]
    problems += [f"image not embedded: {src}" for src in _IMG_SRC.findall(page)
                 if not src.startswith("data:") and not src.startswith(("http:", "https:"))]
    return problems


def _title(notebook: Path) -> str:
    import nbformat
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return notebook.stem


def write_index(out_dir: Path, decks: list[tuple[str, Path, Path]]) -> Path:
    """A page linking every deck, so the instructor opens one file."""
    sections = []
    for lang, heading in (("zh", "中文"), ("en", "English")):
        items = [f'<li><a href="{html.escape(deck.name)}">{html.escape(_title(nb))}</a></li>'
                 for deck_lang, nb, deck in decks if deck_lang == lang]
        if items:
            sections.append(f"<h2>{heading}</h2>\n<ol>\n" + "\n".join(items) + "\n</ol>")
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>VGG · 幻灯片 slides</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}</style>"
            "</head><body>\n<h1>使用块的网络 VGG · Networks Using Blocks (VGG)</h1>\n"
            + "\n".join(sections) + "\n</body></html>\n")
    target = out_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


def build(out_dir: Path | str = "slides", notebooks_dir: Path | str = NOTEBOOKS_DIR,
          cache_dir: Path = CACHE_DIR) -> list[Path]:
    """Export every notebook as an offline deck into ``out_dir``; return the decks."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notebooks = find_notebooks(Path(notebooks_dir))
    if not notebooks:
        raise CourseError(f"{notebooks_dir} 下没有 zh/*.ipynb 或 en/*.ipynb。",
                          f"No zh/*.ipynb or en/*.ipynb under {notebooks_dir}.")
    install_vendor(out_dir, cache_dir)
    decks = [(lang, nb, export_deck(nb, lang, out_dir)) for lang, nb in notebooks]
    write_index(out_dir, decks)
    return [deck for _, _, deck in decks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Export the notebooks as offline reveal.js "
                                                 "slides.")
    parser.add_argument("--out", default=os.environ.get("SLIDES_DIR", "slides"),
                        help="folder for the decks (default: $SLIDES_DIR or slides/)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR),
                        help="folder holding zh/ and en/ (default: notebooks/)")
    args = parser.parse_args(argv)
    try:
        decks = build(args.out, args.notebooks)
    except CourseError as err:
        print(err, file=sys.stderr)
        return 1
    for deck in decks:
        print(deck)
    print(f"open {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
