"""`compile(root)`: a built graph turned into straight-line Python for its two passes.

The engine interprets a graph: every step builds thousands of nodes, sorts them and walks
them.  When the *shape* of the graph is the same every step (the same network on the same
batch size), that work can be done once.  ``step = compile(loss)`` writes one line of Python
per node for the forward pass and one per node for the backward pass (the chain rule of
docs/backprop.md §4, in the order ``backward()`` applies it), compiles that text once, and
``step()`` then replays it on the leaves' current ``.data``:

    step = microgrid.compile(loss)
    for _ in range(100):
        model.zero_grad()
        step()                       # forward + backward on the current weights
        for p in model.parameters():
            p.data -= 0.1 * p.grad

What it cannot do: Python control flow in the code that *built* the graph is not re-run (like
``torch.jit.trace``): an ``if`` on a value, a loop whose length depends on the data, or a new
batch size needs a new graph and a new ``compile``.  Branches inside one operation (relu, abs,
the two formulas of σ) are re-evaluated on every call.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable

from .engine import Const, Value, apply, interior_order, topological
from .notation import parse_label

__all__ = ["compile", "CompiledStep", "MAX_NODES"]

#: The largest graph `compile` accepts (W1's has ≈ 7,900 nodes).  The generated function has
#: one to two lines per node, and CPython takes ≈ 3–10 s and ≈ 300–800 MB to compile a
#: function of 100,000 nodes; `compile` refuses a bigger graph than this at once (before
#: generating anything), and ``backward()`` remains the way for it.
MAX_NODES = 50_000

# A sum with more terms than this is split over several statements: CPython's compiler
# recurses once per `+` of an expression, and a 10⁵-term sum would overflow its stack.
_TERMS_PER_LINE = 64
_WIDTH = 95  # + 4 of indentation inside `def step`

# builtin sum() of floats adds left to right up to 3.11; from 3.12 it compensates rounding.
# The generated code must add exactly as the engine's Σ and dot nodes do.
_INLINE_SUM = sys.version_info < (3, 12)


# ------------------------------------------------------------------ helpers the code calls
def σ(z: float) -> float:
    """σ(z) with the engine's two overflow-safe branches (the same bits as `Value.sigmoid`)."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """ln(1 + eˣ) with the engine's two branches (the same bits as `Value.softplus`)."""
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


def power(x: float, y: float) -> float:
    """x ** y with a Value exponent, which the engine defines for x > 0 only.  Any other base
    raises, so the step falls back to the interpreter and raises the engine's own error (Python
    would return 0.0, 1.0 or a complex number without a word)."""
    if x > 0.0:
        return x**y
    raise ValueError(f"power: {x!r} ** {y!r} needs a base > 0")


def fractional_power(x: float, n: float) -> float:
    """x ** n for a number n that is not whole: the engine defines it for x > 0, and for x = 0
    when n > 1 (elsewhere the derivative n·x^(n−1) is infinite); the rest raises, as in
    `power`."""
    if x > 0.0 or (x == 0.0 and n > 1.0):
        return x**n
    raise ValueError(f"power: {x!r} ** {n!r} is not defined here")


def sqrt(x: float) -> float:
    """√x for x > 0, where the engine defines it (at 0 its derivative is infinite); 0 and
    below raise, as in `power` (math.sqrt would return 0.0 for 0 without a word)."""
    if x > 0.0:
        return math.sqrt(x)
    raise ValueError(f"sqrt: {x!r} is not > 0")


_GLOBALS = {
    "power": power,
    "fractional_power": fractional_power,
    "exp": math.exp,
    "log": math.log,
    "sqrt": sqrt,
    "tanh": math.tanh,
    "isfinite": math.isfinite,
    "σ": σ,
    "softplus": softplus,
}
_RESERVED = {
    *_GLOBALS, "step", "leaves", "leaf", "grads", "g", "kept", "node", "v", "sum", "abs", "zip",
}


# ------------------------------------------------------------------ the ops
# Each op: (forward expression, local-gradient expressions).  In the templates, {0}, {1}, …
# are the parents' names, {out} the node's own value and {g} its gradient ∂C/∂node; one
# template per parent gives that parent's contribution local · g, written exactly as the
# engine computes it (same operations, same order), so a replay has the interpreter's bits.
_UNARY = {
    "neg": ("-{0}", "-{g}"),
    "exp": ("exp({0})", "{out} * {g}"),
    "log": ("log({0})", "(1.0 / {0}) * {g}"),
    "sqrt": ("sqrt({0})", "(0.5 / {out}) * {g}"),
    "tanh": ("tanh({0})", "(1.0 - {out} * {out}) * {g}"),
    "σ": ("σ({0})", "({out} * (1.0 - {out})) * {g}"),
    "softplus": ("softplus({0})", "σ({0}) * {g}"),
    # The branches are re-evaluated on every call; relu'(0) = 0 as in the engine.
    "ReLU": ("{0} if {0} > 0.0 else 0.0", "(1.0 if {0} > 0.0 else 0.0) * {g}"),
    "abs": ("abs({0})", "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0) * {g}"),
}
_BINARY = {
    "+": ("{0} + {1}", "{g}", "{g}"),
    "-": ("{0} - {1}", "{g}", "-{g}"),
    "*": ("{0} * {1}", "{1} * {g}", "{0} * {g}"),
    "/": ("{0} / {1}", "(1.0 / {1}) * {g}", "(-{out} / {1}) * {g}"),
    "**": ("power({0}, {1})", "({1} * {out} / {0}) * {g}", "({out} * log({0})) * {g}"),
}
_NARY = ("Σ", "·", "·+")
_POW_N = re.compile(r"^\*\*(.+)$")

#: every op `compile` knows (the engine's ops); "**n" stands for "**2", "**-1", "**0.5", …
OPS = (*_BINARY, *_UNARY, "**n", *_NARY)


def _exponent(node: Value) -> float:
    """n of a ``x ** n`` node, from its op text ("**2") checked against the node's numbers.

    The engine writes n so that it reads back exactly ("**2", "**0.3333333333333333"); n is
    still accepted only if it reproduces the node's value and local gradient, so an op text
    edited by hand, or a base changed since the graph was built, is refused, never guessed."""
    text = node.op[2:]
    try:
        n = float(text)
    except ValueError:
        raise ValueError(f"compile(): cannot read the exponent of op {node.op!r}") from None
    x = node.parents[0].data
    try:
        out = x**n
        local = n * x ** (n - 1.0) if n != 0.0 else 0.0
    except (ArithmeticError, ValueError):
        out = local = math.nan
    if out != node.data or local != node.local_grads[0]:
        raise ValueError(
            f"compile(): the node {node.op!r} (x = {x!r}) does not match x ** {n!r}: its op text "
            "or its base was changed after the graph was built"
        )
    return n


# ------------------------------------------------------------------ names
@functools.lru_cache(maxsize=4096)
def _parsed(label: str) -> tuple[str, int, tuple[int, ...]] | None:
    return parse_label(label) if label else None


def _base_name(node: Value, fallback: str) -> str:
    return _label_name(node.label, fallback)


@functools.lru_cache(maxsize=4096)
def _label_name(label: str, fallback: str) -> str:
    """A Python identifier from a label: w^2_{13} → w2_13, z^3_1 → z3_1."""
    parsed = _parsed(label)
    if parsed is not None:
        symbol, layer, idx = parsed
        sep = "" if all(i < 10 for i in idx) else "_"
        name = f"{symbol}{layer}_{sep.join(map(str, idx))}"
    else:
        name = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", label)).strip("_")
    name = unicodedata.normalize("NFKC", name)
    if not name or not name.isidentifier():
        name = f"v_{name}" if name and f"v_{name}".isidentifier() else fallback
    if keyword.iskeyword(name) or name in _RESERVED:
        name += "_"
    return name


_OP_NAMES = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "neg": "neg", "**": "pow", "exp": "exp",
    "log": "log", "sqrt": "sqrt", "tanh": "tanh", "σ": "sig", "softplus": "softplus",
    "ReLU": "relu", "abs": "abs", "Σ": "sum", "·": "dot", "·+": "dot",
}


class _Names:
    """Unique identifiers: the first z^2_1 is ``z2_1``, the next ones ``z2_1__2``, …"""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)
        self.count: dict[str, int] = {}

    def new(self, base: str, numbered: bool = False) -> str:
        """``base``, then ``base__2``, …; or ``base1``, ``base2``, … if ``numbered``."""
        k = self.count.get(base, 0)
        while True:
            k += 1
            if numbered:
                name = f"{base}{k}"
            else:
                name = base if k == 1 else f"{base}__{k}"
            if name not in self.used:
                self.count[base] = k
                self.used.add(name)
                return name


def _literal(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _assign(target: str, terms: list[str], comment: str = "", inline: bool = True) -> list[str]:
    """``target = t1 + t2 + …`` (left to right, as the engine adds), wrapped for reading and
    split into several statements when long.  ``inline=False`` (a Σ or dot node on Python ≥
    3.12) calls builtin sum() instead, as the engine does."""
    out: list[str] = []
    for i in range(0, len(terms), _TERMS_PER_LINE):
        chunk = terms[i : i + _TERMS_PER_LINE]
        if i:
            chunk = [target, *chunk]  # target = target + … keeps the left-to-right order
        if inline or len(chunk) == 1:
            out += _wrap(f"{target} = ", chunk, " + ", "(", ")")
        else:
            out += _wrap(f"{target} = ", chunk, ", ", "sum((", ",))")
    if comment:
        if len(out) == 1:
            out[0] += f"  # {comment}"
        else:
            out.insert(0, f"# {comment}")
    return out


def _wrap(head: str, terms: list[str], sep: str, opening: str, closing: str) -> list[str]:
    """``head`` + the terms joined by ``sep``, broken over lines inside brackets when the
    statement is wider than the page (or always bracketed if ``opening`` is a call)."""
    one = head + sep.join(terms)
    if len(one) <= _WIDTH and (opening, closing) == ("(", ")"):
        return [one]
    lines, line = [], head + opening + terms[0]
    indent = " " * (len(head) + len(opening))
    glue, lead = (sep, "") if sep != " + " else (" + ", "+ ")
    for k, t in enumerate(terms[1:], 2):
        tail = len(closing) if k == len(terms) else 0
        if len(line) + len(glue) + len(t) + tail > _WIDTH:
            lines.append(line + glue.rstrip() if not lead else line)
            line = indent + lead + t
        else:
            line += glue + t
    lines.append(line + closing)
    return lines


# ------------------------------------------------------------------ the compiled step
class CompiledStep:
    """The forward and backward pass of one graph as straight-line Python (see `compile`).

    ``step()`` reads every leaf's current ``.data``, recomputes the graph, adds ∂root/∂leaf to
    each leaf's ``.grad`` (leaves accumulate, as with ``backward()``) and returns the root's
    value.  Plain numbers in the expression (folded into their operations, see
    ``Value.operands``, or ``Const`` leaves) are baked into the code and get no gradient.
    Interior nodes are *not* updated: their ``.data``, ``.grad`` and ``.local_grads`` keep the
    numbers of the pass that built them until ``sync()``.

    Attributes:
        source: the generated Python, for reading (one line per node).
        leaves: the leaves ``step()`` reads and writes, in the order of its first line.
        root: the node that was compiled.
    """

    __slots__ = (
        "source", "leaves", "root", "keep", "_fn", "_order", "_pow", "_lines", "__weakref__"
    )

    def __init__(self, root: Value, order: list[Value], leaves: list[Value], source: str,
                 pow_n: dict[Value, float], lines: dict[Value, tuple[int, str]],
                 keep: tuple[Value, ...]) -> None:
        self.root, self._order, self.leaves, self.source = root, order, tuple(leaves), source
        self._pow, self._lines, self.keep = pow_n, lines, keep
        namespace = dict(_GLOBALS)
        exec(builtins.compile(source, "<microgrid.compile>", "exec"), namespace)  # noqa: S102
        self._fn: Callable[..., float] = namespace["step"]

    def __call__(self) -> float:
        try:
            return self._fn(self.leaves, self.keep)
        except (ArithmeticError, ValueError, TypeError):
            # A domain error, an overflow or a non-finite number: let the interpreter itself
            # redo this step, so the replay raises (or returns) exactly what it would.
            return self._interpret(accumulate=True)

    def sync(self) -> float:
        """Write the current pass into the graph: every interior node's ``.data``,
        ``.local_grads`` and ``.grad`` (δ for a z node), as ``backward()`` would leave them,
        for drawing or inspecting.  Leaves' ``.grad`` are not touched.  Returns the root's
        value."""
        return self._interpret(accumulate=False)

    def _interpret(self, accumulate: bool) -> float:
        """The step by the engine: a fresh copy of the graph on the leaves' current data,
        then ``backward()``.  Slow, and exactly the interpreter."""
        copy: dict[Value, Value] = {}
        for node in self._order:
            if not node.parents:
                if type(node) is Const:
                    new: Value = Const(node.data)
                else:
                    new = Value(0.0, node.label)
                    new.data = node.data  # as is, even a NaN the user put there
            else:
                try:
                    operands = [copy[p] if isinstance(p, Value) else p for p in node.operands]
                    new = apply(node.op, operands)
                except Exception as e:
                    line, name = self._lines.get(node, (0, "?"))
                    e.add_note(
                        f"compiled step: at node {name} (op {node.op!r}, line {line} of "
                        "step.source)"
                    )
                    raise
                new.label = node.label
            copy[node] = new
        top = copy[self.root]
        top.backward()
        for node in self.keep:
            node.data = copy[node].data
        for node in self._order:
            new = copy[node]
            if not node.parents:
                if accumulate and (type(node) is not Const or node is self.root):
                    node.grad += new.grad
            elif not accumulate:
                node.data, node.grad, node.local_grads = new.data, new.grad, new.local_grads
        return top.data

    def __repr__(self) -> str:
        n = len(self._order)
        return f"<compiled step of {self.root!r}: {n:,} nodes, {len(self.leaves):,} leaves>"


def _reading_order(leaves: list[Value]) -> Callable[[Value], tuple]:
    """Sort key for the leaves: inputs a^1 first, then layer by layer w before b, by index;
    leaves without such a label after them, in the order the graph meets them."""
    position = {leaf: k for k, leaf in enumerate(leaves)}
    rank = {"a": 0, "x": 0, "w": 1, "b": 2}

    def key(leaf: Value) -> tuple:
        parsed = _parsed(leaf.label)
        if parsed and parsed[0] in rank:
            symbol, layer, idx = parsed
            return (0, layer, rank[symbol], idx, position[leaf])
        return (1, 0, 0, (), position[leaf])

    return key


def _count_nodes(root: Value, limit: int) -> int:
    """Nodes in the graph, or limit + 1 as soon as there are more (a quick refusal)."""
    seen, stack = {root}, [root]
    while stack:
        for p in stack.pop().parents:
            if p not in seen:
                seen.add(p)
                if len(seen) > limit:
                    return limit + 1
                stack.append(p)
    return len(seen)


def compile(  # noqa: A001
    root: Value, *, keep: Iterable[Value] = (), max_nodes: int = MAX_NODES
) -> CompiledStep:
    """Compile the graph that produced ``root`` into a replayable step.

    ``step = compile(loss)``; then ``step()`` recomputes every node from the leaves' current
    ``.data`` (parameters and inputs alike), runs the backward pass, adds ∂root/∂leaf to each
    leaf's ``.grad`` and returns the root's value as a float — the same numbers, bit for bit,
    as rebuilding the graph and calling ``backward()`` (gradients into a zeroed leaf).

    The graph's structure is frozen now: Python control flow in the code that built it is not
    re-run.  Plain numbers (and ``Const`` leaves) are constants.  Interior nodes keep their
    old ``.data``/``.grad`` (call ``step.sync()`` to write the current pass into them).  A
    domain error during a step (log of x ≤ 0, division by zero, overflow…) raises what the
    interpreter raises.

    ``keep``: nodes of the graph whose ``.data`` every step also writes (e.g. the network's
    outputs, to count correct predictions without a second forward pass).

    Raises ValueError for a graph of more than ``max_nodes`` nodes, an op the compiler does
    not know or a ``keep`` node outside the graph; TypeError if ``root`` is not a Value.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"compile(): expected a Value (the root of a graph), got {type(root).__name__}"
        )
    n = _count_nodes(root, max_nodes)
    if n > max_nodes:
        raise ValueError(
            f"compile(): the graph has more than {max_nodes:,} nodes; one generated function "
            "that large takes too long and too much memory to compile.  Use root.backward() "
            "for it (or pass a larger max_nodes= if you can wait)."
        )
    return _Generator(root, tuple(keep)).build()


class _Generator:
    def __init__(self, root: Value, keep: tuple[Value, ...]) -> None:
        self.root, self.keep = root, keep
        self.order = topological(root)
        self.names = _Names()
        self.value: dict[Value, str] = {}  # node → its value as code: a name or a literal
        self.grad: dict[Value, str] = {}  # node → the name of ∂C/∂node
        self.pow_n: dict[Value, float] = {}
        self.lines: dict[Value, tuple[int, str]] = {}
        self.layers: dict[Value, tuple[str, int]] = {}  # labeled z/a/w/b → (symbol, layer)

    def build(self) -> CompiledStep:
        root, order = self.root, self.order
        # Check every op first: an unknown one is an error now, not at the first step.
        for node in order:
            if node.parents:
                op = node.op
                if op not in _BINARY and op not in _UNARY and op not in _NARY:
                    if not _POW_N.match(op):
                        raise ValueError(
                            f"compile(): unknown op {op!r} (node {node!r}); known ops: "
                            f"{', '.join(OPS)}"
                        )
                    self.pow_n[node] = _exponent(node)
                elif op in _BINARY and len(node.operands) != 2 or (
                    op in _UNARY and len(node.operands) != 1
                ):
                    raise ValueError(f"compile(): op {op!r} with {len(node.operands)} operands")
        # Names: leaves, then interior nodes, in topological order.
        leaves = [n for n in order if not n.parents and (type(n) is not Const or n is root)]
        leaves.sort(key=_reading_order(leaves))
        root_name = _base_name(root, "C") if root.label else "C"
        for node in order:
            if not node.parents and type(node) is Const and node is not root:
                self.value[node] = _literal(node.data)
            elif node is root:
                self.value[node] = self.names.new(root_name)
            else:
                fallback = "x" if not node.parents else _OP_NAMES.get(node.op, "pow")
                base = _base_name(node, fallback) if node.label else fallback
                self.value[node] = self.names.new(base, numbered=not node.label)
            parsed = _parsed(node.label)
            if parsed and parsed[0] in "zawb":
                self.layers[node] = (parsed[0], parsed[1])
        self.C = self.value[root]
        for node in self.keep:
            if node not in self.value:
                raise ValueError(f"compile(): keep= holds {node!r}, which is not in the graph")
        needs = self._needs_grad(order)
        for node in order:
            if needs.get(node) and node not in self.grad:
                v = self.value[node]
                sym = self.layers.get(node, ("",))[0]
                if sym == "z" and node.parents:
                    name = self.names.new("δ" + v[1:])
                else:
                    name = self.names.new(f"d{self.C}_d{v}")
                self.grad[node] = name

        code = self._header(leaves)
        code.append("    # forward pass: one line per node (docs/backprop.md §2)")
        for node in order:
            if node.parents:
                self.lines[node] = (len(code) + 1, self.value[node])
                code += ["    " + s for s in self._forward_line(node)]
        code.append(f"    if not isfinite({self.C}):")
        code.append(f"        raise ValueError('the root {self.C} is not finite')")
        code += ["    " + s for s in self._backward(needs, leaves)]
        source = "\n".join(code) + "\n"
        return CompiledStep(root, order, leaves, source, self.pow_n, self.lines, self.keep)

    def _needs_grad(self, order: list[Value]) -> dict[Value, bool]:
        """A node needs a gradient if a leaf that gets one lies beneath it (Consts don't)."""
        needs: dict[Value, bool] = {}
        for node in order:
            if not node.parents:
                needs[node] = type(node) is not Const or node is self.root
            else:
                needs[node] = any(needs[p] for p in node.parents)
        return needs

    def _header(self, leaves: list[Value]) -> list[str]:
        C = self.C
        code = [
            f"# The forward and backward pass of {C} ({len(self.order):,} nodes), compiled by",
            "# microgrid.compile.  Names come from the nodes' labels: z2_1 is z^2_1,",
            f"# δ2_1 = ∂{C}/∂z^2_1, d{C}_dw2_11 = ∂{C}/∂w^2_{{11}}; a label met again gets a",
            "# suffix (z2_1__2).  In an MLP the backward lines instance the equations of",
            "# docs/backprop.md: BP1 δ^L at the output (§5), BP2 δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙",
            "# σ'(z^l) (§6), BP3 ∂C/∂b^l_j = δ^l_j and BP4 ∂C/∂w^l_jk = a^{l-1}_k δ^l_j (§7),",
            "# each summed over the examples in the graph.",
            "def step(leaves, kept):",
        ]
        if leaves:
            names = [self.value[n] for n in leaves]
            comma = "," if len(names) == 1 else ""
            unpack = _wrap("", names, ", ", "(", comma + ") = [leaf.data for leaf in leaves]")
            code += ["    " + s for s in unpack]
        return code

    def _operands(self, node: Value) -> list[str]:
        """node's operands as code: names, and a plain number folded into the operation
        (``Value.operands``) as a literal, baked into the code like a constant leaf."""
        return [self.value[p] if isinstance(p, Value) else _literal(p) for p in node.operands]

    def _forward_line(self, node: Value) -> list[str]:
        op, ps = node.op, self._operands(node)
        name = self.value[node]
        comment = node.label if node.label and node.label != name else ""
        if op in _BINARY:
            expr = _BINARY[op][0].format(*ps)
        elif op in _UNARY:
            expr = _UNARY[op][0].format(*ps)
        elif op == "Σ":
            return _assign(name, ps, comment, inline=_INLINE_SUM)
        elif op in ("·", "·+"):
            n = len(ps) // 2
            terms = [f"{w} * {x}" for w, x in zip(ps[:n], ps[n : 2 * n], strict=True)]
            if op == "·+":
                terms.append(ps[-1])
            return _assign(name, terms, comment, inline=_INLINE_SUM)
        else:
            n = self.pow_n[node]
            if n.is_integer():  # real for every base (0 ** -1 raises ZeroDivisionError itself)
                expr = f"{ps[0]} ** {_literal(n)}"
            else:
                expr = f"fractional_power({ps[0]}, {_literal(n)})"
        line = f"{name} = {expr}"
        return [f"{line}  # {comment}" if comment else line]

    def _contributions(self, node: Value, needs: dict[Value, bool]) -> list[tuple[Value, str]]:
        """(parent, local · g as code) for each parent of ``node`` that needs a gradient."""
        op, ps, g = node.op, self._operands(node), self.grad[node]
        out_v = self.value[node]
        if op in _BINARY:
            templates = _BINARY[op][1:]
        elif op in _UNARY:
            templates = _UNARY[op][1:]
        elif op == "Σ":
            templates = ("{g}",) * len(ps)
        elif op in ("·", "·+"):
            n = len(ps) // 2
            xs, ws = ps[n : 2 * n], ps[:n]
            # ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1 (BP4 and BP3 are these, summed)
            exprs = [f"{x} * {g}" for x in xs] + [f"{w} * {g}" for w in ws]
            if op == "·+":
                exprs.append(g)
            return [(p, e) for p, e in zip(node.parents, exprs, strict=True) if needs[p]]
        else:
            n = self.pow_n[node]
            local = f"{_literal(n)} * {ps[0]} ** {_literal(n - 1.0)}" if n != 0.0 else "0.0"
            templates = (f"({local}) * {{g}}",)
        return [
            (p, t.format(*ps, out=out_v, g=g))
            for p, t in zip(node.operands, templates, strict=True)
            if isinstance(p, Value) and needs[p]  # a folded number gets no gradient
        ]

    def _backward(self, needs: dict[Value, bool], leaves: list[Value]) -> list[str]:
        C, root = self.C, self.root
        code = [
            f"# backward pass: the chain rule from {C} down, in the order backward() applies it",
            "# (docs/backprop.md §4); each ∂/∂node is the sum over the nodes it feeds",
        ]
        incoming: dict[Value, list[str]] = {}
        zs = [layer for node, (sym, layer) in self.layers.items() if sym == "z" and node.parents]
        last = max(zs) if zs else None
        if needs[root]:
            code.append(f"{self.grad[root]} = 1.0")
        for node in reversed(interior_order(root)):  # Value.backward's order
            if not needs[node]:
                continue
            if node is not root:
                lines = _assign(self.grad[node], incoming.pop(node), self._mark(node, last))
                if node.op == "ReLU":
                    lines = self._dead_relu(node, lines)
                code += lines
            for p, term in self._contributions(node, needs):
                incoming.setdefault(p, []).append(term)
        grads = []
        for leaf in leaves:
            if leaf is root:
                grads.append(self.grad[leaf])
                continue
            grads.append(self.grad[leaf])
            code += _assign(self.grad[leaf], incoming.pop(leaf), self._mark(leaf, last))
        if grads:
            code += _wrap("grads = ", grads, ", ", "(", ",)" if len(grads) == 1 else ")")
            code += [
                "# every gradient finite, or the interpreter redoes this step (and raises)",
                f"if not isfinite({C} + sum(grads)):",
                f"    raise ValueError('a gradient of {C} is not finite')",
                "for leaf, g in zip(leaves, grads):",
                "    leaf.grad += g",
            ]
        if self.keep:
            kept = [self.value[n] for n in self.keep]
            code += _wrap("for node, v in zip(kept, ", kept, ", ", "(", ",)):" if len(kept) == 1
                          else ")):")
            code.append("    node.data = v")
        code.append(f"return {C}")
        return code

    def _dead_relu(self, node: Value, lines: list[str]) -> list[str]:
        """∂C/∂a of a = relu(z) is needed only when z > 0: a dead ReLU passes 0·(∂C/∂a) = 0
        back to z whatever ∂C/∂a is, so its sum is skipped (often half a hidden layer's
        BP2 work)."""
        z, g = self.value[node.parents[0]], self.grad[node]
        body = [s for s in lines if not s.startswith("#")]
        if len(body) == 1:
            comment = ""
            if "  # " in body[0]:
                body[0], comment = body[0].split("  # ", 1)
                comment = "  # " + comment
            return [f"{body[0]} if {z} > 0.0 else 0.0{comment}"]
        return [
            *[s for s in lines if s.startswith("#")],
            f"{g} = 0.0  # a dead ReLU (z ≤ 0) passes nothing back",
            f"if {z} > 0.0:",
            *["    " + s for s in body],
        ]

    def _mark(self, node: Value, last: int | None) -> str:
        """The equation a line instances, for the nodes of an MLP."""
        sym, layer = self.layers.get(node, ("", 0))
        if sym == "z" and node.parents:
            return "BP1" if layer == last else "BP2"
        if sym == "a" and node.parents and last is not None:
            return "BP1: ∇_a C" if layer == last else "BP2: (w^{l+1})ᵀ δ^{l+1}"
        if sym == "b" and not node.parents:
            return "BP3"
        if sym == "w" and not node.parents:
            return "BP4"
        return ""
