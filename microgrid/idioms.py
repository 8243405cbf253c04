"""PyTorch's idioms for controlling the graph, with PyTorch's semantics: `no_grad` (record
nothing) and `grad` (gradients as return values; with ``create_graph=True`` as Values whose
own graphs can be differentiated again: second order lives here, beside `grad`, and the
engine's chain rule stays first order).  `Value.detach` and `Value.register_hook` are
methods of `Value` (`microgrid.engine`), whose chain rule runs the hooks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from . import hooks, ops
from .engine import Value, chain_rule, check_root, grad_enabled, topological

__all__ = ["no_grad", "grad", "fresh_grads"]


class no_grad:  # noqa: N801 - named like torch.no_grad, used the same way
    """``with microgrid.no_grad():`` operations record nothing: each result is a leaf holding
    only its data.  For evaluation, where no backward pass follows.  Per thread, nestable,
    and the previous mode comes back on exit, also when the block raises.  Also usable as a
    decorator: ``@microgrid.no_grad()``."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: list = []  # a stack, so one instance can be entered while inside

    def __enter__(self) -> no_grad:
        self._tokens.append(grad_enabled.set(False))
        return self

    def __exit__(self, *exc: object) -> None:
        grad_enabled.reset(self._tokens.pop())

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: object, **kwargs: object) -> object:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


def grad(
    root: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> list:
    """∂root/∂input for each input, like ``torch.autograd.grad``; no ``.grad`` changes.

    Returns a list of floats; with ``create_graph=True`` a list of Values whose own graphs
    can be differentiated again (``grad(grad(f, [x], True)[0], [x])``: a second derivative).
    An input ``root`` does not depend on raises ValueError naming it, unless
    ``allow_unused=True`` (its gradient is then 0.0).  Hooks run, as in a backward pass."""
    check_root(root, "grad()")
    if isinstance(inputs, Value):
        inputs = [inputs]
    elif not isinstance(inputs, Sequence) or isinstance(inputs, str):
        raise TypeError(f"grad(): inputs must be a Value or a list/tuple of Values, "
                        f"got {type(inputs).__name__}")
    if not inputs:
        raise ValueError("grad(): inputs is empty; name the Values to differentiate by")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad(): inputs[{i}] must be a Value, got {type(x).__name__} {x!r}")
    order = topological(root)
    with fresh_grads(order):
        root.grad = 1.0
        (_chain_rule_of_graphs if create_graph else chain_rule)(order)
        grads = {x: x.grad for x in inputs}
    reached = set(order)
    out = []
    for i, x in enumerate(inputs):
        if x not in reached and not allow_unused:
            raise ValueError(f"grad(): root does not depend on inputs[{i}] ({x!r}); pass "
                             "allow_unused=True to get 0.0 for it")
        g = grads[x] if x in reached else 0.0
        if create_graph:
            out.append(g if isinstance(g, Value) else Value(g))
        else:
            out.append(g.data if isinstance(g, Value) else g)
    return out


@contextmanager
def fresh_grads(nodes: Sequence[Value]) -> Iterator[None]:
    """Every node of ``nodes`` at ``grad`` 0.0 inside the block, each back to what it held
    after it: a backward pass that changes no ``.grad`` (`grad`, `gradcheck`, the explorer).
    Leaves would otherwise add this pass to the last ones, and interior nodes lose the δ a
    notebook is showing."""
    kept = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        yield
    finally:
        for node, g in zip(nodes, kept):
            node.grad = g


# ---------------------------------------------------------------------- second order
def _chain_rule_of_graphs(order: list[Value]) -> None:
    """`engine.chain_rule` with ``create_graph``: each local gradient is rebuilt as a Value by
    the op table's rule, so every gradient is a Value that can be differentiated again."""
    for node in reversed(order):
        if node in hooks.table:
            node.grad = hooks.run(node, node.grad, create_graph=True)
        g = node.grad
        if not node.parents or (type(g) is float and g == 0.0):
            continue
        for parent, local in zip(node.parents, _local_graphs(node)):
            parent.grad += _times(local, g)


def _local_graphs(node: Value) -> tuple:
    """∂node/∂parent as Values: the op's rule called with the operands themselves (a folded
    number in its place, its entry dropped) and the node as ``out``."""
    entry = ops.find(node.op)
    if entry is None:
        raise NotImplementedError(f"grad(create_graph=True): no derivative rule for op "
                                  f"{node.op!r} (it is not in microgrid.ops.table)")
    local = entry.derivative(*node.operands, node)
    local = local if type(local) is tuple else (local,)
    return tuple(d for x, d in zip(node.operands, local) if isinstance(x, Value))


def _times(local: object, g: object) -> object:
    """local · g for create_graph, without nodes for products by 0, 1 and −1."""
    if type(local) is float and local in (0.0, 1.0, -1.0):
        return g if local == 1.0 else -g if local == -1.0 else 0.0
    return local if type(g) is float and g == 1.0 else local * g
