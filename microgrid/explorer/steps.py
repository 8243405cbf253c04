"""The explorer's step recorder: the names it gives the values, the forward steps and the
backward pass edge by edge, as `backward()` walks it (docs/backprop.md §4).

Each step is a dict the page plays: ``phase`` (start, forward, backward), ``node`` (the value
it is about), ``html``/``eq``/``note`` (its text: the step, the same step as BP1–BP4, why),
``title`` (its name without numbers: what the step list shows before the step is reached),
``sets`` ([value, grad text] pairs: the gradients it writes), ``edges`` ([parent, value]
pairs: the edges it sends ∂C back along) and ``layer`` (the network layer it works on).
The δ wave, the backward pass in the derivation's order, is in `microgrid.explorer.wave`.
"""

from __future__ import annotations

import html
import re

from .. import ops
from ..engine import Const, Value
from ..notation import TEX_SCRIPT, index, parse_label, sup
from .formulas import WEIGHTED_SUM, Term, slope_note, wrap, write_op

_WORDS = re.compile(r"[^\W\d_]+|[\W\d_]+")
_LONG = 13  # a forward step with more operands (z of a neuron with 7+ inputs) folds them


def _italic(text: str) -> str:
    """Escape ``text``; single letters are variables, in italics as in TeX."""
    return "".join(
        f"<i>{html.escape(w)}</i>" if len(w) == 1 and w.isalpha() else html.escape(w)
        for w in _WORDS.findall(text)
    )


def math_html(text: str) -> str:
    """``"w^2_{13}"`` → w with 2 stacked over 13 (HTML; everything from the user escaped)."""
    out: list[str] = []
    scripts: dict[str, str] = {}

    def flush() -> None:
        if "^" in scripts and "_" in scripts:  # stacked, as docs/backprop.md sets w^l_jk
            sup, sub = scripts["^"], scripts["_"]
            out.append(f'<span class="ss"><sup>{sup}</sup><sub>{sub}</sub></span>')
        elif scripts:
            kind, body = next(iter(scripts.items()))
            out.append(f"<sup>{body}</sup>" if kind == "^" else f"<sub>{body}</sub>")
        scripts.clear()

    pos = 0
    for m in TEX_SCRIPT.finditer(text):
        if m.start() > pos:
            flush()
            out.append(_italic(text[pos : m.start()]))
        if m.group(1) in scripts:
            flush()
        body = m.group(2) if m.group(2) is not None else m.group(3)
        scripts[m.group(1)] = _italic(body)
        pos = m.end()
    flush()
    out.append(_italic(text[pos:]))
    return "".join(out)


def num(x: float, digits: int) -> str:
    """A number as `draw_dot` prints it (same digits, a typographic minus)."""
    return f"{x:.{digits}g}".replace("-", "−")


def factor(x: float, digits: int) -> str:
    return num(x, digits) if x >= 0 else f"({num(x, digits)})"


def delta_name(layer: int, j: tuple[int, ...]) -> str:
    # kept on one line: a line break never parts δ from its scripts
    return f'<span class="nw">{math_html(f"δ^{sup(layer)}_{index(*j)}")}</span>'



def is_constant(v: Value) -> bool:
    """A plain number the graph holds as a leaf (what `sum` and `dot` make of a number):
    draw_dot hides it, and the explorer writes it as its number."""
    return isinstance(v, Const)


def drawn_values(nodes: list[Value], root: Value) -> list[Value]:
    """The values draw_dot draws, in its order (v0, v1, …): all but the hidden constants."""
    return [v for v in nodes if not (is_constant(v) and v is not root)]


def unnamed_labels(nodes: list[Value], root: Value) -> dict[Value, str]:
    """Labels for the values that have none, as the explorer draws them (its steps use only
    names the drawing shows): leaves x_1, x_2, …, the root C, the others u_1, u_2, …"""
    labels, leaves, inner = {}, 0, 0
    for v in nodes:
        if v.label or is_constant(v):
            continue
        if v is root:
            labels[v] = "C"
        elif not v.parents:
            leaves += 1
            labels[v] = f"x_{leaves}"
        else:
            inner += 1
            labels[v] = f"u_{inner}"
    return labels


class Recorder:
    """One recorded pass (``nodes`` in topological order, ``grads`` of one backward pass from
    zero) turned into the page's forward steps and its edge-by-edge backward steps."""

    def __init__(self, root: Value, nodes: list[Value], grads: dict, digits: int) -> None:
        self.root, self.nodes, self.grad, self.digits = root, nodes, grads, digits
        # the values draw_dot draws, numbered as it numbers them (v0, v1, … in this order)
        self.drawn = drawn_values(nodes, root)
        self.index = {v: i for i, v in enumerate(self.drawn)}
        self.consumers: dict[Value, list[Value]] = {}
        for v in nodes:
            for p in v.parents:
                self.consumers.setdefault(p, []).append(v)
        self.names: dict[Value, str] = {}
        for v in nodes:  # every value is labelled by now (explore labels the unnamed ones)
            if is_constant(v) and not v.label:
                self.names[v] = self.num(v.data)  # a plain number reads as itself
            else:  # kept on one line: w and its scripts never part at a line break
                self.names[v] = f'<span class="nw">{math_html(v.label)}</span>'
        zs = [parse_label(v.label) for v in self.drawn]
        self.last_layer = max((p[1] for p in zs if p and p[0] == "z"), default=None)

    def num(self, x: float) -> str:
        return num(x, self.digits)

    def factor(self, x: float) -> str:
        """A number after ×: bracketed when negative, 0.5 × (−0.2)."""
        return factor(x, self.digits)

    def term(self, v: Value) -> Term:
        atomic = not is_constant(v) or v.data >= 0 or bool(v.label)
        return self.names[v], 5 if atomic else 1

    def terms(self, v: Value) -> list[Term]:
        """v's operands as terms; a plain number folded into the operation reads as itself."""
        return [self.term(p) if isinstance(p, Value) else (self.num(p), 5 if p >= 0 else 1)
                for p in v.operands]

    def number(self, x: float) -> Term:
        return self.num(x), 5 if x >= 0 else 1.5

    def d(self, v: Value) -> str:
        """∂C/∂v: the gradient (C the root's name), always written with the root on top."""
        return f"∂{self.names[self.root]}/∂{self.names[v]}"

    def local(self, v: Value, p: Value) -> str:
        """∂v/∂p, the local derivative; at the root it is written with the root's formula,
        ∂(u·0.5)/∂u, so that it never reads like the gradient ∂C/∂u."""
        top = self.names[v]
        if v is self.root:
            top = f"({write_op(v.op, self.terms(v))[0]})"
        return f"∂{top}/∂{self.names[p]}"

    def mlp_role(self, v: Value) -> tuple[str, int, tuple[int, ...]] | None:
        """(symbol, layer, indices) for an MLP's node, judged by its label *and* its op."""
        parsed = parse_label(v.label)
        if parsed is None:
            return None
        symbol = parsed[0]
        if symbol == "z" and v.op == WEIGHTED_SUM:
            return parsed
        if symbol == "a" and len(v.parents) == 1 and self.role_is(v.parents[0], "z"):
            return parsed
        if symbol in ("w", "b", "a") and not v.parents:
            return parsed
        return None

    def role_is(self, v: Value, symbol: str) -> bool:
        role = self.mlp_role(v)
        return role is not None and role[0] == symbol

    def layer_of(self, v: Value) -> int | None:
        role = self.mlp_role(v)
        return role[1] if role else None

    # ------------------------------------------------------------------ forward
    def start_step(self) -> dict:
        return {"phase": "start", "node": None, "html": "Start: the leaves hold their data",
                "title": "Start: the leaves hold their data", "sets": [], "edges": [],
                "layer": None,
                "note": "→ computes the values one by one (the forward pass); then the "
                        "backward pass sends ∂C/∂(each value) back, layer by layer"}

    def forward_steps(self) -> list[dict]:
        steps = []
        for v in self.drawn:
            if not v.parents:
                continue
            symbolic, _ = write_op(v.op, self.terms(v))
            numeric, _ = write_op(v.op, [self.number(p.data if isinstance(p, Value) else p)
                                         for p in v.operands])
            name = self.names[v]
            parts = [name] if name != symbolic else []
            parts += [symbolic, numeric, f"<b>{self.num(v.data)}</b>"]
            role = self.mlp_role(v)
            note = ""
            if role and role[0] == "z":
                note = "the weighted input of a neuron, z = Σ w·a + b (docs/backprop.md §2)"
            elif role and role[0] == "a":
                note = "the neuron's activation, a = σ(z) (docs/backprop.md §2)"
            text = " = ".join(parts)
            brief = None
            if len(v.operands) > _LONG:  # its terms folded under the value
                brief = f"{name} = <b>{self.num(v.data)}</b>"
                text = (f'{brief}<details class="terms"><summary>its {len(v.operands)} '
                        f"operands</summary>{' = '.join(parts[:-1])}</details>")
            steps.append({
                "phase": "forward", "node": self.index[v], "title": f"{name} = …",
                "html": text, "note": note, "sets": [], "edges": [],
                "layer": self.layer_of(v),
                "parents": sorted({self.index[p] for p in v.parents if p in self.index}),
            })
            if brief:
                steps[-1]["brief"] = brief
        return steps

    # ------------------------------------------------------------------ backward, edge by edge
    def seed_step(self) -> dict:
        root = self.index[self.root]
        return {
            "phase": "backward", "node": root, "parent": root, "grad": self.num(self.grad[
                self.root]), "sets": [[root, self.num(self.grad[self.root])]], "edges": [],
            "layer": None, "kind": "seed", "title": f"{self.d(self.root)} = 1",
            "html": f"{self.d(self.root)} = <b>1</b>",
            "note": "the seed: backward() starts at the root with ∂C/∂C = 1",
        }

    def edge_steps(self, only: set[Value] | None = None) -> list[dict]:
        """Every chain-rule step of ``backward()``, in its order: ∂C/∂parent += ∂node/∂parent ×
        ∂C/∂node on each edge (docs/backprop.md §4); ``only``: just those nodes' edges."""
        g = self.grad
        steps = []
        todo = {p: sum(1 for c in self.consumers.get(p, []) for q in c.parents if q is p)
                for p in self.drawn}
        acc = {v: 0.0 for v in self.drawn}
        acc[self.root] = g[self.root]
        for v in reversed(self.nodes):
            if not v.parents or v not in self.index or (only is not None and v not in only):
                continue
            if g[v] == 0.0:  # backward() skips it: nothing to pass on
                steps.append({
                    "phase": "backward", "node": self.index[v], "parent": None, "grad": None,
                    "sets": [], "edges": [], "layer": self.layer_of(v), "kind": "edge",
                    "title": f"{self.d(v)} = 0",
                    "html": f"{self.d(v)} = <b>0</b>: nothing flows back to its parents",
                    "note": "a node whose gradient is 0 passes nothing on (backward skips it)",
                })
                for p in v.parents:
                    if p in todo:
                        todo[p] -= 1
                continue
            for k, (p, local) in enumerate(zip(v.parents, v.local_grads)):
                if p not in self.index:  # a plain number folded into its operation
                    continue
                old = acc[p]
                acc[p] = old + local * g[v]
                todo[p] -= 1
                shown = self.num(g[p] if todo[p] == 0 else acc[p])
                generic = (
                    f"{self.d(p)} += {self.local(v, p)} × {self.d(v)}"
                    f" = {self.num(local)} × {wrap(self.number(g[v]), 2)}"
                    f" = {self.num(local * g[v])}"
                )
                if old != 0.0:  # a second path into p: the multivariate chain rule adds
                    generic += f"; {self.num(old)} + {self.factor(local * g[v])}"
                generic += f" → <b>{shown}</b>"
                eq, note = self._in_derivation(v, k, p, local)
                i, j = self.index[p], self.index[v]
                # predict mode asks for the new ∂C/∂parent: the step with the answer blank
                question = (f"{self.d(p)} += {self.local(v, p)} × {self.d(v)} = "
                            f"{self.num(local)} × {wrap(self.number(g[v]), 2)}")
                if old != 0.0:
                    question += f", added to {self.num(old)}"
                blank = '<span class="blank" title="the number this step asks for">▢</span>'
                steps.append({
                    "phase": "backward", "node": j, "parent": i, "edge": k, "grad": shown,
                    "sets": [[i, shown]], "edges": [[i, j]], "layer": self.layer_of(v),
                    "kind": "edge", "title": f"{self.d(p)} += …",
                    "html": generic, "eq": eq, "note": note,
                    "ask": {"name": self.d(p), "q": f"{question} → {blank}",
                            "v": g[p] if todo[p] == 0 else acc[p]},
                })
        return steps

    def _in_derivation(self, v: Value, k: int, p: Value, local: float) -> tuple[str, str]:
        """The step written as BP1–BP4 (docs/backprop.md §5–§7), for an MLP's nodes."""
        role, prole = self.mlp_role(v), self.mlp_role(p)
        if role is None or prole is None:
            return "", ""
        g, num, n = self.grad, self.num, self.names
        if role[0] == "a" and prole[0] == "z":  # δ = ∂C/∂a · σ'(z)
            l, j = role[1], role[2]
            dname = delta_name(l, j)
            slope = slope_note(v.op, n[v])
            slope = f"; {slope}" if slope else ""
            if role[1] == self.last_layer:
                return (
                    f"{dname} = ∂C/∂{n[v]} · <i>σ</i>′({n[p]}) = {num(g[v])} × "
                    f"{self.factor(local)} = <b>{num(g[p])}</b>",
                    "BP1: the error at the output layer, δ<sup>L</sup> = ∂C/∂a<sup>L</sup> ⊙ "
                    f"σ′(z<sup>L</sup>) (docs/backprop.md §5){slope}",
                )
            kj = f"<i>k</i>{',' if j[0] > 9 else ''}{j[0]}"  # w^{l+1}_{kj}; k,12 when j > 9
            nxt = f"Σ<sub><i>k</i></sub> <i>w</i><sup>{l + 1}</sup><sub>{kj}</sub>" \
                  f" <i>δ</i><sup>{l + 1}</sup><sub><i>k</i></sub>"
            return (
                f"{dname} = <i>σ</i>′({n[p]}) {nxt} = {num(local)} × {self.factor(g[v])}"
                f" = <b>{num(g[p])}</b>",
                "BP2: the error of a hidden layer, δ<sup>l</sup><sub>j</sub> = σ′(z<sup>l</sup>"
                "<sub>j</sub>) Σ<sub>k</sub> w<sup>l+1</sup><sub>kj</sub> δ<sup>l+1</sup>"
                f"<sub>k</sub> (docs/backprop.md §6){slope}",
            )
        if role[0] != "z":
            return "", ""
        delta = delta_name(role[1], role[2])
        ws, a_s, _ = ops.dot_parts(v.operands, bias=True)
        nw = len(ws)
        if prole[0] == "w" and k < nw:
            a = a_s[k]
            return (
                f"∂C/∂{n[p]} = {n[a]} · {delta} = {num(a.data)} × {self.factor(g[v])}"
                f" = <b>{num(local * g[v])}</b>",
                "BP4: ∂C/∂w<sup>l</sup><sub>jk</sub> = a<sup>l−1</sup><sub>k</sub> "
                "δ<sup>l</sup><sub>j</sub> (docs/backprop.md §7)",
            )
        if prole[0] == "b" and k == 2 * nw:
            return (
                f"∂C/∂{n[p]} = {delta} = <b>{num(g[v])}</b>",
                "BP3: ∂C/∂b<sup>l</sup><sub>j</sub> = δ<sup>l</sup><sub>j</sub> "
                "(docs/backprop.md §7)",
            )
        if prole[0] == "a" and nw <= k < 2 * nw:
            w = ws[k - nw]
            where = (
                "the input's gradient (BP2 stops at layer 2)" if not p.parents else
                f"one term of Σ<sub><i>k</i></sub> in BP2 for δ<sup>{prole[1]}</sup>"
            )
            return (
                f"∂C/∂{n[p]} += {n[w]} · {delta} = {num(local)} × {self.factor(g[v])}"
                f" = {num(local * g[v])}",
                f"{where} (docs/backprop.md §6)",
            )
        return "", ""


def final_steps(steps: list[dict], first_backward: int) -> dict[int, int]:
    """For each value, the step after which its gradient is on the page for good."""
    done: dict[int, int] = {}
    for s in range(first_backward, len(steps)):
        for i, _ in steps[s]["sets"]:
            done[i] = s
    return done


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))
