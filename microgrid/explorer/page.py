"""Watch one forward and one backward pass, step by step: ``explore(root)``.

    page = microgrid.explore(C, mlp=mlp, x=x, y=y)   # shows inline in Jupyter
    page.save("pass.html")                           # one self-contained file, opens from file://

The page shows the graph as `draw_dot` draws it and plays the pass beside it:

* forward: every value in topological order with its formula and numbers
  (z^2_1 = w^2_11·a^1_1 + w^2_12·a^1_2 + b^2_1 = …, docs/backprop.md §2);
* backward, for an MLP: the δ wave of docs/backprop.md, layer by layer: BP1 (δ^L, §5), BP3
  and BP4 (∂C/∂b, ∂C/∂w, §7), then BP2 (δ^l, §6) for the layer below, and so on down
  (`microgrid.explorer.wave`); or, as a second mode and for any other graph, every chain-rule
  step on
  its edge as `backward()` walks it, ∂C/∂parent += ∂node/∂parent × ∂C/∂node (§4);
* a network view: neurons in layers, each δ on its neuron, each ∂C/∂w on its edge;
* a layer view: BP1–BP4 of each layer as vectors and matrices of cells, (W^{l+1})ᵀδ^{l+1} ⊙
  σ′(z^l) = δ^l and ∂C/∂W^l = δ^l (a^{l−1})ᵀ (`microgrid.explorer.matrices`);
* the δ's layer by layer (log-scale bars: a vanishing gradient is visible);
* a click on a weight (any leaf): its gradient from the engine, from the closed form
  (`microgrid.backprop`, when the network is given) and from central finite differences;
* predict mode (``predict=True``, key P): each backward step asks for its number first.

Every text is legible (≥ 11 px on screen, scripts ≥ 9 px): a picture too big for its panel
is panned and zoomed at that size, never shrunk (``player.js``).  Nothing of the pass is
shown before the step that computes it.  Every number is computed here, in Python, and
embedded in the page (base64 of its JSON, so that the page's text holds none of them:
`read_data` reads it back); the page's script only plays them.  The page is ``page.html``
with its pieces put in.  Nothing is fetched: no CDN, no server.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from ..engine import Value, topological
from ..idioms import fresh_grads
from ..notation import COSTS
from .certify import certificates, layers
from .matrices import layer_cells
from .steps import Recorder, drawn_values, final_steps, math_html, plain, unnamed_labels
from .svg import annotate_svg, network_svg, plain_label, stagger, weight_look
from .wave import Network, wave_steps

__all__ = ["explore", "Explorer", "math_html"]


class Explorer:
    """One forward and backward pass, ready to play: ``save(path)`` writes a self-contained
    HTML page; in Jupyter it shows inline (``_repr_html_``).

    ``data`` is everything the page shows, as embedded in it (JSON): ``modes`` (the step
    lists it can play: ``"wave"`` for an MLP, the δ wave, and ``"edges"``, edge by edge; step
    0 the start), ``mode`` (the one it opens with), ``nodes`` (each drawn value's data and
    grad as `draw_dot` prints them), ``layers`` (δ^l_j per layer) and ``certificates`` (per
    leaf); ``steps`` is the opening mode's list and ``html`` the whole page.
    """

    def __init__(self, page: dict[str, Any], svg: str, net: str, title: str) -> None:
        self.data = page
        self.steps: list[dict[str, Any]] = page["modes"][page["mode"]]
        self.title = title
        self.html = _page(page, svg, net, title)

    def save(self, path: str | PathLike) -> Path:
        """Write the page to ``path`` (one .html file; no other file is needed) and return it."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's ids, styles and keys apart from the notebook's (two
        # explorers in one notebook do not clash) and needs no network: srcdoc holds it all.
        return (
            f'<iframe class="microgrid-explorer" title="{html.escape(self.title)}" '
            f'srcdoc="{html.escape(self.html, quote=True)}" '
            'style="width: 100%; height: min(720px, 90vh); border: 1px solid #ccc;"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<microgrid Explorer: {len(self.steps)} steps of {self.title}>"


def explore(
    root: Value,
    *,
    max_nodes: int | None = 2000,
    mlp: Any = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    cost: str = "quadratic",
    precision: int = 4,
    predict: bool = False,
) -> Explorer:
    """An explorer of one forward and one backward pass of ``root`` (usually a loss).

    Any graph works.  For an MLP's graph the backward pass plays as the δ wave (BP1–BP4,
    layer by layer), with the edge-by-edge order as a second mode, and a network view is
    added; given the network and its example (``mlp``, ``x``, ``y`` and ``cost``, the cost
    that ``root`` computes), a weight's certificate adds the closed form of
    `microgrid.backprop` to the engine's number and the finite differences.

    The backward pass is run here, from zero gradients, and every node's ``.grad`` and
    ``.label`` is put back afterwards (values without a label are drawn with the name the
    steps give them, u_1, x_1, …): exploring changes neither ``.grad`` nor ``.data``.

    Args:
        root: the output Value.
        max_nodes: refuse (ValueError) a graph with more drawn values, as `draw_dot` does
            (2,000 by default: a 2-32-32-3 network's graph, 1,395 values, plays).
        mlp, x, y, cost: the network, the example and the cost ("quadratic" or
            "cross_entropy"), for the closed form; all three of mlp, x, y or none.
        precision: significant digits, as `draw_dot` prints them.
        predict: open in predict mode: each backward step that computes a number asks the
            learner for it before showing it (the page's "predict" toggle, key P, switches).
    """
    from ..drawing import draw_dot

    if not isinstance(root, Value):
        raise TypeError(f"explore: root must be a microgrid Value, got {type(root).__name__}")
    given = [mlp is not None, x is not None, y is not None]
    if any(given) and not all(given):
        raise ValueError("explore: pass mlp=, x= and y= together (the closed form needs all three)")
    if not isinstance(predict, bool):
        raise TypeError(f"explore: predict must be True or False, got {predict!r}")
    if cost not in COSTS:
        raise ValueError(f"explore: cost must be {' or '.join(map(repr, COSTS))}, got {cost!r}")

    def drawn() -> Any:  # draw_dot's checks (max_nodes, precision) in explore's words
        try:
            d = draw_dot(root, max_nodes=max_nodes, precision=precision)
        except ValueError as e:
            raise ValueError(str(e).replace("draw_dot", "explore")) from None
        # closer packing than draw_dot's default: the whole graph has to fit one window
        d.graph_attr.update(nodesep="0.06", ranksep="0.12")
        stagger(d, drawable)
        return d

    nodes = topological(root)
    drawable = drawn_values(nodes, root)
    drawn()  # a graph too big is refused before any work is done on it
    saved = {v: v.label for v in nodes}
    try:
        for v, name in unnamed_labels(nodes, root).items():
            v.label = name  # drawn with the name its steps use
        with fresh_grads(nodes):  # one pass from zero, every .grad as it was afterwards
            root.backward()
            svg_text = drawn().pipe(format="svg")  # drawn now, to print this pass's grads
            grads = {v: v.grad for v in nodes}
        recorder = Recorder(root, nodes, grads, precision)
        return _build(recorder, svg_text, mlp, x, y, cost, predict)
    finally:
        for v, name in saved.items():
            v.label = name


def _build(r: Recorder, svg_text: Any, mlp: Any, x: Any, y: Any, cost: str,
           predict: bool) -> Explorer:
    start, forward = r.start_step(), r.forward_steps()
    first_backward = 1 + len(forward)
    modes = {"edges": [start, *forward, r.seed_step(), *r.edge_steps()]}
    wave = wave_steps(r)
    if wave is not None:
        modes = {"wave": [start, *forward, *wave], **modes}
    done = {}
    for mode, steps in modes.items():
        done[mode] = final_steps(steps, first_backward)
        done[mode][-1] = first_backward  # a value no step reaches: its 0 from the start
    svg_text = svg_text.decode("utf-8") if isinstance(svg_text, bytes) else svg_text
    svg, width, height = annotate_svg(svg_text, r)
    net = Network.find(r) if wave is not None else None
    page = {
        "modes": modes,
        "mode": "wave" if wave is not None else "edges",
        "firstBackward": first_backward,
        "root": r.index[r.root],
        "nodes": [{
            "name": r.names[v], "label": v.label,
            "plain": plain_label(v.label) or plain(r.names[v]),
            "data": r.num(v.data), "grad": r.num(r.grad[v]),
            "leaf": not v.parents,
            "computedAt": 0 if not v.parents else None,
        } for v in r.drawn],
        "layers": layers(r, done),
        "certificates": certificates(r, done, mlp, x, y, cost),
        "width": width, "height": height,
        # per mode, the step after which each value's gradient is on the page for good:
        # a switch of mode goes to the step that gives the same quantity
        "done": {mode: {str(i): s for i, s in at.items()} for mode, at in done.items()},
        "predict": predict,
    }
    for s, step in enumerate(forward, 1):
        page["nodes"][step["node"]]["computedAt"] = s
    if net is not None:
        for i, look in weight_look(r, net).items():
            page["nodes"][i]["look"] = look
        page["matrix"] = layer_cells(r, net, done, {step["node"]: s for s, step in
                                                     enumerate(forward, 1)})
    label = r.root.label or "the root"
    return Explorer(page, svg, network_svg(r, net) if net else "",
                    f"{label}: {len(r.drawn)} values")


# ============================================================================ the page
def _asset(name: str) -> str:
    from importlib import resources

    return resources.files("microgrid.explorer").joinpath(name).read_text(encoding="utf-8")


def _page(data: dict, svg: str, net: str, title: str) -> str:
    """The page: page.html with its pieces put in (one substitution each, so nothing the
    pieces hold is read as a placeholder)."""
    wave = "wave" in data["modes"]
    pieces = {
        "title": html.escape(title),
        "css": _asset("page.css"),
        "js": _asset("player.js"),
        "svg": svg,
        "net": net,
        "data": encode_data(data),
        "mode_button": (
            '<button id="mode" title="play the backward pass as the δ wave (BP1–BP4, layer by '
            'layer) or edge by edge, as backward() walks the graph">edge by edge</button>'
            if wave else ""),
        "view_buttons": (
            '<button id="view-net" data-view="net" title="the network: neurons in layers, '
            'weights as edges (N)">network</button>'
            '<button id="view-layer" data-view="layer" title="the current layer as vectors and '
            'matrices: BP1–BP4 in matrix form (L)">layer</button>' if net else ""),
    }
    return _PLACEHOLDER.sub(lambda m: pieces[m.group(1)], _asset("page.html"))


_PLACEHOLDER = re.compile(r"\$([a-z_]+)")


def encode_data(data: dict) -> str:
    """The page's numbers as base64 of their JSON: no number of the pass can be read from the
    page's text (predict mode asks for them; a search of the saved file finds none), and
    nothing in it can close the <script> that holds it."""
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return base64.b64encode(blob).decode("ascii")


def read_data(page_html: str) -> dict:
    """The numbers embedded in a page that `explore` wrote (the inverse of `encode_data`)."""
    m = re.search(r'<script type="application/octet-stream" id="mg-data">([^<]*)</script>',
                  page_html)
    if m is None:
        raise ValueError("read_data: not a page written by microgrid's explore")
    return json.loads(base64.b64decode(m.group(1)).decode("utf-8"))
