"""PyTorch's idioms for controlling the graph, with PyTorch's semantics: `no_grad` (record
nothing) and `grad` (gradients as return values; with ``create_graph=True`` as Values whose
own graphs can be differentiated again).  `Value.detach` and `Value.register_hook` are
methods of `Value` (`microgrid.engine`), whose chain rule runs the hooks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from .engine import Value, chain_rule, check_root, grad_enabled, topological

__all__ = ["no_grad", "grad"]


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
    # The backward pass itself, on the nodes' .grad, each put back as it was afterwards.
    order = topological(root)
    kept = [n.grad for n in order]
    try:
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        chain_rule(order, create_graph)
        grads = {x: x.grad for x in inputs}
    finally:
        for node, g in zip(order, kept):
            node.grad = g
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
