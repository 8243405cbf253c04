"""Watch one forward and one backward pass, step by step: ``explore(root)``.

    page = microgrid.explore(C, mlp=mlp, x=x, y=y)   # shows inline in Jupyter
    page.save("pass.html")                           # one self-contained file, opens from file://

The page shows the graph exactly as `draw_dot` draws it and plays the pass beside it:

* forward: every value in topological order with its formula and numbers
  (z^2_1 = w^2_11·a^1_1 + w^2_12·a^1_2 + b^2_1 = …, docs/backprop.md §2);
* backward: every chain-rule step on its edge, ∂C/∂parent += local × ∂C/∂node, and for an MLP's
  nodes the same step in the derivation's terms: BP1 (δ^L, §5), BP2 (δ^l, §6), BP3 and BP4
  (∂C/∂b, ∂C/∂w, §7);
* the δ's layer by layer (log-scale bars: a vanishing gradient is visible);
* a click on a weight (any leaf): its gradient from the engine, from the closed form
  (`microgrid.backprop`, when the network is given) and from central finite differences.

Every number is computed here, in Python, and embedded in the page as JSON; the page's
script (``explore_player.js``) only plays them.  Nothing is fetched: no CDN, no server.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from .engine import Const, Value, apply, no_grad, reachable, topological
from .notation import index, parse_label, sup

__all__ = ["explore", "Explorer"]

# (json, xml.etree and importlib.resources are imported where used: `import microgrid` stays lean)
SVG_NS = "http://www.w3.org/2000/svg"
_T = f"{{{SVG_NS}}}"

EPS = 1e-6  # the step of the central finite differences


# ============================================================================ notation as HTML
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|(.))", re.S)
_WORDS = re.compile(r"[^\W\d_]+|[\W\d_]+")


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
    for m in _SCRIPT.finditer(text):
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


def _factor(x: float, digits: int) -> str:
    return _num(x, digits) if x >= 0 else f"({_num(x, digits)})"


def _num(x: float, digits: int) -> str:
    """A number as `draw_dot` prints it (same digits, a typographic minus)."""
    return f"{x:.{digits}g}".replace("-", "−")


# ============================================================================ forward formulas
# Precedence of what an operation writes: sum 1, product 2, unary minus 3, power 4, atom 5.
# A negative number is bracketed wherever a sum's right-hand side would be.
Term = tuple[str, float]

_FUNCTIONS = {"exp": "exp", "log": "ln", "tanh": "tanh", "σ": "<i>σ</i>", "ReLU": "ReLU",
              "softplus": "softplus", "sqrt": "√"}


def _wrap(t: Term, need: float) -> str:
    return t[0] if t[1] >= need else f"({t[0]})"


def _write(op: str, xs: list[Term]) -> Term:
    """How the operation ``op`` reads applied to the operands ``xs`` (names or numbers)."""
    if op in ("+", "-") and len(xs) == 2:
        sign = "+" if op == "+" else "−"
        return f"{_wrap(xs[0], 1)} {sign} {_wrap(xs[1], 2)}", 1
    if op in ("*", "/") and len(xs) == 2:
        sign = "·" if op == "*" else "/"
        return f"{_wrap(xs[0], 2)}{sign}{_wrap(xs[1], 2.5)}", 2
    if op == "neg" and len(xs) == 1:
        return f"−{_wrap(xs[0], 4)}", 3
    if op.startswith("**") and len(xs) == 1:
        return f"{_wrap(xs[0], 5)}<sup>{html.escape(op[2:]).replace('-', '−')}</sup>", 4
    if op == "**" and len(xs) == 2:
        return f"{_wrap(xs[0], 5)}<sup>{xs[1][0]}</sup>", 4
    if op == "abs" and len(xs) == 1:
        return f"|{xs[0][0]}|", 5
    if op in _FUNCTIONS and len(xs) == 1:
        return f"{_FUNCTIONS[op]}({xs[0][0]})", 5
    if op == "Σ":
        return " + ".join(_wrap(t, 1 if i == 0 else 2) for i, t in enumerate(xs)), 1
    if op in ("·", "·+"):  # z = Σ_k w_k a_k (+ b): parents are (w…, a…[, b])
        n = len(xs) // 2
        terms = [f"{_wrap(w, 2)}·{_wrap(a, 2.5)}" for w, a in zip(xs[:n], xs[n : 2 * n])]
        if op == "·+":
            terms.append(_wrap(xs[-1], 2))
        return " + ".join(terms), 1
    return f"{html.escape(op)}({', '.join(t[0] for t in xs)})", 5


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x


# ============================================================================ replaying a graph
class _Replay:
    """Re-runs the recorded forward pass with the engine's own operations (`engine.apply`,
    recording nothing), one leaf moved: C(leaf ± ε)."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes
        index = {id(v): i for i, v in enumerate(nodes)}
        # each node's operands: (index of a Value, None) or (None, a plain number folded in)
        self.operands = [
            [(index[id(p)], None) if isinstance(p, Value) else (None, p) for p in v.operands]
            for v in nodes
        ]
        self.data = [v.data for v in nodes]
        self.problem = ""
        try:
            again = self.run(None, 0.0)
        except (ValueError, ArithmeticError) as e:
            self.problem = f"the graph cannot be re-run: {e}"
            return
        if not math.isclose(again, nodes[-1].data, rel_tol=1e-12, abs_tol=1e-300):
            self.problem = "replaying the graph does not reproduce its value"

    def run(self, leaf: int | None, value: float) -> float:
        with no_grad():
            values = [Value(x) if not v.parents else None for x, v in zip(self.data, self.nodes)]
            if leaf is not None:
                values[leaf] = Value(value)
            for i, v in enumerate(self.nodes):
                if v.parents:
                    xs = [c if p is None else values[p] for p, c in self.operands[i]]
                    values[i] = apply(v.op, xs)
        return values[-1].data

    def derivative(self, leaf: int) -> float:
        x = self.data[leaf]
        return (self.run(leaf, x + EPS) - self.run(leaf, x - EPS)) / (2 * EPS)


class Explorer:
    """One forward and backward pass, ready to play: ``save(path)`` writes a self-contained
    HTML page; in Jupyter it shows inline (``_repr_html_``).

    ``data`` is everything the page shows, as embedded in it (JSON): ``steps`` (the list it
    plays, step 0 the start), ``nodes`` (each drawn value's data and grad as `draw_dot` prints
    them), ``layers`` (δ^l_j per layer) and ``certificates`` (per leaf); ``steps`` is
    ``data["steps"]`` and ``html`` the whole page.
    """

    def __init__(self, page: dict[str, Any], svg: str, title: str) -> None:
        self.data = page
        self.steps: list[dict[str, Any]] = page["steps"]
        self.title = title
        self.html = _page(page, svg, title)

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
            'style="width: 100%; height: 760px; border: 1px solid #ccc;"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<microgrid Explorer: {len(self.steps)} steps of {self.title}>"


def explore(
    root: Value,
    *,
    max_nodes: int | None = 500,
    mlp: Any = None,
    x: Sequence[float] | None = None,
    y: Sequence[float] | None = None,
    cost: str = "quadratic",
    precision: int = 4,
) -> Explorer:
    """An explorer of one forward and one backward pass of ``root`` (usually a loss).

    Any graph works.  For an MLP's graph the steps are also written in the derivation's terms
    (BP1–BP4), and given the network and its example (``mlp``, ``x``, ``y`` and ``cost``, the
    cost that ``root`` computes), a weight's certificate adds the closed form of
    `microgrid.backprop` to the engine's number and the finite differences.

    The backward pass is run here, from zero gradients, and every node's ``.grad`` is put back
    afterwards: exploring changes neither ``.grad`` nor ``.data`` of your graph.

    Args:
        root: the output Value.
        max_nodes: refuse (ValueError) a graph with more drawn values, as `draw_dot` does.
        mlp, x, y, cost: the network, the example and the cost ("quadratic" or
            "cross_entropy"), for the closed form; all three of mlp, x, y or none.
        precision: significant digits, as `draw_dot` prints them.
    """
    from .graph import draw_dot

    if not isinstance(root, Value):
        raise TypeError(f"explore: root must be a microgrid Value, got {type(root).__name__}")
    given = [mlp is not None, x is not None, y is not None]
    if any(given) and not all(given):
        raise ValueError("explore: pass mlp=, x= and y= together (the closed form needs all three)")
    if cost not in ("quadratic", "cross_entropy"):
        raise ValueError(f"explore: cost must be 'quadratic' or 'cross_entropy', got {cost!r}")

    def drawn() -> Any:  # draw_dot's checks (max_nodes, precision) in explore's words
        try:
            return draw_dot(root, max_nodes=max_nodes, precision=precision)
        except ValueError as e:
            raise ValueError(str(e).replace("draw_dot", "explore")) from None

    drawn()  # a graph too big is refused before any work is done on it
    nodes = topological(root)
    saved = {v: v.grad for v in reachable(root)}
    try:
        for v in nodes:  # one pass from zero: leaves would otherwise add to earlier passes
            v.grad = 0.0
        root.backward()
        svg_text = drawn().pipe(format="svg")  # drawn now, to print this pass's grads
        grads = {v: v.grad for v in nodes}
    finally:
        for v, g in saved.items():
            v.grad = g
    svg_text = svg_text.decode("utf-8") if isinstance(svg_text, bytes) else svg_text
    return _Builder(root, nodes, grads, precision).build(svg_text, mlp, x, y, cost)


class _Builder:
    """Turns one recorded pass into the page's steps (forward, backward), layers and
    certificates."""

    def __init__(self, root: Value, nodes: list[Value], grads: dict, digits: int) -> None:
        self.root, self.nodes, self.grad, self.digits = root, nodes, grads, digits
        # the values draw_dot draws, numbered as it numbers them (v0, v1, … in this order)
        self.drawn = [v for v in nodes if not (isinstance(v, Const) and v is not root)]
        self.index = {v: i for i, v in enumerate(self.drawn)}
        self.names: dict[Value, str] = {}
        self.atomic: dict[Value, bool] = {}
        self.consumers: dict[Value, list[Value]] = {}
        for v in nodes:
            for p in v.parents:
                self.consumers.setdefault(p, []).append(v)
        zs = [parse_label(v.label) for v in self.drawn]
        self.last_layer = max((p[1] for p in zs if p and p[0] == "z"), default=None)
        self._name_nodes()

    def num(self, x: float) -> str:
        return _num(x, self.digits)

    # ------------------------------------------------------------------ names
    def _name_nodes(self) -> None:
        unnamed = leaves = 0
        for v in self.nodes:
            if v.label:  # kept on one line: w and its scripts never part at a line break
                self.names[v] = f'<span class="nw">{math_html(v.label)}</span>'
                self.atomic[v] = True
            elif isinstance(v, Const):  # a plain number reads as itself
                self.names[v], self.atomic[v] = self.num(v.data), v.data >= 0
            elif not v.parents:  # an unnamed leaf: x_1, x_2, … (hover shows it in the graph)
                leaves += 1
                self.names[v], self.atomic[v] = f"<i>x</i><sub>{leaves}</sub>", True
            elif v is self.root:
                self.names[v], self.atomic[v] = "<i>C</i>", True
            else:
                # an unnamed intermediate reads as what it computes, while that stays short
                text, prec = _write(v.op, self.terms(v))
                if len(re.sub(r"<[^>]*>", "", text)) <= 24:
                    self.names[v], self.atomic[v] = text, prec >= 5
                else:
                    unnamed += 1
                    self.names[v], self.atomic[v] = f"<i>u</i><sub>{unnamed}</sub>", True

    def term(self, v: Value) -> Term:
        return self.names[v], 5 if self.atomic[v] else 1

    def terms(self, v: Value) -> list[Term]:
        """v's operands as terms; a plain number folded into the operation reads as itself."""
        return [self.term(p) if isinstance(p, Value) else (self.num(p), 5 if p >= 0 else 1)
                for p in v.operands]

    def factor(self, x: float) -> str:
        """A number after ×: bracketed when negative, 0.5 × (−0.2)."""
        return _wrap(self.number(x), 2)

    def number(self, x: float) -> Term:
        return self.num(x), 5 if x >= 0 else 1.5

    def d(self, v: Value) -> str:
        """∂C/∂v, with v bracketed when it is an expression."""
        name = self.names[v] if self.atomic[v] else f"({self.names[v]})"
        return f"∂{self.names[self.root]}/∂{name}"

    def mlp_role(self, v: Value) -> tuple[str, int, tuple[int, ...]] | None:
        """(symbol, layer, indices) for an MLP's node, judged by its label *and* its op."""
        parsed = parse_label(v.label)
        if parsed is None:
            return None
        symbol = parsed[0]
        if symbol == "z" and v.op == "·+":
            return parsed
        if symbol == "a" and len(v.parents) == 1 and self._role_is(v.parents[0], "z"):
            return parsed
        if symbol in ("w", "b", "a") and not v.parents:
            return parsed
        return None

    def _role_is(self, v: Value, symbol: str) -> bool:
        role = self.mlp_role(v)
        return role is not None and role[0] == symbol

    # ------------------------------------------------------------------ forward
    def forward_steps(self) -> list[dict]:
        steps = []
        for v in self.drawn:
            if not v.parents:
                continue
            symbolic, _ = _write(v.op, self.terms(v))
            numeric, _ = _write(v.op, [self.number(_data(p)) for p in v.operands])
            name = self.names[v]
            parts = [name] if name != symbolic else []
            parts += [symbolic, numeric, f"<b>{self.num(v.data)}</b>"]
            role = self.mlp_role(v)
            note = ""
            if role and role[0] == "z":
                note = "the weighted input of a neuron, z = Σ w·a + b (docs/backprop.md §2)"
            elif role and role[0] == "a":
                note = "the neuron's activation, a = σ(z) (docs/backprop.md §2)"
            steps.append({
                "phase": "forward", "node": self.index[v],
                "html": " = ".join(parts), "note": note,
                "parents": sorted({self.index[p] for p in v.parents if p in self.index}),
            })
        return steps

    # ------------------------------------------------------------------ backward
    def backward_steps(self) -> list[dict]:
        root, g = self.root, self.grad
        steps = [{
            "phase": "backward", "node": self.index[root], "parent": self.index[root],
            "grad": self.num(g[root]),
            "html": f"{self.d(root)} = <b>1</b>",
            "note": "the seed: backward() starts at the root with ∂C/∂C = 1",
        }]
        todo = {p: sum(1 for c in self.consumers.get(p, []) for q in c.parents if q is p)
                for p in self.drawn}
        acc = {v: 0.0 for v in self.drawn}
        acc[root] = g[root]
        for v in reversed(self.nodes):
            if not v.parents or v not in self.index:
                continue
            if g[v] == 0.0:  # backward() skips it: nothing to pass on
                steps.append({
                    "phase": "backward", "node": self.index[v], "parent": None, "grad": None,
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
                final = todo[p] == 0
                shown = self.num(g[p] if final else acc[p])
                generic = (
                    f"{self.d(p)} += ∂{self._bracket(v)}/∂{self._bracket(p)} × {self.d(v)}"
                    f" = {self.num(local)} × {_wrap(self.number(g[v]), 2)}"
                    f" = {self.num(local * g[v])}"
                )
                if old != 0.0:  # a second path into p: the multivariate chain rule adds
                    generic += f"; {self.num(old)} + {self.factor(local * g[v])}"
                generic += f" → <b>{shown}</b>"
                eq, note = self._in_derivation(v, k, p, local)
                steps.append({
                    "phase": "backward", "node": self.index[v], "parent": self.index[p],
                    "edge": k, "grad": shown, "html": generic, "eq": eq, "note": note,
                })
        self.accumulated = acc
        return steps

    def _bracket(self, v: Value) -> str:
        return self.names[v] if self.atomic[v] else f"({self.names[v]})"

    def _in_derivation(self, v: Value, k: int, p: Value, local: float) -> tuple[str, str]:
        """The step written as BP1–BP4 (docs/backprop.md §5–§7), for an MLP's nodes."""
        role, prole = self.mlp_role(v), self.mlp_role(p)
        if role is None or prole is None:
            return "", ""
        g, num, n = self.grad, self.num, self.names
        if role[0] == "a" and prole[0] == "z":  # δ = ∂C/∂a · σ'(z)
            l, j = role[1], role[2]
            dname = math_html(f"δ^{sup(l)}_{index(*j)}")
            zname = n[p]
            slope = "; σ′(z) = σ(z)(1 − σ(z)) (§8)" if v.op == "σ" else ""
            if role[1] == self.last_layer:
                return (
                    f"{dname} = ∂C/∂{n[v]} · <i>σ</i>′({zname}) = {num(g[v])} × "
                    f"{self.factor(local)} = <b>{num(g[p])}</b>",
                    "BP1: the error at the output layer, δ<sup>L</sup> = ∂C/∂a<sup>L</sup> ⊙ "
                    f"σ′(z<sup>L</sup>) (docs/backprop.md §5){slope}",
                )
            kj = f"<i>k</i>{',' if j[0] > 9 else ''}{j[0]}"  # w^{l+1}_{kj}; k,12 when j > 9
            nxt = f"Σ<sub><i>k</i></sub> <i>w</i><sup>{l + 1}</sup><sub>{kj}</sub>" \
                  f" <i>δ</i><sup>{l + 1}</sup><sub><i>k</i></sub>"
            return (
                f"{dname} = <i>σ</i>′({zname}) {nxt} = {num(local)} × {self.factor(g[v])}"
                f" = <b>{num(g[p])}</b>",
                "BP2: the error of a hidden layer, δ<sup>l</sup><sub>j</sub> = σ′(z<sup>l</sup>"
                "<sub>j</sub>) Σ<sub>k</sub> w<sup>l+1</sup><sub>kj</sub> δ<sup>l+1</sup>"
                f"<sub>k</sub> (docs/backprop.md §6){slope}",
            )
        if role[0] != "z":
            return "", ""
        l, (j,) = role[1], role[2]
        delta = math_html(f"δ^{sup(l)}_{index(*role[2])}")
        nw = (len(v.parents) - 1) // 2
        if prole[0] == "w" and k < nw:
            a = v.parents[nw + k]
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
            w = v.parents[k - nw]
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

    # ------------------------------------------------------------------ layers and certificates
    def layers(self, steps: list[dict], first_backward: int) -> list[dict]:
        """δ^l_j of every z^l_j node, by layer, with the step at which it is complete."""
        done = {}
        for s, step in enumerate(steps):
            if step["phase"] == "backward" and step.get("parent") is not None:
                done[step["parent"]] = s
        by_layer: dict[int, list] = {}
        for v in self.drawn:
            role = self.mlp_role(v)
            if role and role[0] == "z":
                i = self.index[v]
                by_layer.setdefault(role[1], []).append({
                    "node": i, "name": math_html(f"δ^{sup(role[1])}_{index(*role[2])}"),
                    "value": self.grad[v], "text": self.num(self.grad[v]),
                    "step": done.get(i, first_backward),
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
                 "max": self.num(max(abs(d["value"]) for d in by_layer[l]))}
                for l in sorted(by_layer)]

    def certificates(self, mlp: Any, x: Any, y: Any, cost: str) -> dict[str, dict]:
        replay = _Replay(self.nodes)
        where = {id(v): i for i, v in enumerate(self.nodes)}
        closed = self._closed_form(mlp, x, y, cost) if mlp is not None else None
        certs = {}
        for v in self.drawn:
            if v.parents or isinstance(v, Const):
                continue
            rows = [self._engine_row(v)]
            if closed is not None and id(v) in closed[1]:
                rows.append(closed[1][id(v)])
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
                        "value": fd, "text": _num(fd, 10),
                    })
                except (ArithmeticError, ValueError):
                    rows.append({"what": "finite differences", "formula":
                                 "not defined at x ± ε", "value": None, "text": "—"})
            vals = [r["value"] for r in rows if r["value"] is not None]
            spread = max(vals) - min(vals) if len(vals) > 1 else None
            certs[str(self.index[v])] = {
                "title": self.d(v), "rows": rows,
                "spread": None if spread is None else f"{spread:.1e}".replace("-", "−"),
            }
        return certs

    def _engine_row(self, v: Value) -> dict:
        g = self.grad[v]
        role = self.mlp_role(v)
        users = self.consumers.get(v, [])
        formula = "backward(): the sum over every edge out of it"
        if role and role[0] in ("w", "b") and len(users) == 1 and self._role_is(users[0], "z"):
            z = users[0]
            zr = self.mlp_role(z)
            delta = math_html(f"δ^{sup(zr[1])}_{index(*zr[2])}")
            if role[0] == "b":
                formula = f"{delta} = {_num(self.grad[z], 10)} (BP3)"
            else:
                nw = (len(z.parents) - 1) // 2
                a = z.parents[nw + z.parents.index(v)]
                formula = (f"{self.names[a]} · {delta} = {_num(a.data, 10)} × "
                           f"{_factor(self.grad[z], 10)} (BP4)")
        return {"what": "engine (backward)", "formula": formula, "value": g, "text": _num(g, 10)}

    def _closed_form(self, mlp: Any, x: Any, y: Any, cost: str) -> tuple[Any, dict]:
        from .backprop import backprop

        y = [y] if isinstance(y, (int, float)) else list(y)
        r = backprop(mlp.weights(), mlp.biases(), list(x), y, activation=mlp.activation,
                     cost=cost, output_activation=mlp.output_activation)
        if not math.isclose(r.cost, self.root.data, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(
                f"explore: the closed form's cost C = {r.cost:.10g} (mlp, x, y, cost={cost!r}) "
                f"is not the root's value {self.root.data:.10g}; pass the network, the example "
                "and the cost that the graph computes"
            )
        rows = {}
        for i, layer in enumerate(mlp.layers):
            l = i + 2
            for j, neuron in enumerate(layer.neurons):
                delta = f"<i>δ</i><sup>{l}</sup><sub>{j + 1}</sub>"
                rows[id(neuron.b)] = {
                    "what": "closed form (BP3)", "formula": f"{delta} = {_num(r.delta[i][j], 10)}",
                    "value": r.grad_b[i][j], "text": _num(r.grad_b[i][j], 10)}
                for k, w in enumerate(neuron.w):
                    a = f"<i>a</i><sup>{l - 1}</sup><sub>{k + 1}</sub>"
                    rows[id(w)] = {
                        "what": "closed form (BP4)",
                        "formula": f"{a} · {delta} = {_num(r.a[i][k], 10)} × "
                                   f"{_factor(r.delta[i][j], 10)}",
                        "value": r.grad_w[i][j][k], "text": _num(r.grad_w[i][j][k], 10)}
        return r, rows

    # ------------------------------------------------------------------ the page's data
    def build(self, svg_text: str, mlp: Any, x: Any, y: Any, cost: str) -> Explorer:
        forward = self.forward_steps()
        backward = self.backward_steps()
        start = {"phase": "start", "node": None, "html": "Start: the leaves hold their data",
                 "note": "→ computes the values one by one (the forward pass); then the "
                         "backward pass sends ∂C/∂(each node) back along every edge"}
        steps = [start, *forward, *backward]
        first_backward = 1 + len(forward)
        svg, natural_width = _annotate_svg(svg_text, self)
        page = {
            "steps": steps,
            "firstBackward": first_backward,
            "root": self.index[self.root],
            "nodes": [{
                "name": self.names[v], "plain": _plain_label(v.label) or html.unescape(
                    re.sub(r"<[^>]*>", "", self.names[v])),
                "data": self.num(v.data), "grad": self.num(self.grad[v]),
                "leaf": not v.parents,
                "computedAt": 0 if not v.parents else None,
            } for v in self.drawn],
            "layers": self.layers(steps, first_backward),
            "certificates": self.certificates(mlp, x, y, cost),
            "width": natural_width,
        }
        for s, step in enumerate(forward, 1):
            page["nodes"][step["node"]]["computedAt"] = s
        label = self.root.label or "the root"
        return Explorer(page, svg, f"{label}: {len(self.drawn)} values")


_SUPERSCRIPTS = str.maketrans("0123456789,", "⁰¹²³⁴⁵⁶⁷⁸⁹˒")
_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉‚")


def _plain_label(label: str) -> str:
    """A label as plain text for a drop-down list: "w^3_{12}" → "w³₁₂" (others unchanged)."""
    parsed = parse_label(label)
    if parsed is None:
        return label
    symbol, layer, indices = parsed
    sub = index(*indices).strip("{}")
    return symbol + str(layer).translate(_SUPERSCRIPTS) + sub.translate(_SUBSCRIPTS)



# ============================================================================ the SVG
def _annotate_svg(svg_text: str, b: _Builder) -> tuple[str, float]:
    """draw_dot's SVG with hooks for the player: each value's group gets data-node; its
    data and grad texts get the classes mg-data and mg-grad; each edge data-from/data-to.

    draw_dot names its values v0, v1, … in topological order, and Graphviz writes that name
    as each group's <title>: that is how a group is matched to its node.
    """
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)  # written back as plain <svg>, <g>, … (no ns0: prefix)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg_text)
    width = root.get("width", "0pt")
    natural = float(re.sub(r"[a-z]+$", "", width) or 0)  # 1 pt drawn as 1 px: 14 px text
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
            title.text = re.sub(r"<[^>]*>", "", b.names[b.drawn[i]])  # the hover text
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
    return ET.tostring(root, encoding="unicode"), natural


def _mark_texts(g: Any, v: Value, b: _Builder) -> None:
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
    texts[gi].set("class", "mg-grad")
    texts[gi].set("data-prefix", text[: len(text) - len(grad)])
    for t in reversed(texts[:gi]):
        if (t.text or "").strip() == data and float(t.get("y", "0")) < gy - 8:
            t.set("class", "mg-data")
            return


# ============================================================================ the page
def _asset(name: str) -> str:
    from importlib import resources

    return resources.files("microgrid").joinpath(name).read_text(encoding="utf-8")


def _page(data: dict, svg: str, title: str) -> str:
    import json

    blob = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>microgrid explorer · {html.escape(title)}</title>
<style>{_asset("explore_page.css")}</style>
</head><body>
<header>
  <b>microgrid explorer</b> <span class="what">{html.escape(title)}</span>
  <span class="controls">
    <button id="home" title="first step (Home)">« Home</button>
    <button id="prev" title="one step back (←)">◀</button>
    <span id="counter">0 / 0</span>
    <button id="next" title="one step on (→)">▶</button>
    <button id="end" title="last step (End)">End »</button>
    <button id="zoom" title="fit the graph to the panel or show it at full size">1:1</button>
  </span>
  <span id="phase"></span>
</header>
<main>
  <section id="graph">{svg}</section>
  <aside id="side">
    <div id="now"><div id="now-html"></div><div id="now-eq"></div><div id="now-note"></div></div>
    <ol id="steps" start="0"></ol>
  </aside>
</main>
<div id="below">
  <section id="layers"><h2>δ<sup>l</sup><sub>j</sub> = ∂C/∂z<sup>l</sup><sub>j</sub>, layer by
    layer <small>(log scale: each bar is |δ| relative to the largest)</small></h2>
    <div id="layer-list"></div></section>
  <section id="certificate"><h2>Certificate of a gradient <small>(click a weight or any leaf
    in the graph)</small></h2>
    <select id="cert-pick"><option value="">choose a leaf…</option></select>
    <div id="cert-body"></div></section>
</div>
<footer>Keys: → / ← one step, Home / End the first / last step (in a notebook, click the
page first so that it gets the keys). Forward: each value from its
parents (docs/backprop.md §2). Backward: ∂C/∂parent += ∂node/∂parent × ∂C/∂node on every edge
(§4); for a network, BP1 (§5), BP2 (§6), BP3 and BP4 (§7).</footer>
<script type="application/json" id="mg-data">{blob}</script>
<script>{_asset("explore_player.js")}</script>
</body></html>
"""
