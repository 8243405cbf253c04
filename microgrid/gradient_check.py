"""Finite-difference check of the engine's gradients, in the spirit of torch.autograd.gradcheck.

    from microgrid import gradcheck                       # the function, as microgrid.gradcheck
    from microgrid.gradient_check import numerical_grads  # the central differences themselves

The module is named apart from its main function so that ``microgrid.gradcheck`` is always
the function (a module of the same name would sometimes hide it, sometimes be hidden by it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import Value
from .idioms import grad

__all__ = ["GradcheckError", "gradcheck", "numerical_grads"]


class GradcheckError(AssertionError):
    """The engine's gradient and the finite-difference estimate disagree."""


def numerical_grads(
    f: Callable[..., Value], inputs: Sequence[Value], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x+ε) − f(x−ε)) / 2ε for each input, leaving the inputs unchanged."""
    grads = []
    for v in inputs:
        x = v.data
        try:
            v.data = x + eps
            up = _as_float(f(*inputs))
            v.data = x - eps
            down = _as_float(f(*inputs))
        finally:
            v.data = x
        grads.append((up - down) / (2.0 * eps))
    return grads


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare ``f``'s engine gradients with central finite differences.

    ``f`` takes the inputs (as Values) and returns one Value.  Numbers in ``inputs`` are
    wrapped in Values.  Passes when, for every input, |analytic − numeric| ≤ atol + rtol·|numeric|.
    Returns True, or raises `GradcheckError` naming each input that fails (``False`` instead
    when ``raise_exception=False``).
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    values = [v if isinstance(v, Value) else Value(v, f"x{i}") for i, v in enumerate(inputs)]
    if not values:
        raise ValueError("gradcheck: no inputs to check")
    if len(set(map(id, values))) != len(values):
        raise ValueError("gradcheck: the same Value appears twice in inputs")
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    # `grad` runs the backward pass and changes no .grad (a model's weights f closes over,
    # a δ a notebook is showing), so checking changes nothing
    analytic = grad(out, values, allow_unused=True)
    numeric = numerical_grads(f, values, eps)
    bad = [
        f"  input {i} ({v.label or 'unnamed'} = {v.data:.6g}): "
        f"engine {a:.10g}, finite differences {n:.10g}"
        for i, (v, a, n) in enumerate(zip(values, analytic, numeric))
        if not abs(a - n) <= atol + rtol * abs(n)  # written so that a NaN fails too
    ]
    if bad and raise_exception:
        raise GradcheckError("gradients disagree with finite differences:\n" + "\n".join(bad))
    return not bad


def _as_float(v: object) -> float:
    if isinstance(v, Value):
        return v.data
    raise TypeError(f"gradcheck: f must return a Value, got {type(v).__name__}")
