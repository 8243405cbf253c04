"""The backward pass of an MLP as the δ wave of docs/backprop.md, layer by layer.

After the cost's own chain-rule steps have given ∂C/∂a^L, the wave runs as Nielsen's
``backprop()`` does: BP1 gives every δ^L_j (one step each, §5), BP3/BP4 that layer's ∂C/∂b and
∂C/∂w (one step per neuron, §7), then BP2 each δ^l_j of the layer below in one step, the whole
Σ_k w^{l+1}_kj δ^{l+1}_k with its terms, × σ′(z^l_j) (§6), then its BP3/BP4, and so on down to
layer 2; last, the inputs' gradients when the inputs are values of the graph.

`Network.find` reads the layers off the graph and checks that the graph is an MLP's and nothing
else (every a^l feeds exactly the next layer's z's, every weight only its neuron): only then
does the wave add up to what `backward()` computes; any other graph keeps the edge-by-edge
order.
"""

from __future__ import annotations

from .. import ops
from ..engine import Value
from .formulas import slope_note
from .steps import Recorder, delta_name, math_html

Neuron = tuple[Value, Value]  # (z^l_j, a^l_j)


class Network:
    """The layers of an MLP's graph: ``layers[l]`` the neurons (z, a) of layer l (2 … L),
    ``inputs`` the values a^1_k that layer 2 reads."""

    def __init__(self, layers: dict[int, list[Neuron]], inputs: list[Value]) -> None:
        self.layers, self.inputs = layers, inputs
        self.L = max(layers)

    @staticmethod
    def find(r: Recorder) -> Network | None:
        byrole: dict[int, dict[int, Neuron]] = {}
        for z in r.drawn:
            role = r.mlp_role(z)
            if role is None or role[0] != "z":
                continue
            users = r.consumers.get(z, [])
            # a linear layer (train's output layer) has no a node: its output is z itself
            a = users[0] if len(users) == 1 and r.role_is(users[0], "a") else z
            byrole.setdefault(role[1], {})[role[2][0]] = (z, a)
        if not byrole:
            return None
        levels = sorted(byrole)
        if levels != list(range(2, 2 + len(levels))):
            return None
        layers = {}
        for l in levels:
            js = sorted(byrole[l])
            if js != list(range(1, len(js) + 1)):
                return None
            layers[l] = [byrole[l][j] for j in js]
        net = Network(layers, [])
        return net if net._inputs_and_wiring(r) else None

    def weights(self, z: Value) -> tuple[list[Value], list[Value], Value]:
        """z = Σ_k w_k a_k + b: its parents (w…, a…, b)."""
        ws, xs, b = ops.dot_parts(z.operands, bias=True)
        return list(ws), list(xs), b

    def _inputs_and_wiring(self, r: Recorder) -> bool:
        """Is every value of the network used only as BP1–BP4 assume?"""
        def only(v: Value, users: list[Value]) -> bool:
            return sorted(map(id, r.consumers.get(v, []))) == sorted(map(id, users))

        for l, neurons in self.layers.items():
            below = [a for _, a in self.layers[l - 1]] if l > 2 else None
            for z, a in neurons:
                if len(z.parents) % 2 == 0 or (a is not z and not only(z, [a])):
                    return False
                ws, xs, b = self.weights(z)
                if below is None:
                    below = xs if not self.inputs else self.inputs
                    self.inputs = below
                if [id(x) for x in xs] != [id(x) for x in below]:
                    return False
                if any(w.parents or not only(w, [z]) for w in ws) or b.parents or \
                        not only(b, [z]):
                    return False
            if l < self.L:
                above = [z for z, _ in self.layers[l + 1]]
                if any(not only(a, above) for _, a in neurons):
                    return False
        first = [z for z, _ in self.layers[2]]
        if any(x in r.index and (x.parents or not only(x, first)) for x in self.inputs):
            return False  # an input computed in the graph, or used elsewhere too
        return all(not r.role_is(c, "z") for _, a in self.layers[self.L]
                   for c in r.consumers.get(a, []))


def wave_steps(r: Recorder) -> list[dict] | None:
    """The backward steps in the δ wave's order, or None when the graph is not an MLP's."""
    net = Network.find(r)
    if net is None:
        return None
    mlp_nodes = {v for ns in net.layers.values() for z, a in ns for v in (z, a)}
    cost = {v for v in r.drawn if v.parents and v not in mlp_nodes}
    steps = [r.seed_step(), *r.edge_steps(only=cost)]
    for l in range(net.L, 1, -1):
        for j, neuron in enumerate(net.layers[l], 1):
            steps.append(_bp1(r, l, j, neuron) if l == net.L else _bp2(r, net, l, j, neuron))
        for j, neuron in enumerate(net.layers[l], 1):
            steps.append(_bp34(r, net, l, j, neuron))
    for k, x in enumerate(net.inputs, 1):
        if x in r.index:
            steps.append(_input(r, net, k, x))
    return steps


def _sigma_prime(r: Recorder, z: Value, a: Value) -> tuple[str, float, str]:
    if a is z:
        return "1", 1.0, "a linear layer: a = z, so σ′ = 1 and δ is ∂C/∂a itself"
    slope = slope_note(a.op, r.names[a])
    return f"<i>σ</i>′({r.names[z]})", a.local_grads[0], slope


def _step(r: Recorder, kind: str, layer: int, node: Value, title: str, sets: list[Value],
          edges: list[tuple[Value, Value]], text: str, eq: str, note: str) -> dict:
    """A wave step: ``sets`` the values it gives their (final) gradient, ``edges`` the
    (parent, value) pairs along which it sends ∂C back."""
    return {
        "phase": "backward", "kind": kind, "layer": layer, "node": r.index[node],
        "title": title, "html": text, "eq": eq, "note": note,
        "sets": [[r.index[v], r.num(r.grad[v])] for v in sets],
        "edges": [[r.index[p], r.index[v]] for p, v in edges],
    }


FOLD = 6  # a step with more terms than this shows them as cells, folded under its sum
BLANK = '<span class="blank" title="the number this step asks for">▢</span>'


def _sum(r: Recorder, terms: list[tuple[Value, Value, str]]) -> str:
    """Σ_k w_k δ_k written out: each term by name, then by its numbers (w, z^{l+1}_k, δ's name);
    more than FOLD terms: one cell per term, folded (the learner opens them)."""
    if len(terms) > FOLD:
        return _cells([(f"{r.names[w]}·{d}", f"{r.factor(w.data)}×{r.factor(r.grad[z])}")
                       for w, z, d in terms], f"the {len(terms)} terms")
    names = " + ".join(f"{r.names[w]}·{d}" for w, _, d in terms)
    numbers = " + ".join(f"{r.factor(w.data)}×{r.factor(r.grad[z])}" for w, z, _ in terms)
    return f"{names} = {numbers}"


def _cells(cells: list[tuple[str, str]], what: str, opened: bool = False) -> str:
    """Terms as a row of cells (name above, numbers below) that wraps, never overflowing the
    panel sideways; folded under ``what`` unless ``opened``."""
    body = "".join(f'<span class="cell"><span>{a}</span><span>{b}</span></span>'
                   for a, b in cells)
    return (f'<details class="terms"{" open" if opened else ""}><summary>{what}</summary>'
            f'<div class="cells">{body}</div></details>')


def _ask(name: str, question: str, value: float) -> dict:
    """What predict mode asks at a step: the quantity's name, the step with its known numbers
    and the answer blank (shown after a wrong try), and the answer (kept out of the page's
    text: the page's data is encoded)."""
    return {"name": name, "q": question, "v": value}


def _bp1(r: Recorder, l: int, j: int, neuron: Neuron) -> dict:
    z, a = neuron
    g, n = r.grad, r.names
    d = delta_name(l, (j,))
    sp, local, slope = _sigma_prime(r, z, a)
    if a is z:  # the cost's own steps gave ∂C/∂z^L: δ^L is that number
        known = f"{d} = ∂C/∂{n[z]} = "
    else:
        known = f"{d} = ∂C/∂{n[a]} · {sp} = {r.num(g[a])} × {r.factor(local)} = "
    step = _step(r, "BP1", l, z, f"BP1: {d}", [z], [(z, a)] if a is not z else [],
                 f"{known}<b>{r.num(g[z])}</b>",
                 "BP1: the error at the output layer, δ<sup>L</sup><sub>j</sub> = ∂C/∂a<sup>L"
                 "</sup><sub>j</sub> σ′(z<sup>L</sup><sub>j</sub>) (docs/backprop.md §5)", slope)
    step["ask"] = _ask(d, known + BLANK, g[z])
    return step


def _bp2(r: Recorder, net: Network, l: int, j: int, neuron: Neuron) -> dict:
    z, a = neuron
    g, n = r.grad, r.names
    d = delta_name(l, (j,))
    sp, local, slope = _sigma_prime(r, z, a)
    above = [(net.weights(zk)[0][j - 1], zk, delta_name(l + 1, (k,)))  # w^{l+1}_kj, δ^{l+1}_k
             for k, (zk, _) in enumerate(net.layers[l + 1], 1)]
    kj = f"<i>k</i>{',' if j > 9 else ''}{j}"  # w^{l+1}_{kj}; k,12 when j > 9
    total = f"Σ<sub><i>k</i></sub> <i>w</i><sup>{l + 1}</sup><sub>{kj}</sub> " \
            f"<i>δ</i><sup>{l + 1}</sup><sub><i>k</i></sub>"
    terms = _sum(r, above)
    if len(above) > FOLD:  # the sum first, its terms on demand
        first = f"∂C/∂{n[a]} = {total} = {r.num(g[a])}{terms}"
    else:
        first = f"∂C/∂{n[a]} = {total} = {terms} = {r.num(g[a])}"
    step = _step(
        r, "BP2", l, z, f"BP2: {d}", [a, z],
        [(a, zk) for _, zk, _ in above] + ([(z, a)] if a is not z else []),
        f"{first}<br>{d} = ∂C/∂{n[a]} · {sp}"
        f" = {r.num(g[a])} × {r.factor(local)} = <b>{r.num(g[z])}</b>",
        "BP2: the error of a hidden layer, δ<sup>l</sup><sub>j</sub> = (Σ<sub>k</sub> "
        "w<sup>l+1</sup><sub>kj</sub> δ<sup>l+1</sup><sub>k</sub>) σ′(z<sup>l</sup>"
        "<sub>j</sub>), every term of layer l+1 at once (docs/backprop.md §6)", slope)
    step["terms"] = [[r.index[w], r.index[zk]] for w, zk, _ in above]
    step["brief"] = f"∂C/∂{n[a]} = {r.num(g[a])}; {d} = <b>{r.num(g[z])}</b>"
    sums = terms if len(above) > FOLD else f"({terms.split(' = ', 1)[1]})"
    step["ask"] = _ask(d, f"{d} = {sp} {total} = {r.factor(local)} × {sums} = {BLANK}", g[z])
    return step


def _bp34(r: Recorder, net: Network, l: int, j: int, neuron: Neuron) -> dict:
    z, _ = neuron
    g, n = r.grad, r.names
    d = delta_name(l, (j,))
    ws, xs, b = net.weights(z)
    bias = f"∂C/∂{n[b]} = {d} = <b>{r.num(g[b])}</b>"
    if len(ws) > FOLD:
        text = bias + "<br>" + _cells(
            [(f"∂C/∂{n[w]} = <b>{r.num(g[w])}</b>", f"{n[x]}·{d} = {r.num(x.data)} × "
              f"{r.factor(g[z])}") for w, x in zip(ws, xs)],
            f"the {len(ws)} weights, ∂C/∂{math_html(f'w^{l}_{{{j}k}}')} = "
            f"{math_html(f'a^{l - 1}_k')}·{d}", opened=True)
    else:
        text = "<br>".join([bias] + [
            f"∂C/∂{n[w]} = {n[x]}·{d} = {r.num(x.data)} × {r.factor(g[z])} = "
            f"<b>{r.num(g[w])}</b>" for w, x in zip(ws, xs)])
    wname = math_html(f"w^{l}_{{{j}k}}")
    step = _step(r, "BP34", l, z, f"BP3, BP4: ∂C/∂{n[b]}, ∂C/∂{wname}",
                 [b, *ws], [(v, z) for v in (*ws, b)], text,
                 "BP3: ∂C/∂b<sup>l</sup><sub>j</sub> = δ<sup>l</sup><sub>j</sub>; BP4: "
                 "∂C/∂w<sup>l</sup><sub>jk</sub> = a<sup>l−1</sup><sub>k</sub> δ<sup>l</sup>"
                 "<sub>j</sub> (docs/backprop.md §7)",
                 f"neuron {j} of layer {l}: its bias and its weights, from its δ")
    step["brief"] = (f"∂C/∂{n[b]} = {r.num(g[b])}; ∂C/∂{wname}, k = 1…{len(ws)}: "
                     + ", ".join(r.num(g[w]) for w in ws[:3]) + (", …" if len(ws) > 3 else ""))
    w0, x0 = ws[0], xs[0]
    step["ask"] = _ask(f"∂C/∂{n[w0]}", f"∂C/∂{n[w0]} = {n[x0]}·{d} = {r.num(x0.data)} × "
                       f"{r.factor(g[z])} = {BLANK}", g[w0])
    return step


def _input(r: Recorder, net: Network, k: int, x: Value) -> dict:
    below = [(net.weights(zj)[0][k - 1], zj, delta_name(2, (j,)))
             for j, (zj, _) in enumerate(net.layers[2], 1)]
    terms, name = _sum(r, below), f"∂C/∂{r.names[x]}"
    text = f"{name} = <b>{r.num(r.grad[x])}</b>{terms}" if len(below) > FOLD else \
        f"{name} = {terms} = <b>{r.num(r.grad[x])}</b>"
    step = _step(r, "input", 1, x, name, [x], [(x, zj) for _, zj, _ in below], text, "",
                 "the input's gradient: BP2's sum without σ′, the input has no z "
                 "(docs/backprop.md §6)")
    step["brief"] = f"{name} = <b>{r.num(r.grad[x])}</b>"
    known = terms if len(below) > FOLD else terms.split(" = ", 1)[1]
    step["ask"] = _ask(name, f"{name} = {known} = {BLANK}", r.grad[x])
    return step
