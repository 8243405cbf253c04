"""mkdocs hooks: what makes the site self-contained and its build strict (mkdocs.yml: hooks).

* The four notebooks come from notebooks/ (they stay where the tests and readers find them);
  mkdocs-jupyter executes them at build time.
* KaTeX comes from node_modules/ (./dev.sh docs installs it from the npm registry) and is served
  from the site: no formula needs a CDN.  mkdocs-jupyter and nbconvert write MathJax (and a
  mermaid loader) from a CDN into pages, each version in its own spelling (a <script src>, an
  inline loader whose data attribute holds the URL); every <script> that loads from outside
  the site, by its src or by a URL in its attributes or code, is removed, whatever the
  spelling, and KaTeX typesets the notebooks' math like every other page's.
* The explorer of the demo network (the one `microgrid explore` writes) becomes a page of the
  site, demo-explorer.html, framed by explorer-demo.md.
* The live parts (docs/assets/live/: Run buttons, the Playground) run microgrid in the page:
  Pyodide's core (npm `pyodide`), Graphviz in WebAssembly (npm `@viz-js/viz`), microgrid's wheel
  built from this checkout and graphviz's wheel (from PyPI, cached in .cache/), and a lock file
  listing only those two, all served from assets/live/: no micropip, no CDN.
* After the build every page is checked by what it loads: no attribute of any tag (src, srcset,
  a stylesheet's href, data, poster, an SVG href, a style's url()), no <style> and no inline
  script names anything outside the site, and every relative link and #anchor points at
  something the site has.  Either kind of fault fails the
  build, like mkdocs's own strict checks (which do not look inside rendered notebooks).
"""

from __future__ import annotations

import hashlib
import html
import html.parser
import importlib.metadata
import json
import posixpath
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mkdocs.plugins
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import get_toc

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js"]
SHIM = ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"  # mkdocs.yml: polyfills
EXPLORER_PAGE = "demo-explorer.html"
PYODIDE = ROOT / "node_modules" / "pyodide"
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
VIZ = ROOT / "node_modules" / "@viz-js" / "viz" / "dist" / "viz.js"  # an ES module, wasm inside
LIVE = "assets/live"  # the site's folder for the in-page Python (docs/assets/live/*.js beside it)
WHEEL_CACHE = ROOT / ".cache" / "live-wheels"


# ---------------------------------------------------------------------------- files
@mkdocs.plugins.event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config) -> Files:
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File(f"notebooks/{nb.name}", src_dir=str(ROOT), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    for needed in (KATEX / "katex.min.js", SHIM, VIZ, *(PYODIDE / f for f in PYODIDE_CORE)):
        if not needed.is_file():
            raise PluginError(f"{needed} is missing: run ./dev.sh docs, which installs it with "
                              "npm (package.json), or `npm ci` here")
    files.append(File.generated(config, "assets/iframe-worker/shim.js", abs_src_path=str(SHIM)))
    files.append(File.generated(config, EXPLORER_PAGE, content=demo_explorer_html()))
    for name in ("player.js", "player.css"):  # train-playground.md's player: recorded pages' own
        files.append(File.generated(config, f"assets/recording/{name}",
                                    abs_src_path=str(ROOT / "microgrid" / "recording" / name)))
    names = KATEX_FILES + [f"fonts/{f.name}" for f in sorted((KATEX / "fonts").glob("*.woff2"))]
    for name in names:
        files.append(File.generated(config, f"assets/katex/{name}", abs_src_path=str(KATEX / name)))
    for name in PYODIDE_CORE:
        files.append(File.generated(config, f"{LIVE}/pyodide/{name}",
                                    abs_src_path=str(PYODIDE / name)))
    files.append(File.generated(config, f"{LIVE}/viz.js", abs_src_path=str(VIZ)))
    wheels = live_wheels()
    for wheel in wheels:
        files.append(File.generated(config, f"{LIVE}/pyodide/{wheel.name}",
                                    abs_src_path=str(wheel)))
    files.append(File.generated(config, f"{LIVE}/pyodide/pyodide-lock.json",
                                content=live_lock(wheels)))
    return files


# ---------------------------------------------------------------------------- the in-page Python
def live_wheels() -> list[Path]:
    """microgrid's wheel, built from this checkout, and graphviz's (pure Python) wheel."""
    out = Path(tempfile.mkdtemp(prefix="microgrid-wheel-"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True)
    if built.returncode:
        raise PluginError(f"building microgrid's wheel for the in-page Python failed:\n"
                          f"{built.stderr[-2000:]}")
    version = importlib.metadata.version("graphviz")  # the one microgrid is tested with
    cached = sorted(WHEEL_CACHE.glob(f"graphviz-{version}-py3-none-any.whl"))
    if not cached:
        got = subprocess.run([*pip, "download", f"graphviz=={version}", "--no-deps",
                              "--only-binary=:all:", "-d", str(WHEEL_CACHE)],
                             capture_output=True, text=True)
        cached = sorted(WHEEL_CACHE.glob(f"graphviz-{version}-py3-none-any.whl"))
        if got.returncode or not cached:
            raise PluginError(f"downloading graphviz=={version}'s wheel (pip download) failed:"
                              f"\n{got.stderr[-2000:]}")
    return sorted(out.glob("microgrid-*.whl")) + cached


def live_lock(wheels: list[Path]) -> str:
    """Pyodide's lock file listing only these wheels (each with its sha256): then
    ``loadPackage("microgrid")`` installs microgrid and graphviz from the site, with no micropip
    (the npm package does not ship it) and nothing from Pyodide's CDN."""
    info = json.loads((PYODIDE / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
    packages = {}
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        packages[name] = {
            "name": name, "version": version, "file_name": wheel.name,
            "install_dir": "site", "package_type": "package",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "imports": [name], "depends": ["graphviz"] if name == "microgrid" else [],
            "unvendored_tests": False, "tool": {},
        }
    return json.dumps({"info": info, "packages": packages}, indent=1)


# ---------------------------------------------------------------------------- notebook pages
# nbconvert's MathJax block, configuration included (its loader goes anyway: see on_post_page)
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
# links written for GitHub (the derivation's .md with its #anchor, 02_….ipynb) → the site's pages
_NB_LINK = re.compile(r'href="(\.\./docs/)?([\w./-]+)\.(md|ipynb)(#[^"]*)?"')


_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """The Playground's editor starts with the README's example (one fact in one place)."""
    if page.file.src_uri != "playground.md":
        return markdown
    return markdown.replace("{{README_EXAMPLE}}", html.escape(readme_example(), quote=False))


def readme_example() -> str:
    """The README's first Python example: the one Get started and the Playground show."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S)[1]


def on_page_content(html_text: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html_text
    html_text = _MATHJAX.sub("", html_text)
    html_text = _NB_LINK.sub(lambda m: f'href="{"../" if m[1] else ""}{m[2]}.html{m[4] or ""}"',
                             html_text)
    # mkdocs-jupyter makes the page's table of contents from the Markdown source, whose anchors
    # differ from the ids of the rendered headings (`Value` in a title): take the headings.
    page.toc = get_toc(_toc_tokens(html_text))
    return html_text


def _toc_tokens(html_text: str) -> list[dict]:
    root: list[dict] = []
    stack: list[tuple[int, list[dict]]] = [(0, root)]
    for level, hid, inner in _HEADING.findall(html_text):
        name = re.sub(r"<[^>]+>|¶", "", inner).strip()
        token = {"level": int(level), "id": hid, "name": name, "html": name, "data-toc-label": "",
                 "children": []}
        while stack[-1][0] >= int(level):
            stack.pop()
        stack[-1][1].append(token)
        stack.append((int(level), token["children"]))
    return root


@mkdocs.plugins.event_priority(-100)  # after mkdocs-jupyter, which adds its loader here
def on_post_page(output: str, page, config) -> str:
    return strip_outside_scripts(output)


# A <script> element as HTML parses it: its start tag (quoted attributes may hold ">"), then
# raw text up to the first </script (the only way a script element ends).
_SCRIPT = re.compile(r"""<script\b(?:[^>"']|"[^"]*"|'[^']*')*>.*?</script\s*>""", re.S | re.I)
# a URL a script could load: http(s) with a host; XML namespace names (w3.org) are not loaded
_URL = re.compile(r"\bhttps?://(?!www\.w3\.org/)[^\s\"'<>()\\]+", re.I)


def strip_outside_scripts(html_text: str) -> str:
    """The page without the <script> elements that load from outside the site: by their src,
    or by a URL anywhere in their attributes or code (a loader that builds the tag itself)."""
    return _SCRIPT.sub(lambda m: "" if _script_loads(m.group(0)) else m.group(0), html_text)


def _script_loads(element: str) -> str | None:
    """The outside URL a <script> element loads, if any."""
    refs = _Refs()
    refs.feed(element)
    refs.close()
    return next((u for u in refs.loads if _outside(u)), None) or next(iter(refs.script_urls),
                                                                      None)


def _outside(url: str) -> bool:
    return urlsplit(url.strip()).scheme in ("http", "https") or url.strip().startswith("//")


# ------------------------------------------------------------------ the explorer, the check
def on_post_build(config) -> None:
    site = Path(config.site_dir)
    problems = check_site(site)
    if problems:
        raise PluginError("the built site is not self-contained or has broken links:\n  "
                          + "\n  ".join(problems[:40]))


def demo_explorer_html() -> str:
    """The page `microgrid explore` writes for the demo network, as one HTML text."""
    from microgrid import MLP, explore
    from microgrid.cli.command import DEMO_SEED, DEMO_SIZES, DEMO_X, DEMO_Y
    from microgrid.losses import quadratic

    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / EXPLORER_PAGE
        explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y, cost="quadratic").save(str(path))
        return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- the check
_CSS_URL = re.compile(r"(?:@import\s+|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", re.I)
# attributes that make a browser fetch what they name, on any tag (<a href> is a link to follow,
# not a load; <link href> loads unless it only names the page: canonical, alternate)
_LOADING = ("src", "data", "poster", "background", "xlink:href")
_NAMING = ("canonical", "alternate", "author", "license", "help", "search", "next", "prev")


class _Refs(html.parser.HTMLParser):
    """Every URL a page loads (any tag's src, srcset, data, poster, a stylesheet's href, an SVG
    href, a style's url(), a URL in an inline script) or links to (a href), and its ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self.links: list[str] = []
        self.script_urls: list[str] = []
        self.ids: set[str] = set()
        self._raw: str | None = None  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("id", "name"):
            if key in a:
                self.ids.add(a[key])
        self.loads += [a[k] for k in _LOADING if k in a]
        if "srcset" in a:
            self.loads += [part.split()[0] for part in a["srcset"].split(",") if part.split()]
        if "style" in a:
            self.loads += _CSS_URL.findall(a["style"])
        if tag == "link" and "href" in a:
            if not set(a.get("rel", "").lower().split()) & set(_NAMING):
                self.loads.append(a["href"])
        elif tag in ("image", "use", "feimage") and "href" in a:
            self.loads.append(a["href"])
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "script":  # a URL in any attribute: a loader configured by data-*
            self.script_urls += [u for k, v in a.items() if k != "src"
                                 for u in _URL.findall(v)]
        self._raw = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "script":
            self.script_urls += _URL.findall(data)
        elif self._raw == "style":
            self.loads += _CSS_URL.findall(data)


def check_site(site: Path) -> list[str]:
    """What is wrong with the built site: anything a page loads from outside it (a CDN script,
    web fonts, an image, a URL an inline script would fetch), a CSS @import or url() from
    outside, a relative link to a missing file or #anchor."""
    pages: dict[str, _Refs] = {}
    for f in sorted(site.rglob("*.html")):
        refs = _Refs()
        refs.feed(f.read_text(encoding="utf-8"))
        refs.close()
        pages[f.relative_to(site).as_posix()] = refs
    problems = []
    for name, refs in pages.items():
        if name == "404.html":
            continue  # a web server's page, with absolute links; never opened from file://
        for url in refs.loads:
            if _outside(url):
                problems.append(f"{name}: loads {url} from outside the site")
        for url in refs.script_urls:
            problems.append(f"{name}: a script loads {url} from outside the site")
        for url in refs.loads + refs.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//") or url.startswith("data:"):
                continue  # outside links (a href) are the reader's to follow; loads: above
            target = (posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                        unquote(parts.path)))
                      if parts.path else name)
            if parts.path and not (site / target).exists():
                problems.append(f"{name}: link to {url}: no such file")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                problems.append(f"{name}: link to {url}: {target} has no #{parts.fragment}")
    # the live parts' own scripts (not the vendored Pyodide and viz.js): a URL outside the site
    # in any string of theirs (an import, a fetch, a worker) would be a load from outside
    for js in sorted((site / LIVE).glob("*.js")):
        if js.name == "viz.js":
            continue
        for url in re.findall(r"[\"'`]((?:https?:)?//[^\"'`\s]*)",
                              js.read_text(encoding="utf-8")):
            if not url.startswith("http://127.0.0.1"):  # the serve command's address, in a hint
                problems.append(f"{js.relative_to(site).as_posix()}: loads {url}")
    for css in site.rglob("*.css"):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{css.relative_to(site).as_posix()}: loads {url}")
    return problems
