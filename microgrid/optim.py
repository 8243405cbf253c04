"""Optimizers: they move each parameter θ against its gradient, in PyTorch's style.

    opt = SGD(mlp.parameters(), lr=0.1)        # θ ← θ − η ∇L(θ)   (docs/backprop.md §3)
    opt = Adam(mlp.parameters(), lr=0.05)
    for step in range(100):
        loss = ...                             # build the loss from mlp's outputs
        opt.zero_grad()                        # leaves accumulate gradients, so clear them
        loss.backward()                        # fills every θ.grad = ∂L/∂θ
        opt.step()                             # update every θ.data

``params`` is a list of Values (usually ``mlp.parameters()``).  The updates follow
``torch.optim.SGD`` and ``torch.optim.Adam`` exactly (same defaults, same formulas), which the
tests check step by step.  A non-finite gradient or update raises ValueError before any
parameter changes, so one bad step cannot silently turn a model into NaNs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from .engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Holds the parameters; `zero_grad` clears their gradients, `step` updates them."""

    def __init__(self, params: Iterable[Value]) -> None:
        if isinstance(params, Value):
            raise TypeError("params must be a list of Values (mlp.parameters()), got one Value")
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] is {type(p).__name__}, not a Value")
        if len(set(map(id, self.params))) != len(self.params):
            # Listed twice, a parameter would be updated twice per step.
            raise ValueError("a parameter appears more than once in params")

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (gradients accumulate across ``backward()``)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _gradients(self, weight_decay: float) -> list[float]:
        """g = ∂L/∂θ + λθ for each parameter (L2 weight decay adds λθ, as in PyTorch)."""
        grads = []
        for i, p in enumerate(self.params):
            g = p.grad
            if not math.isfinite(g):
                raise ValueError(f"params[{i}] ({p.label or 'unnamed'}) has gradient {g!r}")
            grads.append(g + weight_decay * p.data if weight_decay else g)
        return grads

    def _commit(self, new: list[float]) -> None:
        for i, (p, x) in enumerate(zip(self.params, new, strict=True)):
            if not math.isfinite(x):
                raise ValueError(
                    f"step would set params[{i}] ({p.label or 'unnamed'}) to {x!r}; "
                    "the learning rate is probably too large"
                )
        for p, x in zip(self.params, new, strict=True):
            p.data = x


class SGD(Optimizer):
    """Gradient descent θ ← θ − η g (θ^{t+1} = θ^t − η ∇L(θ^t), docs/backprop.md §3).

    With momentum μ > 0 it keeps a velocity v ← μ v + g and steps θ ← θ − η v
    (``torch.optim.SGD`` without dampening or Nesterov); ``weight_decay`` λ adds λθ to g.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.1,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _positive(lr, "lr")
        self.momentum = _in_unit(momentum, "momentum")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        g = self._gradients(self.weight_decay)
        if self.momentum:
            v = [self.momentum * vi + gi for vi, gi in zip(self.velocity, g, strict=True)]
        else:
            v = g
        self._commit([p.data - self.lr * vi for p, vi in zip(self.params, v, strict=True)])
        self.velocity = v

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} params, lr={self.lr}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.  At step t, with g = ∂L/∂θ + λθ:

        m ← β1 m + (1 − β1) g            first moment (a running mean of g)
        v ← β2 v + (1 − β2) g²           second moment (a running mean of g²)
        m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)      bias corrections (m, v start at 0)
        θ ← θ − η m̂ / (√v̂ + ε)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _positive(lr, "lr")
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (β1, β2), got {betas!r}") from None
        self.betas = (_in_unit(b1, "betas[0]"), _in_unit(b2, "betas[1]"))
        self.eps = _positive(eps, "eps")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        b1, b2 = self.betas
        g = self._gradients(self.weight_decay)
        t = self.t + 1
        m = [b1 * mi + (1.0 - b1) * gi for mi, gi in zip(self.m, g, strict=True)]
        v = [b2 * vi + (1.0 - b2) * gi * gi for vi, gi in zip(self.v, g, strict=True)]
        step_size = self.lr / (1.0 - b1**t)  # η / (1 − β1^t) turns m into m̂
        root_c2 = math.sqrt(1.0 - b2**t)  # √v / √(1 − β2^t) = √v̂
        new = [
            p.data - step_size * mi / (math.sqrt(vi) / root_c2 + self.eps)
            for p, mi, vi in zip(self.params, m, v, strict=True)
        ]
        self._commit(new)
        self.t, self.m, self.v = t, m, v

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} params, lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )


# ---------------------------------------------------------------- hyper-parameter checks
def _number(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r}")
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {f!r}")
    return f


def _positive(x: object, name: str) -> float:
    f = _number(x, name)
    if f <= 0.0:
        raise ValueError(f"{name} must be > 0, got {f!r}")
    return f


def _non_negative(x: object, name: str) -> float:
    f = _number(x, name)
    if f < 0.0:
        raise ValueError(f"{name} must be ≥ 0, got {f!r}")
    return f


def _in_unit(x: object, name: str) -> float:
    f = _number(x, name)
    if not 0.0 <= f < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {f!r}")
    return f
