"""Backpropagation in closed form, on plain Python floats: the four equations BP1–BP4.

This module is the independent oracle the engine is tested against, so it does not import
the engine: every number here comes from the equations, one short function per equation.

The derivation is docs/backprop.md; its notation (§1: the input is layer 1, the output layer L):

    z^l = w^l a^{l-1} + b^l,   a^l = σ(z^l)                 forward pass (§2)
    δ^L = ∇_a C ⊙ σ'(z^L)                                     (BP1, §5)
    δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)                      (BP2, §6)
    ∂C/∂b^l_j = δ^l_j                                         (BP3, §7)
    ∂C/∂w^l_jk = a^{l-1}_k δ^l_j                              (BP4, §7)

Shapes are those of ``mlp.weights()``/``mlp.biases()``: ``W[i][j][k]`` is w^l_jk and ``B[i][j]``
is b^l_j of layer l = i + 2 (row j = neuron j of that layer, column k = its input k), and so
are ``z[i]``, ``a[i]``, ``delta[i]``: as in ``mlp.trace(x)``, whose input a^1 is ``x`` too.
Code indices are 0-based; the derivation's (and `explain`'s) are 1-based (§1).

    >>> r = backprop([[[0.5, -0.3]]], [[0.1]], x=[1.0, 2.0], y=[1.0])
    >>> explain(r, layer=2, j=1, k=2)
    '∂C/∂w^2_{12} = a^1_2 · δ^2_1 = 2 × -0.125 = -0.25'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# the only import from the package: names and labels, no engine (this is the independent oracle)
from .notation import ACTIVATIONS, COSTS, check_activation, label

__all__ = ["ACTIVATIONS", "COSTS", "BackpropResult", "BatchGradients", "sigma", "sigma_prime",
           "weighted_input", "forward", "cost_value", "cost_gradient", "output_error",
           "hidden_error", "bias_gradient", "weight_gradient", "backprop", "backprop_batch",
           "explain"]

Vector = list[float]
Matrix = list[list[float]]


def _sum(terms: Iterable[float]) -> float:
    """Σ terms strictly left to right, ((t_1 + t_2) + t_3) + …, the same float on every Python
    (built-in ``sum()`` compensates from 3.12); the oracle's own, not the engine's."""
    total, *rest = terms
    for t in rest:
        total += t
    return total


# ---------------------------------------------------------------- activations σ and σ'
def _sigmoid(z: float) -> float:
    # Two branches so exp never sees a large positive argument (no overflow for any z).
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigma(z: float, activation: str = "sigmoid") -> float:
    """a = σ(z): sigmoid 1/(1+e^(−z)), tanh, relu max(0, z), or linear z."""
    if activation == "sigmoid":
        return _sigmoid(z)
    if activation == "tanh":
        return math.tanh(z)
    if activation == "relu":
        return z if z > 0.0 else 0.0
    if activation == "linear":
        return z
    check_activation(activation)  # an unknown name: the error lists the valid ones
    raise NotImplementedError(f"sigma: no formula for activation {activation!r}")


def sigma_prime(z: float, activation: str = "sigmoid") -> float:
    """σ'(z).  sigmoid: σ(z)(1−σ(z)) (docs/backprop.md §8; *not* σ(z)/(1+z²), an easy
    slip); tanh: 1 − tanh²(z); relu: 1 for z > 0 else 0 (0 at z = 0, as PyTorch); linear: 1."""
    if activation == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    if activation == "tanh":
        t = math.tanh(z)
        return 1.0 - t * t
    if activation == "relu":
        return 1.0 if z > 0.0 else 0.0
    if activation == "linear":
        return 1.0
    check_activation(activation)  # an unknown name: the error lists the valid ones
    raise NotImplementedError(f"sigma_prime: no formula for activation {activation!r}")


# ---------------------------------------------------------------- forward pass
def weighted_input(w: Matrix, a_prev: Vector, b: Vector) -> Vector:
    """z^l = w^l a^{l-1} + b^l, i.e. z^l_j = Σ_k w^l_jk a^{l-1}_k + b^l_j."""
    return [
        _sum(w_jk * a_k for w_jk, a_k in zip(w_j, a_prev, strict=True)) + b_j
        for w_j, b_j in zip(w, b, strict=True)
    ]


def forward(W: Sequence, B: Sequence, x: Sequence, activations: Sequence[str]
            ) -> tuple[list[Vector], list[Vector]]:
    """The forward pass: z^l = w^l a^{l-1} + b^l and a^l = σ(z^l) for l = 2 … L.

    Returns ``(z, a)`` with ``z[i]`` = z^{i+2} and ``a[i]`` = a^{i+2}, layer by layer as
    ``mlp.trace(x)`` indexes them (the input x = a^1 is not repeated in ``a``).
    ``activations[i]`` is the σ of layer i + 2.  Shapes are not checked here; `backprop` does.
    """
    z: list[Vector] = []
    a: list[Vector] = []
    a_prev = list(x)  # a^{l-1}
    for i, (w, b, act) in enumerate(zip(W, B, activations, strict=True)):
        z_l = weighted_input(w, a_prev, b)
        if not all(map(math.isfinite, z_l)):
            raise ValueError(f"layer {i + 2}: the forward pass overflowed (z = {z_l})")
        z.append(z_l)
        a_prev = [sigma(z_lj, act) for z_lj in z_l]
        a.append(a_prev)
    return z, a


# ---------------------------------------------------------------- costs
def cost_value(a_L: Vector, y: Vector, cost: str = "quadratic") -> float:
    """C for one example.  quadratic: C = ½ Σ_j (y_j − a^L_j)²;
    cross_entropy (binary): C = −Σ_j [y_j ln a^L_j + (1 − y_j) ln(1 − a^L_j)]."""
    if cost == "quadratic":
        return 0.5 * _sum((y_j - a_j) ** 2 for a_j, y_j in zip(a_L, y, strict=True))
    if cost == "cross_entropy":
        _check_cross_entropy(a_L, y)
        return -_sum(y_j * math.log(a_j) + (1.0 - y_j) * math.log1p(-a_j)
                     for a_j, y_j in zip(a_L, y, strict=True))
    raise ValueError(_unknown("cost", cost, COSTS))


def cost_gradient(a_L: Vector, y: Vector, cost: str = "quadratic") -> Vector:
    """∇_a C = ∂C/∂a^L.  quadratic: a^L − y (docs/backprop.md §3);
    cross_entropy: (a^L − y) / (a^L (1 − a^L)) (§9)."""
    if cost == "quadratic":
        return [a_j - y_j for a_j, y_j in zip(a_L, y, strict=True)]
    if cost == "cross_entropy":
        _check_cross_entropy(a_L, y)
        return [(a_j - y_j) / (a_j * (1.0 - a_j)) for a_j, y_j in zip(a_L, y, strict=True)]
    raise ValueError(_unknown("cost", cost, COSTS))


# ---------------------------------------------------------------- the four equations
def output_error(z_L: Vector, a_L: Vector, y: Vector, activation: str = "sigmoid",
                 cost: str = "quadratic") -> Vector:
    """(BP1, docs/backprop.md §5) δ^L = ∇_a C ⊙ σ'(z^L), i.e. δ^L_j = ∂C/∂a^L_j · σ'(z^L_j).

    Cross-entropy with a sigmoid output is the classic special case (§9): σ'(z) = a(1 − a)
    cancels the denominator of ∂C/∂a = (a − y) / (a(1 − a)), leaving

        δ^L = a^L − y,

    which is what is returned then (exact, and finite even where a(1 − a) underflows).
    """
    if cost == "cross_entropy" and activation == "sigmoid":
        _check_cross_entropy(a_L, y)
        return [a_j - y_j for a_j, y_j in zip(a_L, y, strict=True)]
    grad_a = cost_gradient(a_L, y, cost)
    return [g_j * sigma_prime(z_j, activation) for g_j, z_j in zip(grad_a, z_L, strict=True)]


def hidden_error(w_next: Matrix, delta_next: Vector, z_l: Vector, activation: str = "sigmoid"
                 ) -> Vector:
    """(BP2, docs/backprop.md §6) δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), i.e.
    δ^l_j = (Σ_k w^{l+1}_kj δ^{l+1}_k) σ'(z^l_j)."""
    return [
        _sum(w_next[k][j] * d_k for k, d_k in enumerate(delta_next))
        * sigma_prime(z_j, activation)
        for j, z_j in enumerate(z_l)
    ]


def bias_gradient(delta: Vector) -> Vector:
    """(BP3, docs/backprop.md §7) ∂C/∂b^l_j = δ^l_j."""
    return list(delta)


def weight_gradient(a_prev: Vector, delta: Vector) -> Matrix:
    """(BP4, docs/backprop.md §7) ∂C/∂w^l_jk = a^{l-1}_k δ^l_j: "a_in × δ_out"."""
    return [[a_k * d_j for a_k in a_prev] for d_j in delta]


# ---------------------------------------------------------------- one example, a batch
@dataclass
class BackpropResult:
    """Everything backprop computes for one example (code index i = layer i + 2, §1), indexed
    as ``mlp.trace(x)`` is: ``result.a[i]`` and ``trace.a[i]`` are the same layer.

    x: the input, a^1 (``trace.x``); `inputs` gives each layer its a^{l-1}.
    ``z[i]``, ``a[i]``, ``delta[i]``: z^{i+2}, a^{i+2} and δ^{i+2}.
    ``grad_w[i][j][k]`` = ∂C/∂w^{i+2}_{(j+1)(k+1)}, ``grad_b[i][j]`` = ∂C/∂b^{i+2}_{j+1}: the
       shapes of W and B.  cost: C for this example; activations[i]: σ of layer i + 2;
       cost_name: one of COSTS."""

    x: Vector
    z: list[Vector]
    a: list[Vector]
    delta: list[Vector]
    grad_w: list[Matrix]
    grad_b: list[Vector]
    cost: float
    activations: list[str]
    cost_name: str

    def inputs(self, i: int) -> Vector:
        """a^{l-1}, what layer l = i + 2 reads (the a of BP4): x, then ``a[i - 1]``."""
        return self.x if i == 0 else self.a[i - 1]


@dataclass
class BatchGradients:
    """Gradients of L(θ) = Σ_n C^n(θ) (docs/backprop.md §3), summed over the ``n`` examples."""

    grad_w: list[Matrix]
    grad_b: list[Vector]
    cost: float
    n: int


def backprop(W: Sequence, B: Sequence, x: Sequence[float], y: Sequence[float],
             activation: str = "sigmoid", cost: str = "quadratic",
             output_activation: str | None = None) -> BackpropResult:
    """Gradients of C for one example (x, y) by BP1–BP4.

    ``activation`` is σ of every hidden layer and ``output_activation`` that of the output
    layer (None: the same as ``activation``, σ on every layer as in docs/backprop.md), as in
    `microgrid.nn.MLP`.  Bad shapes, names or numbers raise ValueError/TypeError saying
    which layer and what was expected.
    """
    W, B, x, y = _check_network(W, B, x, y)
    acts = _activations(activation, output_activation, len(W))
    if cost not in COSTS:
        raise ValueError(_unknown("cost", cost, COSTS))

    z, a = forward(W, B, x, acts)
    c = cost_value(a[-1], y, cost)

    delta = [output_error(z[-1], a[-1], y, acts[-1], cost)]  # BP1
    for i in range(len(W) - 2, -1, -1):  # from layer L−1 back to layer 2
        delta.insert(0, hidden_error(W[i + 1], delta[0], z[i], acts[i]))  # BP2

    grad_b = [bias_gradient(d) for d in delta]  # BP3
    r = BackpropResult(x, z, a, delta, [], grad_b, c, acts, cost)
    r.grad_w = [weight_gradient(r.inputs(i), d) for i, d in enumerate(delta)]  # BP4
    return r


def backprop_batch(W: Sequence, B: Sequence, xs: Sequence[Sequence[float]],
                   ys: Sequence[Sequence[float]], activation: str = "sigmoid",
                   cost: str = "quadratic", output_activation: str | None = None
                   ) -> BatchGradients:
    """Gradients of L(θ) = Σ_n C^n(θ) over the examples (xs[n], ys[n]) (docs/backprop.md §3):
    ∂L/∂w = Σ_n ∂C^n/∂w, and the same for every bias."""
    xs, ys = list(xs), list(ys)
    if not xs:
        raise ValueError("backprop_batch(): got no examples")
    if len(xs) != len(ys):
        raise ValueError(f"backprop_batch(): {len(xs)} inputs but {len(ys)} targets; "
                         "they must match")
    total: BatchGradients | None = None
    for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
        try:
            r = backprop(W, B, x, y, activation, cost, output_activation)
        except (ValueError, TypeError) as e:
            raise type(e)(f"example {n}: {e}") from None
        if total is None:
            total = BatchGradients(r.grad_w, r.grad_b, r.cost, 1)
            continue
        for gw_l, rw_l in zip(total.grad_w, r.grad_w, strict=True):
            for row, r_row in zip(gw_l, rw_l, strict=True):
                row[:] = [g + h for g, h in zip(row, r_row, strict=True)]
        for gb_l, rb_l in zip(total.grad_b, r.grad_b, strict=True):
            gb_l[:] = [g + h for g, h in zip(gb_l, rb_l, strict=True)]
        total.cost += r.cost
        total.n += 1
    assert total is not None
    return total


# ---------------------------------------------------------------- explain
def explain(result: BackpropResult, layer: int, j: int, k: int | None = None, digits: int = 3
            ) -> str:
    """One gradient as docs/backprop.md §7 writes it, with this example's numbers.  ``layer`` is
    the layer l (2 … L, numbered as in §1) and ``j``, ``k`` are 1-based, as in w^l_jk; numbers
    have ``digits`` significant digits:

        explain(r, 3, 2, 4) → '∂C/∂w^3_{24} = a^2_4 · δ^3_2 = 0.731 × -0.052 = -0.038'  (BP4)
        explain(r, 3, 2)    → '∂C/∂b^3_2 = δ^3_2 = -0.052'                           (BP3)"""
    L = len(result.delta) + 1
    _check_position(layer, "layer", 2, L, "a layer of this network (docs/backprop.md §1 numbering)")
    i = layer - 2
    _check_position(j, "j", 1, len(result.delta[i]), f"a neuron of layer {layer}")

    def fmt(v: float) -> str:
        return f"{v:.{digits}g}"

    d = result.delta[i][j - 1]
    delta_label = label("δ", layer, j)
    if k is None:
        return f"∂C/∂{label('b', layer, j)} = {delta_label} = {fmt(result.grad_b[i][j - 1])}"
    _check_position(k, "k", 1, len(result.inputs(i)), f"a neuron of layer {layer - 1}")
    a_k = result.inputs(i)[k - 1]
    return (
        f"∂C/∂{label('w', layer, j, k)} = {label('a', layer - 1, k)} · {delta_label}"
        f" = {fmt(a_k)} × {fmt(d)} = {fmt(result.grad_w[i][j - 1][k - 1])}"
    )


# ---------------------------------------------------------------- input checks
def _unknown(what: str, name: object, valid: Sequence[str]) -> str:
    names = ", ".join(repr(v) for v in valid)
    return f"unknown {what} {name!r}; valid {what}s are {names}"


def _activations(activation: str, output_activation: str | None, n_layers: int) -> list[str]:
    check_activation(activation)
    out = activation if output_activation is None else output_activation
    try:
        check_activation(out)
    except ValueError as e:
        raise ValueError(f"{e} (output_activation)") from None
    return [activation] * (n_layers - 1) + [out]


def _check_cross_entropy(a_L: Vector, y: Vector) -> None:
    for j, (a_j, y_j) in enumerate(zip(a_L, y, strict=True), 1):
        if not 0.0 <= y_j <= 1.0:
            raise ValueError(
                f"cross_entropy: target y_{j} = {y_j!r}; binary targets must be in [0, 1]")
        if not 0.0 < a_j < 1.0:
            raise ValueError(
                f"cross_entropy: output a^L_{j} = {a_j!r}; the cost needs 0 < a < 1 "
                "(use a sigmoid output layer, and weights that do not saturate it)"
            )


def _check_position(n: object, name: str, lo: int, hi: int, what: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"explain(): {name} must be an int, got {type(n).__name__} {n!r}")
    if not lo <= n <= hi:
        raise ValueError(f"explain(): {name} = {n} is not {what}: expected {lo} … {hi} (1-based)")


def _real(v: object, where: str) -> float:
    """The engine's rule (`ops.check_real`), restated so the oracle imports no engine: a
    finite real, not a bool."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(v).__name__} {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where}: got {f!r}; numbers must be finite")
    return f


def _length(seq: object, name: str) -> int:
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
        raise ValueError(f"{name}: expected a sequence, got {type(seq).__name__} {seq!r}")
    return len(seq)  # type: ignore[arg-type]


def _check_network(W: object, B: object, x: object, y: object) -> tuple[list, list, Vector, Vector]:
    """Shapes and numbers of (W, B, x, y), checked; returns them as lists of floats."""
    n_layers = _length(W, "W")
    if n_layers == 0:
        raise ValueError("W: expected at least one layer of weights, got none")
    if _length(B, "B") != n_layers:
        raise ValueError(
            f"B: expected {n_layers} layers of biases (one per layer of W), got {len(B)}")
    n_in = _length(x, "x")
    if n_in == 0:
        raise ValueError("x: expected at least one input, got none")
    xs = [_real(v, f"x[{k}]") for k, v in enumerate(x)]
    Ws, Bs, n_prev = [], [], n_in
    for i in range(n_layers):
        l = i + 2
        rows = _length(W[i], f"layer {l} (W[{i}])")
        if rows == 0:
            raise ValueError(f"layer {l}: W[{i}] has no rows; a layer needs at least one neuron")
        if _length(B[i], f"layer {l} (B[{i}])") != rows:
            raise ValueError(f"layer {l}: B[{i}] has {len(B[i])} biases, expected {rows} "
                             f"(one per row of W[{i}])")
        w_l = []
        for j in range(rows):
            got = _length(W[i][j], f"layer {l} (W[{i}][{j}])")
            if got != n_prev:
                source = "the number of inputs x" if i == 0 else f"the size of layer {l - 1}"
                raise ValueError(
                    f"layer {l}: W[{i}][{j}] has {got} weights, expected {n_prev} ({source})")
            w_l.append([_real(v, f"W[{i}][{j}][{k}]") for k, v in enumerate(W[i][j])])
        Ws.append(w_l)
        Bs.append([_real(v, f"B[{i}][{j}]") for j, v in enumerate(B[i])])
        n_prev = rows
    if _length(y, "y") != n_prev:
        raise ValueError(f"y: expected {n_prev} targets (the size of output layer "
                         f"{n_layers + 1}), got {len(y)}")
    ys = [_real(v, f"y[{j}]") for j, v in enumerate(y)]
    return Ws, Bs, xs, ys
