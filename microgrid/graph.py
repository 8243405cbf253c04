"""Draw a computation graph the way the derivation writes it (docs/backprop.md §1).

``draw_dot(root)`` returns a ``graphviz.Digraph`` with one record per value (label, data,
grad) and one small node per operation, edges in data-flow order: parent → op → value.
Labels such as ``w^2_{13}`` are drawn as w²₁₃ with real superscripts and subscripts
(Graphviz HTML-like labels), values made by an ``MLP`` are grouped by layer, and each
pre-activation z^l_j shows δ^l_j = ∂C/∂z^l_j, its grad after ``backward()``.

Building the graph and its DOT text (``.source``) needs only the ``graphviz`` Python
package; turning it into a picture needs the Graphviz ``dot`` program.
"""

from __future__ import annotations

import html
import math
import os
import re
from pathlib import Path
from typing import Any

import graphviz

from .engine import Const, Value, topological

__all__ = ["draw_dot", "render", "math_label", "Drawing", "GraphvizNotInstalled", "INSTALL_HINT"]

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
    SVG output has its superscripts and subscripts moved into place (see `_place_scripts`).
    """

    n_values = 0  # how many values draw_dot drew

    def __repr__(self) -> str:  # stable, so saved notebook outputs do not change run to run
        return f"<microgrid Drawing of {self.n_values} values; .source is its DOT text>"

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        try:
            out = super().pipe(format, *args, **kwargs)
        except GraphvizNotInstalled:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotInstalled() from e
        if (format or self.format) == "svg":
            out = _place_scripts(out) if isinstance(out, str) else _place_scripts(
                out.decode("utf-8")).encode("utf-8")
        return out

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            path = super().render(*args, **kwargs)
        except GraphvizNotInstalled:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotInstalled() from e
        if str(path).endswith(".svg"):
            out = Path(path)
            out.write_text(_place_scripts(out.read_text(encoding="utf-8")), encoding="utf-8")
        return path


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


# ---------------------------------------------------------------------------- notation
# ^x / _x, or ^{...} / _{...}: the TeX subset the labels use (w^2_{13}, z^{10}_{12,3}).
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|(.))", re.S)
_WORDS = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
# a label made by MLP: w^l_jk, b^l_j, z^l_j, a^l_j; group 2 is the layer l
_LAYERED = re.compile(r"^([wbza])\^(?:\{(\d+)\}|(\d))_")


def _plain(text: str) -> str:
    """Escape text for an HTML-like label; single letters are variables, in italics as in TeX."""
    out = []
    for word in _WORDS.findall(text):
        escaped = html.escape(word, quote=True)
        out.append(f"<I>{escaped}</I>" if len(word) == 1 and word.isalpha() else escaped)
    return "".join(out)


def math_label(text: str, script_size: int = 10) -> str:
    """``"w^2_{13}"`` → ``<I>w</I><SUP>2</SUP><SUB>13</SUB>`` (scripts in a smaller font): a
    Graphviz HTML-like label fragment.  Everything from the user is escaped, so no label can
    break the DOT or the HTML."""
    out, pos = [], 0
    for m in _SCRIPT.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        tag = "SUP" if m.group(1) == "^" else "SUB"
        body = m.group(2) if m.group(2) is not None else m.group(3)
        out.append(f'<{tag}><FONT POINT-SIZE="{script_size}">{_plain(body)}</FONT></{tag}>')
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _layer(v: Value) -> int | None:
    m = _LAYERED.match(v.label)
    if m is None:
        return None
    return int(m.group(2) or m.group(3))


# How each op reads in the derivation's notation (docs/backprop.md).
_OPS = {
    "+": "+",
    "-": "−",
    "*": "×",
    "/": "÷",
    "neg": "−( )",
    "**": '<I>x</I><SUP><FONT POINT-SIZE="9"><I>y</I></FONT></SUP>',
    "exp": "exp",
    "log": "ln",
    "sqrt": "√",
    "tanh": "tanh",
    "σ": "<I>σ</I>",
    "ReLU": "ReLU",
    "abs": "|·|",
    "softplus": "softplus",
    "Σ": "Σ",
    "·": "Σ <I>w</I>·<I>a</I>",
    "·+": "Σ <I>w</I>·<I>a</I> + <I>b</I>",
}


def _op_text(op: str) -> str:
    if op in _OPS:
        return _OPS[op]
    if op.startswith("**"):  # "**2" from x ** 2
        return f'( )<SUP><FONT POINT-SIZE="9">{html.escape(op[2:])}</FONT></SUP>'
    return html.escape(op, quote=True)


# ---------------------------------------------------------------------------- drawing
def _colour(g: float, scale: float) -> str:
    """White → blue for positive gradients, white → red for negative.

    The tint grows with log |g| / max |g| over four decades: gradients in early layers are
    often orders of magnitude smaller than at the loss, and a linear scale would show them
    all as white.
    """
    if g == 0.0 or scale == 0.0:
        return "#ffffff"
    t = min(max(1.0 + math.log10(abs(g) / scale) / 4.0, 0.1), 1.0)
    base = (33, 102, 172) if g > 0 else (178, 24, 43)
    r, gr, b = (round(255 + (c - 255) * t * 0.6) for c in base)
    return f"#{r:02x}{gr:02x}{b:02x}"


def _record(name: str, data: str, grad: str | None, fill: str) -> str:
    """A value as a small table: its name on the left, data above grad on the right."""
    span = ' ROWSPAN="2"' if grad is not None else ""
    rows = f"<TR>{f'<TD{span}>{name}</TD>' if name else ''}<TD ALIGN=\"LEFT\">{data}</TD></TR>"
    if grad is not None:
        rows += f'<TR><TD ALIGN="LEFT">{grad}</TD></TR>'
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"{fill}>{rows}</TABLE>>'
    )


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    show_grads: bool = True,
    hide_constants: bool = True,
    color_grads: bool = False,
    local_grads: bool = False,
    clusters: bool = True,
    max_nodes: int | None = 500,
    precision: int = 4,
) -> Drawing:
    """Draw ``root`` and everything it depends on.

    Args:
        root: the output Value (usually the loss).
        rankdir: "LR" (inputs left, loss right, like the usual pictures of a network) or
            "TB", "RL", "BT".
        show_grads: show each value's grad; a pre-activation z^l_j shows it as δ^l_j (BP1/BP2).
        hide_constants: fold plain numbers into their operation ("× 2") instead of drawing
            them as values of their own.
        color_grads: fill each value by its gradient: blue positive, red negative, stronger
            for larger |grad|.
        local_grads: write ∂out/∂parent (``local_grads``) on each parent → op edge, the factor
            the chain rule multiplies by on the way back.
        clusters: box the values of an MLP by layer (as numbered in docs/backprop.md §1).
        max_nodes: refuse (ValueError) to draw more values than this; ``None`` for no limit.
        precision: significant digits of data and grad.

    Returns:
        a `Drawing` (a ``graphviz.Digraph``): shows inline in Jupyter, ``.source`` is the DOT
        text, ``.render()`` / `render` write svg, png or pdf.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a microgrid Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_nodes is not None and (
        not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1
    ):
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, got {max_nodes!r}")
    if not isinstance(precision, int) or isinstance(precision, bool) or not 1 <= precision <= 17:
        raise ValueError(f"draw_dot: precision must be an int from 1 to 17, got {precision!r}")

    # Each operation's inputs as (Value, local gradient): a plain number folded into the
    # operation (the 2 in ``x * 2``) becomes a `Const` here, so it is drawn (or hidden) exactly
    # like a constant leaf; it has no local gradient.
    inputs = {}
    nodes = []
    for v in topological(root):
        if v.parents:
            inputs[v] = _inputs(v)
            nodes += [c for c, lg in inputs[v] if lg is None]
        nodes.append(v)

    def hidden(v: Value) -> bool:
        return hide_constants and isinstance(v, Const) and v is not root

    values = [v for v in nodes if not hidden(v)]
    if max_nodes is not None and len(values) > max_nodes:
        raise ValueError(
            f"draw_dot: this graph has {len(values)} values, more than max_nodes={max_nodes}; "
            "a drawing that big is unreadable and slow to lay out. Draw a sub-graph instead: "
            "draw_dot(v) draws only what v depends on, so pass one example's loss, one neuron's "
            "z (e.g. mlp.trace(x).z[0][0]) or a smaller network; or raise the limit with "
            f"draw_dot(root, max_nodes={len(values)})."
        )

    def num(x: float) -> str:
        return f"{x:.{precision}g}".replace("-", "−")  # a typographic minus, as in the derivation

    ids = {id(v): f"v{i}" for i, v in enumerate(values)}
    scale = max((abs(v.grad) for v in values), default=0.0)

    dot = Drawing(
        format="svg",
        graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Times", "fontsize": "14"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"},
    )
    dot.n_values = len(values)
    groups: dict[int | None, list[tuple[str, dict[str, str]]]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []

    for v in values:
        vid = ids[id(v)]
        layer = _layer(v) if clusters else None
        if v.label:
            name = f"<B>{math_label(v.label)}</B>"
        elif isinstance(v, Const):
            name = '<FONT COLOR="#777777">const</FONT>'
        else:
            name = ""
        grad = None
        if show_grads and not isinstance(v, Const):
            # after backward, a pre-activation's grad is δ^l_j = ∂C/∂z^l_j (BP1, BP2)
            what = math_label("δ" + v.label[1:]) if v.label.startswith("z^") else "grad"
            grad = f"{what} = {num(v.grad)}"
        fill = f' BGCOLOR="{_colour(v.grad, scale)}"' if color_grads else ""
        table = _record(name, num(v.data), grad, fill)
        groups.setdefault(layer, []).append((vid, {"label": table, "shape": "plain"}))
        if not v.parents:
            continue

        # the operation that made v, as its own small node, with hidden constants folded in
        oid = vid + "_op"
        text = _op_text(v.op)
        consts = [(i, p) for i, (p, _) in enumerate(inputs[v]) if hidden(p)]
        if consts:
            if len(inputs[v]) == 2 and len(consts) == 1:
                i, c = consts[0]
                text = f"{num(c.data)} {text}" if i == 0 else f"{text} {num(c.data)}"
            else:
                text += "<BR/>" + ", ".join(num(c.data) for _, c in consts)
        op_attrs = {"label": f"<{text}>", "shape": "ellipse", "fontsize": "12",
                    "margin": "0.04,0.02", "width": "0.3", "height": "0.3"}
        groups.setdefault(layer, []).append((oid, op_attrs))
        for p, lg in inputs[v]:
            if hidden(p):
                continue
            attrs = {}
            if local_grads and lg is not None:
                attrs = {"label": num(lg), "fontsize": "10", "fontcolor": "#2166ac"}
            edges.append((ids[id(p)], oid, attrs))
        edges.append((oid, vid, {}))

    for vid, attrs in groups.pop(None, []):
        dot.node(vid, **attrs)
    for layer in sorted(groups):
        with dot.subgraph(name=f"cluster_layer_{layer}") as c:
            name = f"layer {layer}" + (" (input)" if layer == 1 else "")
            c.attr(label=f"<<I>{name}</I>>", style="rounded,dashed", color="#999999")
            for vid, attrs in groups[layer]:
                c.node(vid, **attrs)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)
    return dot


def _inputs(v: Value) -> list[tuple[Value, float | None]]:
    local_grads = iter(v.local_grads)
    return [
        (x, next(local_grads)) if isinstance(x, Value) else (Const(x), None) for x in v.operands
    ]


def render(
    graph: Value | graphviz.Digraph,
    path: str | os.PathLike,
    format: str | None = None,
    **draw_options: Any,
) -> Path:
    """Write a drawing to ``path`` (svg, png, pdf, ...; by default from the file's suffix).

    ``graph`` is a Value (drawn with ``draw_dot(graph, **draw_options)``) or a Digraph.
    Nothing is written unless rendering succeeds; a missing ``dot`` raises
    `GraphvizNotInstalled`, saying how to install it.
    """
    path = Path(path)
    if format is None:
        format = path.suffix.lstrip(".").lower() or "svg"
    if format not in graphviz.FORMATS:
        raise ValueError(f"render: unknown format {format!r}; try 'svg', 'png' or 'pdf'")
    if isinstance(graph, Value):
        graph = draw_dot(graph, **draw_options)
    elif not isinstance(graph, graphviz.Digraph):
        kind = type(graph).__name__
        raise TypeError(f"render: expected a Value or a graphviz.Digraph, got {kind}")
    elif draw_options:
        raise TypeError("render: drawing options apply only when a Value is given")
    try:
        data = graph.pipe(format=format)
    except GraphvizNotInstalled:
        raise
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotInstalled() from e
    if format == "svg" and not isinstance(graph, Drawing):  # a Drawing has done this already
        data = _place_scripts(data.decode("utf-8")).encode("utf-8")
    path.write_bytes(data)
    return path
