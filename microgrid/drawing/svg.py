"""A Graphviz drawing as every viewer should show it, and a clear word when ``dot`` is missing.

`Drawing` is the ``graphviz.Digraph`` that `microgrid.draw_dot` returns: rendering it without
the Graphviz ``dot`` program raises `GraphvizNotInstalled` (saying how to install it) from
files, pipes and Jupyter's inline display alike, and its SVG is fixed for browsers
(superscripts and subscripts moved into place, spaces at the ends of text runs kept).

The renderer seam: `pipe` is where DOT text becomes a picture.  Normally the ``dot`` program
does it (run by the graphviz package); in a browser page (Pyodide, which cannot start
programs) the page's Graphviz compiled to WebAssembly does (`page_renderer`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphviz

__all__ = ["Drawing", "GraphvizNotInstalled", "INSTALL_HINT", "dot_required", "fix_svg", "pipe",
           "page_renderer"]

INSTALL_HINT = (
    "rendering a drawing needs the Graphviz `dot` program, which was not found on PATH "
    "(the Python package `graphviz` alone is not enough). Install it with one of:\n"
    "    apt-get install graphviz                (Debian/Ubuntu)\n"
    "    brew install graphviz                   (macOS)\n"
    "    conda install -c conda-forge graphviz   (conda)\n"
    "Without it, draw_dot(...).source still gives the DOT text."
)


class GraphvizNotInstalled(graphviz.ExecutableNotFound):
    """Rendering was asked for but the ``dot`` program is missing; the message says how to
    install it.  A subclass of ``graphviz.ExecutableNotFound``, so code catching that still
    works."""

    def __init__(self, why: str = "") -> None:
        RuntimeError.__init__(self, INSTALL_HINT + (f"\n({why})" if why else ""))


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders the notation of docs/backprop.md §1 everywhere.

    Two things differ from a plain Digraph: a missing ``dot`` raises `GraphvizNotInstalled`
    (with install instructions) from files, pipes and Jupyter's inline display alike; and
    SVG output is fixed for browsers: superscripts and subscripts moved into place, spaces at
    the ends of text runs kept (see `fix_svg`).
    """

    n_values = 0  # how many values draw_dot drew

    def __repr__(self) -> str:  # stable, so saved notebook outputs do not change run to run
        return f"<microgrid Drawing of {self.n_values} values; .source is its DOT text>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        """Jupyter's display: the SVG, and the same as HTML at its natural size in a box that
        scrolls (`microgrid.drawing.inline`), which notebooks prefer: never shrunk to the
        column, so its text stays legible."""
        from .inline import inline_html

        bundle = super()._repr_mimebundle_(include, exclude, **kwargs)
        if "image/svg+xml" in bundle and "text/html" not in (exclude or ()):
            bundle["text/html"] = inline_html(bundle["image/svg+xml"])
        return bundle

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        if page_renderer() is not None:
            out = pipe(self, format or self.format)
            out = out.decode("utf-8") if kwargs.get("encoding") else out
        else:
            with dot_required():
                out = super().pipe(format, *args, **kwargs)
        if (format or self.format) == "svg":
            out = fix_svg(out) if isinstance(out, str) else fix_svg(
                out.decode("utf-8")).encode("utf-8")
        return out

    def render(self, *args: Any, **kwargs: Any) -> Any:
        if page_renderer() is not None:  # no `dot` to write the file: write the page's picture
            return _render_in_page(self, *args, **kwargs)
        with dot_required():
            path = super().render(*args, **kwargs)
        if str(path).endswith(".svg"):
            out = Path(path)
            out.write_text(fix_svg(out.read_text(encoding="utf-8")), encoding="utf-8")
        return path


@contextmanager
def dot_required() -> Iterator[None]:
    """Run Graphviz; a missing ``dot`` becomes `GraphvizNotInstalled`, saying how to install it.

    So does a Python that cannot start programs at all (Pyodide with no page renderer raises
    ``OSError: [Errno 138] emscripten does not support processes``): never a raw OSError."""
    try:
        yield
    except GraphvizNotInstalled:
        raise
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotInstalled() from e
    except OSError as e:
        if not _raised_starting_a_program(e):
            raise  # a file that cannot be written, say: not about Graphviz
        raise GraphvizNotInstalled(f"this Python cannot run the dot program: {e}") from e


def _raised_starting_a_program(e: BaseException) -> bool:
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "subprocess":
            return True
        tb = tb.tb_next
    return False


# ---------------------------------------------------------------------------- the renderer seam
PAGE_RENDERER = "microgridRenderDot"  # docs/assets/live/worker.mjs defines it: (dot, format) → text


def page_renderer() -> Callable[[str, str], str] | None:
    """The page's WebAssembly Graphviz, when this Python runs in a browser page (Pyodide) whose
    JavaScript defines ``microgridRenderDot(dot_source, format)``; else None (the ``dot`` program
    renders)."""
    if sys.platform != "emscripten":
        return None
    import js  # Pyodide's module for the page's JavaScript globals

    return getattr(js, PAGE_RENDERER, None)


def pipe(graph: graphviz.Digraph, format: str) -> bytes:
    """``graph`` rendered as ``format`` by this Python's renderer: the page's WebAssembly
    Graphviz in a browser, else the ``dot`` program (`GraphvizNotInstalled` when there is none)."""
    in_page = page_renderer()
    if in_page is None:
        with dot_required():
            return graphviz.Digraph.pipe(graph, format=format)
    try:
        return str(in_page(graph.source, format)).encode("utf-8")
    except Exception as e:  # the JavaScript error, e.g. a format it cannot write
        raise ValueError(f"the page's Graphviz could not render {format!r} (it writes "
                         f"'svg' and other text formats, not images): {e}") from None


def _render_in_page(graph: graphviz.Digraph, filename: str | None = None,
                    directory: str | None = None, *, format: str | None = None) -> str:
    # Digraph.render's file layout: the DOT source at filename, the picture at filename.format
    source_path = Path(graph.save(filename, directory=directory))
    format = format or graph.format
    out = pipe(graph, format)
    if format == "svg":
        out = fix_svg(out.decode("utf-8")).encode("utf-8")
    target = source_path.with_name(f"{source_path.name}.{format}")
    target.write_bytes(out)
    return str(target)


# Graphviz writes <SUP>/<SUB> into SVG as baseline-shift="super"/"sub" on a <text> element,
# which browsers (and so Jupyter and code hosts) ignore: w^2_{13} would read "w213".  Moving
# each such piece by an explicit y offset works in every SVG viewer.
_SHIFTED_TEXT = re.compile(r'<text ([^>]*?) baseline-shift="(super|sub)"([^>]*)>')


def _place_scripts(svg: str) -> str:
    def move(m: re.Match) -> str:
        attrs = m.group(1) + m.group(3)
        size = re.search(r'font-size="([\d.]+)"', attrs)
        fs = float(size.group(1)) if size else 10.0
        shift = -0.45 * fs if m.group(2) == "super" else 0.3 * fs
        attrs = re.sub(r' y="(-?[\d.]+)"', lambda y: f' y="{float(y.group(1)) + shift:.2f}"', attrs)
        return f"<text {attrs}>"

    return _SHIFTED_TEXT.sub(move, svg)


# Graphviz cuts a label into one <text> run per font change, so "δ^3_1 = −0.136" ends with
# the run " = −0.136".  Browsers collapse a run's leading and trailing spaces (the SVG
# default, xml:space="default"), and the drawing would read "δ³₁= −0.136".  Graphviz has
# already placed each run, counting those spaces, so writing them as no-break spaces (never
# collapsed) shows the text exactly as laid out, in every viewer.
_TEXT_RUN = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
_EDGE_SPACES = re.compile(r"^ +| +$| {2,}")


def _keep_spaces(svg: str) -> str:
    def nbsp(m: re.Match) -> str:
        text = _EDGE_SPACES.sub(lambda s: "\u00a0" * len(s.group()), m.group(2))
        return m.group(1) + text + m.group(3)

    return _TEXT_RUN.sub(nbsp, svg)


def fix_svg(svg: str) -> str:
    """Graphviz's SVG as every browser should show it: scripts in place, spaces kept."""
    return _keep_spaces(_place_scripts(svg))
