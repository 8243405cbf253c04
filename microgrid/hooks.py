"""Hooks: ``v.register_hook(fn)`` (PyTorch's ``Tensor.register_hook``), kept off the nodes.

The chain rule (`microgrid.engine.chain_rule`) calls `run` on a node once its gradient for
the pass is complete, before passing it on; what a hook returns replaces the gradient.  A
backward pass sets a hooked leaf's gradient aside first (`set_aside`) and adds it back after
(`add_back`), so the leaf's hook sees this pass's gradient alone while the leaf accumulates.
The table lives here, not in a slot of every Value, so a node costs no memory for it and the
chain rule checks one dict per node.
"""

from __future__ import annotations

from collections.abc import Callable

from .ops import check_real

__all__ = ["RemovableHandle", "run", "set_aside", "add_back", "table"]

# node → its hooks' handles, in registration order (the table keeps the node alive until its
# last hook is removed)
table: dict[object, list[RemovableHandle]] = {}


class RemovableHandle:
    """What `Value.register_hook` returns; ``remove()`` unregisters the hook."""

    __slots__ = ("node", "fn")

    def __init__(self, node: object, fn: Callable) -> None:
        self.node: object | None = node
        self.fn = fn
        table.setdefault(node, []).append(self)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        node, self.node = self.node, None
        handles = table.get(node) if node is not None else None
        if handles and self in handles:
            handles.remove(self)
            if not handles:
                del table[node]

    def __repr__(self) -> str:
        state = "removed" if self.node is None else f"on {self.node!r}"
        return f"RemovableHandle({_name(self.fn)}, {state})"


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def run(node: object, g: object, create_graph: bool = False) -> object:
    """``node``'s hooks, in order, on its complete gradient ``g``: each sees the previous one's
    result; a number (or a Value, whose data is taken unless ``create_graph``) replaces ``g``."""
    for handle in tuple(table[node]):  # a copy: a hook may remove itself
        r = handle.fn(g)
        if r is None:
            continue
        if hasattr(r, "parents"):  # a Value
            g = r if create_graph else r.data
        else:
            g = check_real(r, f"hook {_name(handle.fn)} registered on {node!r}")
    return g


def set_aside(order: list) -> dict:
    """The gradients the hooked leaves of ``order`` hold, each leaf set to 0.0 for the pass."""
    kept = {n: n.grad for n in order if not n.parents and n in table} if table else {}
    for node in kept:
        node.grad = 0.0
    return kept


def add_back(kept: dict) -> None:
    """After the pass: each leaf `set_aside` adds what it held (leaves accumulate)."""
    for node, g in kept.items():
        node.grad += g
