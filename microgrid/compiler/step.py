"""`compile(root)`: a built graph turned into Python for its two passes.

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

Every line comes from the op table (`microgrid.ops`): the entry's forward pass and derivative
rule, traced into code (`microgrid.compiler.tracing`) or, where they are not plain
arithmetic, called —
so a replay computes what the interpreter computes, and raises what it raises, by
construction.  Where the graph repeats — a loss summed over examples, L(θ) = Σ_n C^n(θ)
(docs/backprop.md §3) — one example's code is written once and run over the examples
(`microgrid.compiler.repeats`), in the order the interpreter adds their gradients.

What it cannot do: Python control flow in the code that *built* the graph is not re-run (like
``torch.jit.trace``): an ``if`` on a value, a loop whose length depends on the data, or a new
batch size needs a new graph and a new ``compile``.  Branches inside one operation (relu, abs,
the two formulas of σ) are re-evaluated on every call.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Iterable

from .. import engine, ops
from ..engine import Const, Value, topological
from ..replay import replay
from .codegen import Functions, OpCode
from .generator import Generator
from .repeats import find
from .view import View

__all__ = ["compile", "CompiledStep", "MAX_NODES", "MAX_STRAIGHT"]

#: The largest graph `compile` accepts (W1's has ≈ 7,900 nodes); a bigger one is refused at
#: once, before anything is generated, and ``backward()`` remains the way for it.
MAX_NODES = 1_000_000
#: The most nodes written out one by one (the rest run in loops over repeated copies).  CPython
#: takes ≈ 3–10 s and ≈ 300–800 MB to compile a function of 100,000 lines.
MAX_STRAIGHT = 50_000

_FILE = "<microgrid.compile>"


class Redo(Exception):
    """Raised by a step whose gradients are not all finite: the interpreter redoes the step
    (it passes nothing on from a node whose gradient is 0, so a 0 · ∞ there is not its NaN)."""


def _root_error(value: float) -> None:
    engine.check_root(engine.leaf(value), "backward()")  # the interpreter's own error


# ------------------------------------------------------------------ the compiled step
class CompiledStep:
    """The forward and backward pass of one graph as Python (see `compile`).

    ``step()`` reads every leaf's current ``.data``, recomputes the graph, adds ∂root/∂leaf to
    each leaf's ``.grad`` (leaves accumulate, as with ``backward()``) and returns the root's
    value.  Plain numbers in the expression (folded into their operations, see
    ``Value.operands``, or ``Const`` leaves) are baked into the code and get no gradient.
    Interior nodes are *not* updated: their ``.data``, ``.grad`` and ``.local_grads`` keep the
    numbers of the pass that built them until ``sync()``.

    Attributes:
        source: the generated Python, for reading.
        leaves: the leaves ``step()`` reads and writes.
        root: the node that was compiled.
    """

    __slots__ = ("source", "leaves", "root", "keep", "_fn", "_order", "_lines", "_node_lines",
                 "_args", "__weakref__")

    def __init__(self, root: Value, order: list[Value], keep: tuple[Value, ...],
                 max_straight: int) -> None:
        fns = Functions()
        keep_set = set(keep)
        if not keep_set <= set(order):
            outside = next(n for n in keep if n not in set(order))
            raise ValueError(f"compile(): keep= holds {outside!r}, which is not in the graph")
        view = View(order, keep_set)  # a chain of + from Python's sum() read as one Σ
        codes: dict[Value, OpCode] = {}
        by_key: dict[tuple[str, int], OpCode] = {}
        for node in view.order:  # every op first: an unknown one is an error now, not at a step
            if node.parents:
                entry = ops.total if node in view.terms else _entry(node)
                key = (entry.name, len(view.operands(node)))
                oc = by_key.get(key)
                if oc is None:
                    oc = by_key[key] = OpCode(entry, key[1], fns)
                codes[node] = oc
        groups = find(view, keep_set)
        straight = len(view.order) - sum(len(c) for g in groups for c in g.copies[1:])
        if straight > max_straight:
            raise ValueError(
                f"compile(): the graph has {straight:,} nodes that do not repeat, more than "
                f"{max_straight:,}; one generated function that large takes too long and too "
                "much memory to compile.  Use root.backward() for it."
            )
        out = Generator(root, view, keep, groups, codes, fns).build()
        self.root, self._order, self.source, self.keep = root, order, out.source, keep
        self.leaves = (*out.leaves, *out.group_leaves)
        self._lines, self._node_lines = out.lines, out.node_lines
        self._args = (tuple(out.leaves), tuple(out.kept))
        namespace = {**fns.namespace, **out.namespace, "isfinite": math.isfinite,
                     "check": engine.check_real, "root_error": _root_error, "Redo": Redo}
        exec(builtins.compile(self.source, _FILE, "exec"), namespace)  # noqa: S102
        self._fn: Callable[..., float] = namespace["step"]

    def __call__(self) -> float:
        try:
            return self._fn(*self._args)
        except Redo:
            return self._interpret(accumulate=True)
        except Exception as e:
            self._note(e)
            raise

    def _note(self, e: BaseException) -> None:
        """Name the node (and the copy) whose line raised, as the interpreter's redo does."""
        tb, where = e.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == _FILE:
                where = tb
            tb = tb.tb_next
        if where is None or where.tb_lineno not in self._lines:
            return
        name, op, group = self._lines[where.tb_lineno]
        copy = ""
        if group:
            done = where.tb_frame.f_locals.get(f"outs{group}")
            if done is not None:
                copy = f", in copy {len(done) + 1} of the repeated sub-graph"
        e.add_note(f"compiled step: at node {name} (op {op!r}, line {where.tb_lineno} of "
                   f"step.source{copy})")

    def sync(self) -> float:
        """Write the current pass into the graph: every interior node's ``.data``,
        ``.local_grads`` and ``.grad`` (δ for a z node), as ``backward()`` would leave them,
        for drawing or inspecting.  Leaves' ``.grad`` are not touched.  Returns the root's
        value."""
        return self._interpret(accumulate=False)

    def _interpret(self, accumulate: bool) -> float:
        """The step by the engine: a fresh copy of the graph on the leaves' current data,
        then ``backward()``.  Slow, and exactly the interpreter."""
        def where(node: Value) -> str:
            line, name = self._node_lines.get(node, (0, "?"))
            return f"compiled step: at node {name} (op {node.op!r}, line {line} of step.source)"

        copy = replay(self._order, where=where)
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


def _entry(node: Value) -> ops.Op:
    entry = ops.find(node.op)
    if entry is None:
        raise ValueError(f"compile(): unknown op {node.op!r} (node {node!r}): it is not in "
                         "microgrid.ops.table")
    if entry.arity is not None and entry.arity != len(node.operands):
        raise ValueError(f"compile(): op {node.op!r} with {len(node.operands)} operands "
                         f"(it takes {entry.arity})")
    return entry


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

    Raises ValueError for a graph of more than ``max_nodes`` nodes (or more than
    `MAX_STRAIGHT` that do not repeat), an op that is not in the op table or a ``keep`` node
    outside the graph; TypeError if ``root`` is not a Value.
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
    straight = MAX_STRAIGHT if max_nodes == MAX_NODES else max_nodes  # "if you can wait"
    return CompiledStep(root, topological(root), tuple(keep), straight)
