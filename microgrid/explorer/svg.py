"""The explorer's two pictures: draw_dot's SVG with hooks for the player, and the network view
(neurons as circles in layers, weights as edges, as TensorFlow Playground draws a network).

Both are built here, in Python, with every number in place but hidden; the page's script only
switches classes and texts as the steps arrive.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from ..engine import Value
from ..notation import index, parse_label
from .steps import Recorder
from .wave import Network

SVG_NS = "http://www.w3.org/2000/svg"
_T = f"{{{SVG_NS}}}"

_SUPERSCRIPTS = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")
_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉‚")


def plain_label(label: str) -> str:
    """A label as plain text for a list or an SVG text: "w^3_{12}" → "w³₁₂", "u_1" → "u₁"."""
    parsed = parse_label(label)
    if parsed is None:
        m = re.fullmatch(r"([^\W\d_]+)_\{?(\d+)\}?", label)
        return m.group(1) + m.group(2).translate(_SUBSCRIPTS) if m else label
    symbol, layer, indices = parsed
    sub = index(*indices).strip("{}")
    return symbol + str(layer).translate(_SUPERSCRIPTS) + sub.translate(_SUBSCRIPTS)


# ============================================================================ draw_dot's SVG
_PARAMETER_EDGE = re.compile(r"^\t(v\d+) -> v\d+_op \[minlen=(\d+)")


def stagger(drawing: Any, drawn: list[Value]) -> None:
    """Lay draw_dot's MLP drawing out lower: in the layer whose column of parameters and
    inputs is the tallest, the weights and bias of every other neuron go half a rank further
    left, so that they stand in two columns instead of one (the demo's graph is then 836 pt
    high instead of 1078 for 7 % more width, and fits a window at a larger scale).  Only edge
    lengths change: the nodes and their texts are draw_dot's."""
    column: dict[int, int] = {}  # layer l: its w^l, b^l and the a^{l-1} they meet
    for v in drawn:
        parsed = parse_label(v.label)
        if parsed and (parsed[0] in "wb" and not v.parents):
            column[parsed[1]] = column.get(parsed[1], 0) + 1
        elif parsed and parsed[0] == "a":
            column[parsed[1] + 1] = column.get(parsed[1] + 1, 0) + 1
    tallest = max(column.values(), default=0)
    body = []
    for line in drawing.body:
        m = _PARAMETER_EDGE.match(line)
        if m:
            parsed = parse_label(drawn[int(m.group(1)[1:])].label)
            if parsed and parsed[0] in "wb" and parsed[2][0] % 2 == 1 and \
                    column.get(parsed[1]) == tallest:
                line = line.replace(f"minlen={m.group(2)}", f"minlen={int(m.group(2)) + 1}", 1)
        body.append(line)
    drawing.body = body


def annotate_svg(svg_text: str, b: Recorder) -> tuple[str, float, float]:
    """draw_dot's SVG with hooks for the player: each value's group gets data-node; its data
    and grad texts get the classes mg-data and mg-grad (the grad written as 0: this pass's
    numbers are in the page's data, shown only when their step comes); each edge
    data-from/data-to.  Returns it with its natural width and height.

    draw_dot names its values v0, v1, … in topological order, and Graphviz writes that name
    as each group's <title>: that is how a group is matched to its node.
    """
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)  # written back as plain <svg>, <g>, … (no ns0: prefix)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg_text)
    natural = [float(re.sub(r"[a-z]+$", "", root.get(a, "0pt")) or 0) for a in ("width", "height")]
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    ids = {f"v{i}": i for i in range(len(b.drawn))}
    for g in root.iter(f"{_T}g"):
        title = g.find(f"{_T}title")
        if title is None or title.text is None:
            continue
        cls, name = g.get("class", ""), title.text
        if cls == "node":
            i = ids.get(name.removesuffix("_op"))
            if i is None:
                continue
            g.set("data-node", str(i))
            if name.endswith("_op"):
                g.set("class", "node mg-op")
            else:
                g.set("class", "node mg-value")
                _mark_texts(g, b.drawn[i], b)
            _mark_scripts(g)
            title.text = plain_label(b.drawn[i].label) or b.num(b.drawn[i].data)  # hover text
        elif cls == "edge" and "->" in name:
            tail, head = name.split("->", 1)
            if tail.removesuffix("_op") in ids and head.removesuffix("_op") in ids:
                g.set("data-from", str(ids[tail.removesuffix("_op")]))
                g.set("data-to", str(ids[head.removesuffix("_op")]))
                g.set("data-op-end", "head" if head.endswith("_op") else "tail")
                title.text = ""
    graph_title = root.find(f"{_T}g/{_T}title")
    if graph_title is not None:
        graph_title.text = ""
    return ET.tostring(root, encoding="unicode"), natural[0], natural[1]


def _mark_scripts(g: Any) -> None:
    """Mark the sub- and superscripts (the texts in a smaller font than the label's own: draw_dot
    sets them at 10 pt), which the size floor lets be 9 px instead of 11."""
    texts = list(g.iter(f"{_T}text"))
    sizes = [float(t.get("font-size", "14")) for t in texts]
    for t, size in zip(texts, sizes):
        if size < max(sizes) and size <= 10.5 and len((t.text or "").strip()) <= 5:
            t.set("class", (t.get("class", "") + " mg-script").strip())


def _mark_texts(g: Any, v: Value, b: Recorder) -> None:
    """Find the text holding v's data and the one holding its grad (the grad row is the
    last; its text ends with the number, after "grad = " or "δ^l_j = ")."""
    texts = list(g.iter(f"{_T}text"))
    data, grad = b.num(v.data), b.num(b.grad[v])
    gi = next((i for i in range(len(texts) - 1, -1, -1)
               if (texts[i].text or "").rstrip().endswith(grad) and "=" in texts[i].text), None)
    if gi is None:
        return
    gy = float(texts[gi].get("y", "0"))
    text = texts[gi].text.rstrip()
    prefix = text[: len(text) - len(grad)]
    texts[gi].set("class", "mg-grad")
    texts[gi].set("data-prefix", prefix)
    texts[gi].text = prefix + "0"
    for t in reversed(texts[:gi]):
        if (t.text or "").strip() == data and float(t.get("y", "0")) < gy - 8:
            t.set("class", "mg-data")
            return


# ============================================================================ the network view
def network_svg(r: Recorder, net: Network) -> str:
    """The network as neurons in layers and weights as edges; every δ and ∂C/∂w is filled in
    by the player when the wave reaches it (colour for the sign, width for the size).

    Each neuron is a box holding its texts (its name and a, and its δ) at 13 px, so that at
    the player's readable scale every text is ≥ 11 px on screen and none sits on an edge or
    spills out of its box: a layer too tall for the panel is panned, never shrunk."""
    columns: list[list[tuple[Value | None, Value | None, str]]] = [
        [(None, x if x in r.index else None, plain_label(x.label) if x.label else f"x{k}")
         for k, x in enumerate(net.inputs, 1)]]
    for l in sorted(net.layers):
        columns.append([(z, a, plain_label(a.label)) for z, a in net.layers[l]])
    tallest = max(len(c) for c in columns)
    bw, bh = _BOX  # a neuron's box: two lines of text
    gap = bh + 10 if tallest > 6 else bh + 40
    top = 46.0
    height = top + tallest * gap + 10
    pitch = 250.0 if tallest > 6 else 290.0
    xs = [20 + bw / 2 + i * pitch for i in range(len(columns))]
    width = xs[-1] + bw / 2 + 190

    def y(col: int, j: int) -> float:
        n = len(columns[col])
        return top + (tallest - n) * gap / 2 + (j + 0.5) * gap

    out = [f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width:.0f} {height:.0f}" class="mg-net">']
    for col in range(len(columns)):
        layer = col + 1
        what = "input" if col == 0 else "output" if col == len(columns) - 1 else "hidden"
        out.append(f'<g class="net-layer" data-layer="{layer}">'
                   f'<rect class="net-band" x="{xs[col] - bw / 2 - 8:.1f}" y="4" '
                   f'width="{bw + 16:.0f}" height="{height - 8:.1f}" rx="10"/>'
                   f'<text class="net-head" x="{xs[col]:.1f}" y="26">layer {layer} '
                   f'({what})</text></g>')
    for col in range(1, len(columns)):
        for j, (z, _, _) in enumerate(columns[col]):
            for k, w in enumerate(net.weights(z)[0]):
                x = columns[col - 1][k][1]
                out.append(
                    f'<line class="net-w" data-node="{r.index[w]}" data-to="{r.index[z]}" '
                    f'data-from="{r.index[x] if x is not None else -1}" '
                    f'x1="{xs[col - 1] + bw / 2:.1f}" y1="{y(col - 1, k):.1f}" '
                    f'x2="{xs[col] - bw / 2:.1f}" y2="{y(col, j):.1f}">'
                    f'<title>{html.escape(plain_label(w.label))}</title></line>')
    last = len(columns) - 1
    cx, cy = xs[last] + bw / 2 + 110, top + tallest * gap / 2
    for j in range(len(columns[last])):
        out.append(f'<line class="net-cost" x1="{xs[last] + bw / 2:.1f}" y1="{y(last, j):.1f}" '
                   f'x2="{cx - 40:.1f}" y2="{cy:.1f}"/>')
    out.append(f'<g class="net-root" data-node="{r.index[r.root]}"><rect x="{cx - 40:.1f}" '
               f'y="{cy - 21:.1f}" width="80" height="42" rx="6"/>'
               f'<text class="net-name" x="{cx:.1f}" y="{cy - 4:.1f}">'
               f'{html.escape(plain_label(r.root.label))}</text>'
               f'<text class="net-a" data-node="{r.index[r.root]}" x="{cx:.1f}" '
               f'y="{cy + 14:.1f}"></text></g>')
    for col, nodes in enumerate(columns):
        for j, (z, a, name) in enumerate(nodes):
            cxn, cyn = xs[col], y(col, j)
            zi = r.index[z] if z is not None else -1
            ai = r.index[a] if a is not None else -1
            left = cxn - bw / 2
            out.append(
                f'<g class="net-neuron" data-z="{zi}" data-a="{ai}">'
                f'<rect x="{left:.1f}" y="{cyn - bh / 2:.1f}" width="{bw}" height="{bh}" '
                f'rx="7"/>'
                f'<text class="net-name" x="{left + 6:.1f}" y="{cyn - 3:.1f}">'
                f'{html.escape(name)}</text>'
                f'<text class="net-a" data-node="{ai}" x="{left + bw - 6:.1f}" '
                f'y="{cyn - 3:.1f}"></text>'
                + (f'<text class="net-delta" data-node="{zi}" x="{left + 6:.1f}" '
                   f'y="{cyn + 13:.1f}"></text>' if z is not None else "")
                + "</g>")
    out.append("</svg>")
    return "".join(out)


_BOX = (142, 38)  # a neuron's box in the network view, wide enough for "δ = −0.001234"


def weight_look(r: Recorder, net: Network) -> dict[int, tuple[str, float]]:
    """Each weight's look once its gradient is known: the sign of ∂C/∂w (colour) and a line
    width growing with its size.  Kept in the page's data, not on the drawing: the drawing
    holds no number of the backward pass (predict mode asks for them)."""
    ws = [w for ns in net.layers.values() for z, _ in ns for w in net.weights(z)[0]]
    biggest = max((abs(r.grad[w]) for w in ws), default=0.0) or 1.0
    return {r.index[w]: ("neg" if r.grad[w] < 0 else "pos",
                         round(0.8 + 5.2 * math.sqrt(abs(r.grad[w]) / biggest), 2)) for w in ws}
