"""Re-running a recorded graph: the same operations, on the leaves' current numbers (or on
numbers given for some of them), through the engine's own `apply`.

A graph records what was computed; `replay` computes it again.  `compile` uses it to redo a
step exactly as the interpreter does (`CompiledStep.sync`, and any step whose compiled
gradients are not all finite), and the explorer to move one leaf by ±ε for its finite
differences.  Under ``no_grad`` nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .engine import Const, Value, apply

__all__ = ["replay"]


def replay(order: Sequence[Value], data: Mapping[Value, float] | None = None,
           where: Callable[[Value], str] | None = None) -> dict[Value, Value]:
    """Every node of ``order`` (a topological order, as `microgrid.engine.topological` gives
    it) built again, node → its new copy: a leaf as a new leaf (a ``Const`` as a ``Const``)
    holding ``data[leaf]`` if given, else its current ``.data`` as it is (even a NaN put
    there); an interior node as `apply` of its op to the new operands, the plain numbers folded
    into it kept.  Labels are kept.  An operation that raises raises what `apply` raises, with
    ``where(node)`` as a note if given."""
    data = data or {}
    copy: dict[Value, Value] = {}
    for node in order:
        if not node.parents:
            x = data.get(node, node.data)
            if type(node) is Const:
                new: Value = Const(x)
            else:
                new = Value(0.0, node.label)
                new.data = x  # as is: Value() would refuse a NaN the user put there
        else:
            try:
                new = apply(node.op, [copy[p] if isinstance(p, Value) else p
                                      for p in node.operands])
            except Exception as e:
                if where is not None:
                    e.add_note(where(node))
                raise
            new.label = node.label
        copy[node] = new
    return copy
