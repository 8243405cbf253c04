"""A Graphviz drawing as every viewer should show it, and a clear word when ``dot`` is missing.

`Drawing` is the ``graphviz.Digraph`` that `microgrid.draw_dot` returns: rendering it without
the Graphviz ``dot`` program raises `GraphvizNotInstalled` (saying how to install it) from
files, pipes and Jupyter's inline display alike, and its SVG is fixed for browsers
(superscripts and subscripts moved into place, spaces at the ends of text runs kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphviz

__all__ = ["Drawing", "GraphvizNotInstalled", "INSTALL_HINT", "dot_required", "fix_svg"]

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

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_HINT)


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
        with dot_required():
            out = super().pipe(format, *args, **kwargs)
        if (format or self.format) == "svg":
            out = fix_svg(out) if isinstance(out, str) else fix_svg(
                out.decode("utf-8")).encode("utf-8")
        return out

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with dot_required():
            path = super().render(*args, **kwargs)
        if str(path).endswith(".svg"):
            out = Path(path)
            out.write_text(fix_svg(out.read_text(encoding="utf-8")), encoding="utf-8")
        return path


@contextmanager
def dot_required() -> Iterator[None]:
    """Run Graphviz; a missing ``dot`` becomes `GraphvizNotInstalled`, saying how to install it."""
    try:
        yield
    except GraphvizNotInstalled:
        raise
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotInstalled() from e


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
