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
    by the player when the wave reaches it (colour for the sign, width for the size)."""
    columns: list[list[tuple[Value | None, Value | None, str]]] = [
        [(None, x if x in r.index else None, plain_label(x.label) if x.label else f"x{k}")
         for k, x in enumerate(net.inputs, 1)]]
    for l in sorted(net.layers):
        columns.append([(z, a, plain_label(a.label)) for z, a in net.layers[l]])
    tallest = max(len(c) for c in columns)
    gap = max(34.0, min(96.0, 560.0 / tallest))  # 16 neurons: 34 apart, 3: 96
    radius = min(20.0, gap * 0.42)
    top = 46.0
    height = top + tallest * gap + 10
    width = max(980.0, 2.4 * height)  # a window's shape: a tall network gets room between layers
    xs = [70 + i * (width - 260) / max(1, len(columns) - 1) for i in range(len(columns))]

    def y(col: int, j: int) -> float:
        n = len(columns[col])
        return top + (tallest - n) * gap / 2 + (j + 0.5) * gap

    ws = [w for ns in net.layers.values() for z, _ in ns for w in net.weights(z)[0]]
    biggest = max((abs(r.grad[w]) for w in ws), default=0.0) or 1.0
    dense = " dense" if gap < 56 else ""
    out = [f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width:.0f} {height:.0f}" class="mg-net{dense}">']
    for col in range(len(columns)):
        layer = col + 1
        what = "input" if col == 0 else "output" if col == len(columns) - 1 else "hidden"
        out.append(f'<g class="net-layer" data-layer="{layer}">'
                   f'<rect class="net-band" x="{xs[col] - 48:.1f}" y="4" width="96" '
                   f'height="{height - 8:.1f}" rx="10"/>'
                   f'<text class="net-head" x="{xs[col]:.1f}" y="24">layer {layer} '
                   f'({what})</text></g>')
    for col in range(1, len(columns)):
        for j, (z, _, _) in enumerate(columns[col]):
            for k, w in enumerate(net.weights(z)[0]):
                g = r.grad[w]
                x = columns[col - 1][k][1]
                size = 0.8 + 5.2 * math.sqrt(abs(g) / biggest)
                out.append(
                    f'<line class="net-w" data-node="{r.index[w]}" data-to="{r.index[z]}" '
                    f'data-from="{r.index[x] if x is not None else -1}" '
                    f'data-sign="{"neg" if g < 0 else "pos"}" data-width="{size:.2f}" '
                    f'x1="{xs[col - 1] + radius:.1f}" y1="{y(col - 1, k):.1f}" '
                    f'x2="{xs[col] - radius:.1f}" y2="{y(col, j):.1f}">'
                    f'<title>{html.escape(plain_label(w.label))}</title></line>')
    last = len(columns) - 1
    cx, cy = xs[last] + 150, top + tallest * gap / 2
    for j in range(len(columns[last])):
        out.append(f'<line class="net-cost" x1="{xs[last] + radius:.1f}" y1="{y(last, j):.1f}" '
                   f'x2="{cx - 34:.1f}" y2="{cy:.1f}"/>')
    out.append(f'<g class="net-root" data-node="{r.index[r.root]}"><rect x="{cx - 34:.1f}" '
               f'y="{cy - 20:.1f}" width="68" height="40" rx="6"/>'
               f'<text class="net-name" x="{cx:.1f}" y="{cy - 4:.1f}">'
               f'{html.escape(plain_label(r.root.label))}</text>'
               f'<text class="net-a" data-node="{r.index[r.root]}" x="{cx:.1f}" '
               f'y="{cy + 13:.1f}"></text></g>')
    def text_at(x: float, y: float, below: bool, attrs: str, text: str = "") -> str:
        # a neuron's name above its circle, its δ below, clear of the edges, where there is
        # room; in a dense layer beside it instead, the name left and the δ right
        if gap >= 56:
            dy = radius + 15 if below else -radius - 5
            return f'<text {attrs} x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle">{text}</text>'
        dx, anchor = (radius + 4, "start") if below else (-radius - 4, "end")
        return (f'<text {attrs} x="{x + dx:.1f}" y="{y + 4:.1f}" '
                f'text-anchor="{anchor}">{text}</text>')

    for col, nodes in enumerate(columns):
        for j, (z, a, name) in enumerate(nodes):
            cxn, cyn = xs[col], y(col, j)
            zi = r.index[z] if z is not None else -1
            ai = r.index[a] if a is not None else -1
            out.append(
                f'<g class="net-neuron" data-z="{zi}" data-a="{ai}">'
                f'<circle cx="{cxn:.1f}" cy="{cyn:.1f}" r="{radius:.1f}"/>'
                f'<text class="net-a" data-node="{ai}" x="{cxn:.1f}" y="{cyn + 4:.1f}"></text>'
                + text_at(cxn, cyn, False, 'class="net-name"', html.escape(name))
                + (text_at(cxn, cyn, True, f'class="net-delta" data-node="{zi}"')
                   if z is not None else "")
                + "</g>")
    out.append("</svg>")
    return "".join(out)
