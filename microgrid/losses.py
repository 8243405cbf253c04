"""Loss functions: each takes the network's outputs (Values or numbers) and targets and returns
one Value, so ``loss.backward()`` fills every parameter's ``grad``.

    quadratic(a, y)                    C = ½ Σ_j (y_j − a_j)²  (docs/backprop.md §3; a sum)
    mse(a, y)                          (1/n) Σ_j (y_j − a_j)²  (a mean)
    binary_cross_entropy(p, y)         mean of −[y ln p + (1−y) ln(1−p)],  p ∈ (0, 1), y ∈ [0, 1]
    binary_cross_entropy_with_logits(s, y)   the same with p = σ(s), computed stably
    softmax_cross_entropy(S, c)        mean of −ln softmax(S_n)[c_n],      c_n ∈ {0, …, K−1}
    hinge(s, y)                        mean of max(0, 1 − y·s),            y ∈ {−1, +1} (or 0/1)

``a``, ``y``, ``p``, ``s`` are flat sequences (one entry per output, or per example when the
network has one output, which is what ``[mlp(x) for x in X]`` gives); a single Value or number
counts as a sequence of one.  ``quadratic`` and ``mse`` also take a batch of output vectors
(a list of lists) with targets of the same shape.  ``softmax_cross_entropy`` takes one list of
K logits per example and one class index per example.

Sums go through `microgrid.sum` (one node) so the graph of a batch stays small.  Sizes that do
not match, or labels outside their domain, raise ValueError.  ``get("hinge")`` looks a loss up
by its name (an unknown name is a ValueError listing the valid ones).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from .engine import Value, check_real
from .engine import sum as vsum

__all__ = [
    "quadratic",
    "mse",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax_cross_entropy",
    "hinge",
    "LOSSES",
    "get",
]

Operand = Value | int | float
Outputs = Operand | Sequence[Operand] | Sequence[Sequence[Operand]]


def quadratic(outputs: Outputs, targets: Outputs) -> Value:
    """C = ½ Σ_j (y_j − a_j)², the quadratic cost of docs/backprop.md §3 (∂C/∂a_j = a_j − y_j).

    For a batch the sum also runs over the examples, L = Σ_n C^n (docs/backprop.md §3).
    """
    a, y = _flat_pairs(outputs, targets, "quadratic", labels=False)
    return 0.5 * vsum([(yj - aj) ** 2 for aj, yj in zip(a, y, strict=True)])


def mse(outputs: Outputs, targets: Outputs) -> Value:
    """Mean squared error (1/n) Σ_j (y_j − a_j)² over all n entries (PyTorch's ``MSELoss``)."""
    a, y = _flat_pairs(outputs, targets, "mse", labels=False)
    return vsum([(yj - aj) ** 2 for aj, yj in zip(a, y, strict=True)]) / len(a)


def binary_cross_entropy(probabilities: Outputs, targets: Outputs) -> Value:
    """(1/n) Σ_n −[y_n ln p_n + (1 − y_n) ln(1 − p_n)], for probabilities p_n ∈ (0, 1).

    Use it after a sigmoid output.  A probability of exactly 0 or 1 on the wrong side makes the
    loss infinite, which raises ValueError; `binary_cross_entropy_with_logits` never does.
    """
    p, y = _flat_pairs(probabilities, targets, "binary_cross_entropy")
    _check_unit_interval(y, "binary_cross_entropy")
    terms = []
    for n, (pn, yn) in enumerate(zip(p, y, strict=True)):
        if not 0.0 <= pn.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: probability [{n}] is {pn.data!r}, outside [0, 1]; "
                "pass raw scores to binary_cross_entropy_with_logits instead"
            )
        # Only the terms that appear are built, so p = 1 with y = 1 is fine (loss 0).
        if yn != 0.0:
            terms.append(-yn * _log_or_raise(pn, n))
        if yn != 1.0:
            terms.append(-(1.0 - yn) * _log_or_raise(1.0 - pn, n))
    return vsum(terms) / len(p)


def binary_cross_entropy_with_logits(logits: Outputs, targets: Outputs) -> Value:
    """(1/n) Σ_n [softplus(s_n) − y_n s_n]: binary cross-entropy with p = σ(s), from scores s.

    Since ln σ(s) = −softplus(−s) and ln(1 − σ(s)) = −softplus(s), the loss per example is
    softplus(s) − y·s, finite for every s; its derivative is σ(s) − y (PyTorch's
    ``BCEWithLogitsLoss``).
    """
    s, y = _flat_pairs(logits, targets, "binary_cross_entropy_with_logits")
    _check_unit_interval(y, "binary_cross_entropy_with_logits")
    return vsum([sn.softplus() - yn * sn for sn, yn in zip(s, y, strict=True)]) / len(s)


def softmax_cross_entropy(logits: Sequence[Sequence[Operand]], targets: Sequence[int]) -> Value:
    """(1/N) Σ_n [ln Σ_k e^{s_nk} − s_{n,c_n}]: −ln of the softmax probability of the true class.

    ``logits[n]`` holds the K scores of example n and ``targets[n]`` its class c_n ∈ {0, …, K−1}
    (PyTorch's ``CrossEntropyLoss``).  The log-sum-exp subtracts m = max_k s_nk first,
    ln Σ_k e^{s_k} = m + ln Σ_k e^{s_k − m}, so no exponential overflows; m is a plain number,
    which leaves the gradient (softmax − one-hot) unchanged.
    """
    rows = _as_list(logits, "softmax_cross_entropy: logits")
    labels = _as_list(targets, "softmax_cross_entropy: targets")
    if len(rows) != len(labels):
        raise ValueError(
            f"softmax_cross_entropy: {len(rows)} rows of logits but {len(labels)} targets"
        )
    if not rows:
        raise ValueError("softmax_cross_entropy: got no examples")
    k = None
    terms = []
    for n, (row, c) in enumerate(zip(rows, labels, strict=True)):
        if isinstance(row, Value) or not isinstance(row, Sequence):
            raise ValueError(
                f"softmax_cross_entropy: logits[{n}] must be a list of K class scores, "
                f"got {type(row).__name__}"
            )
        s = [_value(v, f"softmax_cross_entropy: logits[{n}]") for v in row]
        if k is None:
            k = len(s)
            if k < 2:
                raise ValueError(f"softmax_cross_entropy: need at least 2 classes, got {k}")
        elif len(s) != k:
            raise ValueError(
                f"softmax_cross_entropy: logits[0] has {k} classes but logits[{n}] has {len(s)}"
            )
        if not isinstance(c, numbers.Integral) or isinstance(c, bool) or not 0 <= c < k:
            raise ValueError(
                f"softmax_cross_entropy: targets[{n}] = {c!r}; a class index must be an int "
                f"in 0..{k - 1}"
            )
        m = max(v.data for v in s)
        lse = m + vsum([(v - m).exp() for v in s]).log()
        terms.append(lse - s[c])
    return vsum(terms) / len(rows)


def hinge(scores: Outputs, targets: Outputs) -> Value:
    """(1/n) Σ_n max(0, 1 − y_n s_n): the max-margin loss, with labels y_n ∈ {−1, +1}.

    Labels 0/1 (what `microgrid.data` returns) are accepted too: 0 is read as −1.  A batch
    that mixes 0 and −1 is rejected, since it mixes the two conventions.  Predict the class
    by the sign of the score.
    """
    s, y = _flat_pairs(scores, targets, "hinge")
    seen = set(y)
    if not seen <= {-1.0, 0.0, 1.0}:
        bad = next(v for v in y if v not in (-1.0, 0.0, 1.0))
        raise ValueError(f"hinge: label {bad!r}; labels must be −1/+1 (or 0/1)")
    if {-1.0, 0.0} <= seen:
        raise ValueError("hinge: labels mix 0 and −1; use either −1/+1 or 0/1")
    signs = [1.0 if yn > 0 else -1.0 for yn in y]
    return vsum([(1.0 - yn * sn).relu() for sn, yn in zip(s, signs, strict=True)]) / len(s)


#: every loss above, by its name
LOSSES: dict[str, Callable[..., Value]] = {
    f.__name__: f
    for f in (quadratic, mse, binary_cross_entropy, binary_cross_entropy_with_logits,
              softmax_cross_entropy, hinge)
}


def get(name: str) -> Callable[..., Value]:
    """The loss function called ``name``: ``get("hinge")`` is `hinge`."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name, such as a list
        valid = ", ".join(map(repr, LOSSES))
        raise ValueError(f"unknown loss {name!r}; valid losses are {valid}") from None


# ---------------------------------------------------------------------------- helpers
def _value(x: object, where: str) -> Value:
    if isinstance(x, Value):
        return x
    return Value(check_real(x, where))


def _as_list(x: object, where: str) -> list:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise ValueError(f"{where} must be a list, got {type(x).__name__}")
    return list(x)


def _is_row(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _flatten(x: object, where: str) -> tuple[list, list[int] | None]:
    """A flat list of entries, and the row lengths when ``x`` was a list of lists."""
    if isinstance(x, (Value, numbers.Real)):
        return [x], None
    items = _as_list(x, where)
    if items and all(_is_row(r) for r in items):
        return [v for r in items for v in r], [len(r) for r in items]
    if any(_is_row(r) for r in items):
        raise ValueError(f"{where} mixes numbers and lists")
    return items, None


def _flat_pairs(
    outputs: object, targets: object, name: str, labels: bool = True
) -> tuple[list[Value], list]:
    """Outputs as Values and targets, flattened alike, after checking their sizes match.

    ``labels``: targets are class labels (plain numbers); otherwise regression targets, which
    may themselves be Values (gradients then reach them too).
    """
    a, a_rows = _flatten(outputs, f"{name}: outputs")
    y, y_rows = _flatten(targets, f"{name}: targets")
    if len(a) != len(y):
        raise ValueError(f"{name}: {len(a)} outputs but {len(y)} targets; they must match")
    if a_rows != y_rows:
        raise ValueError(
            f"{name}: outputs have shape {_shape(a, a_rows)} but targets {_shape(y, y_rows)}"
        )
    if not a:
        raise ValueError(f"{name}: got no outputs")
    values = [_value(v, f"{name}: outputs[{i}]") for i, v in enumerate(a)]
    if labels:
        ys = [_label(v, f"{name}: targets[{i}]") for i, v in enumerate(y)]
    else:
        ys = [v if isinstance(v, Value) else check_real(v, f"{name}: targets[{i}]")
              for i, v in enumerate(y)]
    return values, ys


def _shape(flat: list, rows: list[int] | None) -> str:
    return f"{len(flat)} entries" if rows is None else f"rows of sizes {rows}"


def _label(x: object, where: str) -> float:
    if isinstance(x, Value):
        raise ValueError(f"{where}: a label must be a plain number, got a Value")
    return check_real(x, where)


def _check_unit_interval(y: list[float], name: str) -> None:
    for n, yn in enumerate(y):
        if not 0.0 <= yn <= 1.0:
            raise ValueError(f"{name}: targets[{n}] = {yn!r}; labels must lie in [0, 1]")


def _log_or_raise(x: Value, n: int) -> Value:
    if x.data <= 0.0:
        raise ValueError(
            f"binary_cross_entropy: example [{n}] puts probability exactly 0 on its true class, "
            "so the loss is infinite; use binary_cross_entropy_with_logits for saturated outputs"
        )
    return x.log()

