"""Draw a computation graph the way the derivation writes it (docs/backprop.md §1).

``draw_dot(root)`` returns a ``graphviz.Digraph`` with one record per value (label, data,
grad) and one small node per operation, edges in data-flow order: parent → op → value.
Labels such as ``w^2_{13}`` are drawn as w²₁₃ with real superscripts and subscripts
(Graphviz HTML-like labels), and each pre-activation z^l_j shows δ^l_j = ∂C/∂z^l_j, its grad
after ``backward()``.  Values made by an ``MLP`` read as a network is usually drawn: layer
by layer, left to right, each layer's neurons boxed on aligned rows in index order, its
weights and biases between the boxes.  The SVG is post-processed for browsers (see
`microgrid.drawing.svg`).

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

from .. import ops
from ..engine import Const, Value, topological
from ..notation import TEX_SCRIPT, parse_label
from ..notation import label as notation_label
from .svg import INSTALL_HINT, Drawing, GraphvizNotInstalled, fix_svg, pipe

__all__ = ["draw_dot", "render", "math_label", "Drawing", "GraphvizNotInstalled", "INSTALL_HINT"]

# ---------------------------------------------------------------------------- notation
_WORDS = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


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
    for m in TEX_SCRIPT.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        tag = "SUP" if m.group(1) == "^" else "SUB"
        body = m.group(2) if m.group(2) is not None else m.group(3)
        out.append(f'<{tag}><FONT POINT-SIZE="{script_size}">{_plain(body)}</FONT></{tag}>')
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _layer(v: Value) -> int | None:
    """The layer l (docs/backprop.md §1) of a value an MLP made: w^l_jk, b^l_j, z^l_j, a^l_j."""
    parsed = parse_label(v.label)
    return parsed[1] if parsed is not None and parsed[0] in "wbza" else None


def _box(v: Value) -> int | None:
    """The layer box a value is drawn in: a neuron's z^l_j and a^l_j (a^1_k: the input); its
    weights and biases stand between the boxes, where a network's picture draws w^l_jk."""
    return _layer(v) if v.label[:1] in "za" else None


def _row(v: Value) -> dict[str, str]:
    """Neuron j of every layer on one line (a Graphviz group: its edges are drawn straight),
    so the layers' boxes stand side by side, a^{l-1}_j → z^l_j → a^l_j reading across."""
    parsed = parse_label(v.label)
    if parsed is None or parsed[0] not in "za":
        return {}
    return {"group": f"neuron{parsed[2][0]}"}


def _markup(text: str) -> str:
    """A text of the op table as Graphviz writes it: letters standing for numbers (x, y, w,
    a, b) and σ in italics, what follows ^ raised."""
    base, _, raised = html.escape(text, quote=True).partition("^")
    base = re.sub(r"(?<![A-Za-z])([xywab]|σ)(?![A-Za-z])", r"<I>\1</I>", base)
    if raised:
        raised = re.sub(r"(?<![A-Za-z])([xy])(?![A-Za-z])", r"<I>\1</I>", raised)
        base += f'<SUP><FONT POINT-SIZE="9">{raised}</FONT></SUP>'
    return base


def _op_text(op: str) -> str:
    """The op node's text: its entry's symbol (an op the table lacks: its name)."""
    entry = ops.find(op)
    return html.escape(op, quote=True) if entry is None else _markup(entry.symbol)


def _formula(op: str) -> str | None:
    """An operation of two operands that cannot be swapped is drawn as its formula in x and
    y, and its two input edges say which is which: c − d shows "x − y", the edge from c "x"."""
    entry = ops.find(op)
    if entry is None or entry.arity != 2 or entry.commutative or entry.formula is None:
        return None
    if "x" in entry.symbol:  # the symbol is the formula already: x^y
        return _markup(entry.symbol)
    infix = entry.formula.startswith("{0}")  # x − y, x ÷ y, with the drawing's own symbol
    return _markup(f"x {entry.symbol} y" if infix else entry.formula.format("x", "y"))


_OPERANDS = ("x", "y")
_OPERAND = '<FONT COLOR="#b2182b" POINT-SIZE="14"><I>{}</I></FONT>'
# ∂v/∂parent, written on the parent → op edge (a real Graphviz edge label: the layout makes
# room for it, next to its own edge), in a size that reads at 100 %
_LOCAL_GRAD = {"fontsize": "12", "fontcolor": "#2166ac"}


# ---------------------------------------------------------------------------- drawing
def _colour(g: float, scale: float) -> str:
    """White → blue for positive gradients, white → red for negative.  The tint grows with
    log |g| / max |g| over four decades: gradients in early layers are often orders of magnitude
    smaller than at the loss, and a linear scale would show them all as white."""
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


class _Style:
    """draw_dot's options, and how they turn a Value into text."""

    def __init__(self, root: Value, *, show_grads: bool, hide_constants: bool,
                 color_grads: bool, local_grads: bool, precision: int) -> None:
        self.root, self.show_grads, self.hide_constants = root, show_grads, hide_constants
        self.color_grads, self.local_grads, self.precision = color_grads, local_grads, precision
        self.scale = 0.0  # the largest |grad| drawn, set by _collect
        self._inputs: dict[Value, list[tuple[Value, float | None]]] = {}

    def inputs(self, v: Value) -> list[tuple[Value, float | None]]:
        """v's operands in order, each with its local gradient ∂v/∂operand.  A plain number
        the engine folded into the operation (the 2 in ``x * 2``, see ``Value.operands``)
        becomes a `Const` here, with no local gradient, so it is drawn or hidden exactly like a
        constant leaf."""
        if v not in self._inputs:
            local_grads = iter(v.local_grads)
            self._inputs[v] = [
                (x, next(local_grads)) if isinstance(x, Value) else (Const(x), None)
                for x in v.operands
            ]
        return self._inputs[v]

    def hidden(self, v: Value) -> bool:
        """A plain number folded into its operation rather than drawn as a value."""
        return self.hide_constants and isinstance(v, Const) and v is not self.root

    def num(self, x: float) -> str:
        # a typographic minus, as in the derivation
        return f"{x:.{self.precision}g}".replace("-", "−")


def _collect(root: Value, style: _Style, max_nodes: int | None) -> list[Value]:
    """The values to draw, parents before children, without the hidden constants."""
    nodes = []
    for v in topological(root):
        if v.parents:  # folded numbers first, as a constant leaf would be
            nodes += [c for c, local in style.inputs(v) if local is None]
        nodes.append(v)
    values = [v for v in nodes if not style.hidden(v)]
    if max_nodes is not None and len(values) > max_nodes:
        raise ValueError(
            f"draw_dot: this graph has {len(values)} values, more than max_nodes={max_nodes}; "
            "a drawing that big is unreadable and slow to lay out. Draw a sub-graph instead: "
            "draw_dot(v) draws only what v depends on, so pass one example's loss, one neuron's "
            "z (e.g. mlp.trace(x).z[0][0]) or a smaller network; or raise the limit with "
            f"draw_dot(root, max_nodes={len(values)})."
        )
    style.scale = max((abs(v.grad) for v in values), default=0.0)
    return values


def _value_node(v: Value, style: _Style) -> dict[str, str]:
    """The record of a value: name | data over grad (δ^l_j for a pre-activation z^l_j)."""
    if v.label:
        name = f"<B>{math_label(v.label)}</B>"
    elif isinstance(v, Const):
        name = '<FONT COLOR="#777777">const</FONT>'
    else:
        name = ""
    grad = None
    if style.show_grads and not isinstance(v, Const):
        # after backward, a pre-activation's grad is δ^l_j = ∂C/∂z^l_j (BP1, BP2)
        parsed = parse_label(v.label)
        is_z = parsed is not None and parsed[0] == "z"
        what = math_label(notation_label("δ", parsed[1], *parsed[2])) if is_z else "grad"
        grad = f"{what} = {style.num(v.grad)}"
    fill = f' BGCOLOR="{_colour(v.grad, style.scale)}"' if style.color_grads else ""
    return {"label": _record(name, style.num(v.data), grad, fill), "shape": "plain"}


def _op_node(v: Value, style: _Style) -> dict[str, str]:
    """The operation that made ``v``, as its own small node, hidden constants folded in."""
    text = _op_text(v.op)
    operands = [p for p, _ in style.inputs(v)]
    consts = [(i, p) for i, p in enumerate(operands) if style.hidden(p)]
    if _names_operands(v, style):
        text = _formula(v.op)
    elif consts:
        if len(operands) == 2 and len(consts) == 1:
            i, c = consts[0]  # in the operands' order: "2 −" is 2 − x, "− 2" is x − 2
            text = f"{style.num(c.data)} {text}" if i == 0 else f"{text} {style.num(c.data)}"
        else:
            text += "<BR/>" + ", ".join(style.num(c.data) for _, c in consts)
    return {"label": f"<{text}>", "shape": "ellipse", "fontsize": "12",
            "margin": "0.04,0.02", "width": "0.3", "height": "0.3"}


def _names_operands(v: Value, style: _Style) -> bool:
    """Whether v's operation is drawn as a formula in x and y with its edges named: two drawn
    operands that cannot be swapped (with a constant folded in, "− 2" already says it)."""
    operands = [p for p, _ in style.inputs(v)]
    return (len(operands) == 2 and _formula(v.op) is not None
            and not any(map(style.hidden, operands)))


Edge = tuple[str, str, dict[str, str]]


def _in_edges(v: Value, ids: dict[Value, str], box: dict[Value, int | None],
              style: _Style) -> list[Edge]:
    """parent → op edges (∂v/∂parent on each if asked; which operand it is, if that matters),
    then op → v."""
    oid = ids[v] + "_op"
    named = _names_operands(v, style)
    edges = []
    for i, (p, local) in enumerate(style.inputs(v)):
        if style.hidden(p):
            continue
        # Every edge spans two ranks (at half the rank separation), as Graphviz lays out any
        # graph with an edge label: the layout is then the same with labels and without.
        attrs: dict[str, str] = {"minlen": "2"}
        if box[p] is not None and box[p] != box[v]:
            # from one layer into the next (a^{l-1}_k → z^l_j): a free rank between the layers
            # holds layer l's weights, so the inputs' edges pass beside them, not around
            attrs["minlen"] = "4"
        label = style.num(local) if style.local_grads and local is not None else ""
        if named:  # x or y of the formula the operation shows, before its local gradient
            name = _OPERAND.format(_OPERANDS[i])
            label = f"<{name}: {label}>" if label else f"<{name}>"
        if label:
            attrs.update(label=label, **_LOCAL_GRAD)
        edges.append((ids[p], oid, attrs))
    edges.append((oid, ids[v], {"minlen": "2"}))
    return edges


def _input_order(values: list[Value], ids: dict[Value, str], rankdir: str, boxed: bool
                 ) -> list[Edge]:
    """Invisible edges that keep the inputs a^1_1, a^1_2, … in order, top to bottom (left to
    right in TB): no edge leads into them, so nothing else orders them.

    An edge of length 0 between two nodes of one rank puts its tail first, except, in LR and
    RL, inside a box that spans a single rank (as the input layer's does): there Graphviz
    (2.43) puts it last, so that chain is written backwards.
    """
    inputs: dict[int, list[tuple[tuple[int, ...], str]]] = {}
    for v in values:
        parsed = parse_label(v.label)
        if parsed is not None and parsed[0] == "a" and not v.parents:
            inputs.setdefault(parsed[1], []).append((parsed[2], ids[v]))
    edges: list[Edge] = []
    for members in inputs.values():
        names = [name for _, name in sorted(members)]
        if boxed and rankdir in ("LR", "RL"):
            names.reverse()
        edges += [(a, b, {"style": "invis", "minlen": "0"}) for a, b in zip(names, names[1:])]
    return edges


def _add_nodes(dot: Drawing, nodes: list[tuple[str, int | None, dict[str, str]]]) -> None:
    """Values and operations in drawing order, each MLP layer boxed in its own cluster."""
    layers = sorted({g for _, g, _ in nodes if g is not None})
    for name, g, attrs in nodes:
        if g is None:
            dot.node(name, **attrs)
    for layer in layers:
        with dot.subgraph(name=f"cluster_layer_{layer}") as c:
            title = f"layer {layer}" + (" (input)" if layer == 1 else "")
            c.attr(label=f"<<I>{title}</I>>", style="rounded,dashed", color="#999999")
            for name, g, attrs in nodes:
                if g == layer:
                    c.node(name, **attrs)


def draw_dot(root: Value, rankdir: str = "LR", *, show_grads: bool = True,
             hide_constants: bool = True, color_grads: bool = False, local_grads: bool = False,
             clusters: bool = True, max_nodes: int | None = 500, precision: int = 4) -> Drawing:
    """Draw ``root`` and everything it depends on.

    Args:
        root: the output Value (usually the loss).
        rankdir: "LR" (inputs left, loss right, as networks are drawn), "TB", "RL" or "BT".
        show_grads: show each value's grad; a pre-activation z^l_j shows it as δ^l_j (BP1/BP2).
        hide_constants: fold plain numbers into their operation ("× 2"), not drawn as values.
        color_grads: fill each value blue (grad > 0) or red (< 0), stronger for larger |grad|.
        local_grads: write ∂out/∂parent (``local_grads``) on each parent → op edge, next to
            the operation: the factor the chain rule multiplies by on the way back.
        clusters: box each layer's neurons (layers numbered as in docs/backprop.md §1).
        max_nodes: refuse (ValueError) to draw more values than this; ``None`` for no limit.
        precision: significant digits of data and grad.

    Returns:
        a `Drawing` (a ``graphviz.Digraph``): shows inline in Jupyter, ``.source`` is the DOT
        text, ``.render()`` / `render` write svg, png or pdf.
    """
    _check_options(root, rankdir, max_nodes, precision)
    style = _Style(root, show_grads=show_grads, hide_constants=hide_constants,
                   color_grads=color_grads, local_grads=local_grads, precision=precision)
    values = _collect(root, style, max_nodes)
    ids = {v: f"v{i}" for i, v in enumerate(values)}
    box = {v: _box(v) for v in values}  # the layer a neuron's value belongs to

    nodes: list[tuple[str, int | None, dict[str, str]]] = []
    edges: list[Edge] = []
    for v in values:
        row = _row(v)
        nodes.append((ids[v], box[v] if clusters else None, _value_node(v, style) | row))
        if v.parents:
            nodes.append((ids[v] + "_op", nodes[-1][1], _op_node(v, style) | row))
            edges += _in_edges(v, ids, box, style)

    dot = Drawing(
        format="svg",
        # mclimit: (almost) no crossing-reduction passes, so each rank keeps the order in which
        # its nodes are reached from the DOT text (parents in topological order: a neuron's
        # w_j1 … w_jn, then its inputs, then b_j): a layer reads by index, as in the derivation
        graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.175", "mclimit": "0.01"},
        node_attr={"fontname": "Times", "fontsize": "14"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"},
    )
    dot.n_values = len(values)
    _add_nodes(dot, nodes)
    for tail, head, attrs in edges + _input_order(values, ids, rankdir, clusters):
        dot.edge(tail, head, **attrs)
    return dot


def _check_options(root: object, rankdir: object, max_nodes: object, precision: object) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a microgrid Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool)
                                  or max_nodes < 1):
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, got {max_nodes!r}")
    if not isinstance(precision, int) or isinstance(precision, bool) or not 1 <= precision <= 17:
        raise ValueError(f"draw_dot: precision must be an int from 1 to 17, got {precision!r}")


def render(graph: Value | graphviz.Digraph, path: str | os.PathLike, format: str | None = None,
           **draw_options: Any) -> Path:
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
    data = graph.pipe(format=format) if isinstance(graph, Drawing) else pipe(graph, format)
    if format == "svg" and not isinstance(graph, Drawing):  # a Drawing has done this already
        data = fix_svg(data.decode("utf-8")).encode("utf-8")
    path.write_bytes(data)
    return path
