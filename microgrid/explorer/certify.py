"""What the explorer checks and tabulates: each leaf's gradient three ways (the engine, the
closed form of `microgrid.backprop`, central finite differences) and the δ's layer by layer.

Each certificate and each δ carries, per mode of play, the step from which the page may show
it: nothing of the pass appears before the step that computes it.
"""

from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..engine import Value
from ..idioms import no_grad
from ..notation import label
from ..replay import replay
from .steps import Recorder, delta_name, factor, is_constant, math_html, num

EPS = 1e-6  # the step of the central finite differences


class Replay:
    """Re-runs the recorded forward pass (`microgrid.replay`, recording nothing), one leaf
    moved: C(leaf ± ε)."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes
        self.problem = ""
        try:
            again = self.run(None, 0.0)
        except (ValueError, ArithmeticError) as e:
            self.problem = f"the graph cannot be re-run: {e}"
            return
        if not math.isclose(again, nodes[-1].data, rel_tol=1e-12, abs_tol=1e-300):
            self.problem = "replaying the graph does not reproduce its value"

    def run(self, leaf: int | None, value: float) -> float:
        moved = {} if leaf is None else {self.nodes[leaf]: value}
        with no_grad():
            return replay(self.nodes, moved)[self.nodes[-1]].data

    def derivative(self, leaf: int) -> float:
        x = self.nodes[leaf].data
        return (self.run(leaf, x + EPS) - self.run(leaf, x - EPS)) / (2 * EPS)


def layers(r: Recorder, done: dict[str, dict[int, int]]) -> list[dict]:
    """δ^l_j of every z^l_j node, by layer, with the step (per mode) at which it is shown."""
    by_layer: dict[int, list] = {}
    for v in r.drawn:
        role = r.mlp_role(v)
        if role and role[0] == "z":
            i = r.index[v]
            by_layer.setdefault(role[1], []).append({
                "node": i, "name": delta_name(role[1], role[2]),
                "value": r.grad[v], "text": r.num(r.grad[v]),
                "steps": {mode: at.get(i, 10**9) for mode, at in done.items()},
            })
    biggest = max((abs(d["value"]) for ds in by_layer.values() for d in ds), default=0.0)
    smallest = min((abs(d["value"]) for ds in by_layer.values() for d in ds
                    if d["value"] != 0.0), default=0.0)
    decades = max(1, math.ceil(math.log10(biggest / smallest))) if smallest else 1
    for ds in by_layer.values():
        for d in ds:
            # log scale: the largest |δ| fills the bar, each decade below takes 1/decades off
            a = abs(d["value"])
            d["width"] = 0.0 if a == 0.0 else max(
                2.0, 100.0 * (1.0 + math.log10(a / biggest) / (decades + 1)))
    return [{"layer": l, "deltas": by_layer[l],
             "max": r.num(max(abs(d["value"]) for d in by_layer[l])),
             "steps": {mode: max(d["steps"][mode] for d in by_layer[l]) for mode in done}}
            for l in sorted(by_layer)]


def certificates(r: Recorder, done: dict[str, dict[int, int]], mlp: Any, x: Any, y: Any,
                 cost: str) -> dict[str, dict]:
    replay = Replay(r.nodes)
    where = {id(v): i for i, v in enumerate(r.nodes)}
    closed = _closed_form(r, mlp, x, y, cost) if mlp is not None else None
    certs = {}
    for v in r.drawn:
        if v.parents or is_constant(v):
            continue
        rows = [_engine_row(r, v)]
        if closed is not None and id(v) in closed:
            rows.append(closed[id(v)])
        elif mlp is None:
            rows.append({"what": "closed form (BP1–BP4)", "formula":
                         "pass mlp=, x=, y= to explore for microgrid.backprop's numbers",
                         "value": None, "text": "—"})
        else:
            rows.append({"what": "closed form (BP1–BP4)", "formula":
                         "not a parameter of this mlp", "value": None, "text": "—"})
        if replay.problem:
            rows.append({"what": "finite differences", "formula": replay.problem,
                         "value": None, "text": "—"})
        else:
            try:
                fd = replay.derivative(where[id(v)])
                rows.append({
                    "what": "finite differences",
                    "formula": f"(C(x + ε) − C(x − ε)) / 2ε, ε = {EPS:g}, the graph re-run",
                    "value": fd, "text": num(fd, 10),
                })
            except (ArithmeticError, ValueError):
                rows.append({"what": "finite differences", "formula":
                             "not defined at x ± ε", "value": None, "text": "—"})
        vals = [row["value"] for row in rows if row["value"] is not None]
        spread = max(vals) - min(vals) if len(vals) > 1 else None
        i = r.index[v]
        certs[str(i)] = {
            "title": r.d(v), "rows": rows,
            "spread": None if spread is None else f"{spread:.1e}".replace("-", "−"),
            # a leaf no step reaches keeps its 0 from the start of the backward pass
            "steps": {mode: at.get(i, at.get(-1, 0)) for mode, at in done.items()},
        }
    return certs


def _engine_row(r: Recorder, v: Value) -> dict:
    g = r.grad[v]
    role = r.mlp_role(v)
    users = r.consumers.get(v, [])
    formula = "backward(): the sum over every edge out of it"
    if role and role[0] in ("w", "b") and len(users) == 1 and r.role_is(users[0], "z"):
        z = users[0]
        zr = r.mlp_role(z)
        delta = delta_name(zr[1], zr[2])
        if role[0] == "b":
            formula = f"{delta} = {num(r.grad[z], 10)} (BP3)"
        else:
            ws, a_s, _ = ops.dot_parts(z.operands, bias=True)
            a = a_s[ws.index(v)]
            formula = (f"{r.names[a]} · {delta} = {num(a.data, 10)} × "
                       f"{factor(r.grad[z], 10)} (BP4)")
    return {"what": "engine (backward)", "formula": formula, "value": g, "text": num(g, 10)}


def _closed_form(r: Recorder, mlp: Any, x: Any, y: Any, cost: str) -> dict:
    from ..backprop import backprop

    y = [y] if isinstance(y, (int, float)) else list(y)
    res = backprop(mlp.weights(), mlp.biases(), list(x), y, activation=mlp.activation,
                   cost=cost, output_activation=mlp.output_activation)
    if not math.isclose(res.cost, r.root.data, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(
            f"explore: the closed form's cost C = {res.cost:.10g} (mlp, x, y, cost={cost!r}) "
            f"is not the root's value {r.root.data:.10g}; pass the network, the example "
            "and the cost that the graph computes"
        )
    rows = {}
    for i, layer in enumerate(mlp.layers):
        l = i + 2
        for j, neuron in enumerate(layer.neurons):
            delta = math_html(label("δ", l, j + 1))
            rows[id(neuron.b)] = {
                "what": "closed form (BP3)", "formula": f"{delta} = {num(res.delta[i][j], 10)}",
                "value": res.grad_b[i][j], "text": num(res.grad_b[i][j], 10)}
            for k, w in enumerate(neuron.w):
                a = math_html(label("a", l - 1, k + 1))
                rows[id(w)] = {
                    "what": "closed form (BP4)",
                    "formula": f"{a} · {delta} = {num(res.inputs(i)[k], 10)} × "
                               f"{factor(res.delta[i][j], 10)}",
                    "value": res.grad_w[i][j][k], "text": num(res.grad_w[i][j][k], 10)}
    return rows
