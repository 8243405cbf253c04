"""Everything the explorer knows about particular operations, in one place.

The explorer's other modules never test an op's name: they ask here how an op reads applied
to its operands (`write_op`), which op makes a neuron's weighted input (`WEIGHTED_SUM`) and what
an activation's slope σ′ reads as (`slope_note`).  When the engine's ops carry their own
display text, this module is what reads it.
"""

from __future__ import annotations

import html

# A term is (its text, its precedence): sum 1, product 2, unary minus 3, power 4, atom 5.
# A negative number is bracketed wherever a sum's right-hand side would be.
Term = tuple[str, float]

# Functions written by name, f(x); σ in italics as docs/backprop.md sets it.
FUNCTION_NAMES = {"exp": "exp", "log": "ln", "tanh": "tanh", "σ": "<i>σ</i>", "ReLU": "ReLU",
                  "softplus": "softplus", "sqrt": "√"}

# The op of a neuron's weighted input z = Σ_k w_k a_k + b; its parents are (w…, a…, b).
WEIGHTED_SUM = "·+"


def wrap(t: Term, need: float) -> str:
    return t[0] if t[1] >= need else f"({t[0]})"


def write_op(op: str, xs: list[Term]) -> Term:
    """How the operation ``op`` reads applied to the operands ``xs`` (names or numbers)."""
    if op in ("+", "-") and len(xs) == 2:
        sign = "+" if op == "+" else "−"
        return f"{wrap(xs[0], 1)} {sign} {wrap(xs[1], 2)}", 1
    if op in ("*", "/") and len(xs) == 2:
        sign = "·" if op == "*" else "/"
        return f"{wrap(xs[0], 2)}{sign}{wrap(xs[1], 2.5)}", 2
    if op == "neg" and len(xs) == 1:
        return f"−{wrap(xs[0], 4)}", 3
    if op.startswith("**") and len(xs) == 1:
        return f"{wrap(xs[0], 5)}<sup>{html.escape(op[2:]).replace('-', '−')}</sup>", 4
    if op == "**" and len(xs) == 2:
        return f"{wrap(xs[0], 5)}<sup>{xs[1][0]}</sup>", 4
    if op == "abs" and len(xs) == 1:
        return f"|{xs[0][0]}|", 5
    if op in FUNCTION_NAMES and len(xs) == 1:
        return f"{FUNCTION_NAMES[op]}({xs[0][0]})", 5
    if op == "Σ":
        return " + ".join(wrap(t, 1 if i == 0 else 2) for i, t in enumerate(xs)), 1
    if op in ("·", WEIGHTED_SUM):  # z = Σ_k w_k a_k (+ b): parents are (w…, a…[, b])
        n = len(xs) // 2
        terms = [f"{wrap(w, 2)}·{wrap(a, 2.5)}" for w, a in zip(xs[:n], xs[n : 2 * n])]
        if op == WEIGHTED_SUM:
            terms.append(wrap(xs[-1], 2))
        return " + ".join(terms), 1
    return f"{html.escape(op)}({', '.join(t[0] for t in xs)})", 5


def slope_note(op: str, a: str) -> str:
    """What σ′(z) is for the activation ``op``, written with the activation's name ``a``
    (HTML), or "" when the explorer has nothing to add to the engine's number."""
    if op == "σ":
        return f"<i>σ</i>′(<i>z</i>) = <i>σ</i>(<i>z</i>)(1 − <i>σ</i>(<i>z</i>)) = {a}(1 − {a}) " \
               "(docs/backprop.md §8)"
    if op == "tanh":
        return f"tanh′(<i>z</i>) = 1 − tanh²(<i>z</i>) = 1 − {a}²"
    if op == "ReLU":
        return "ReLU′(<i>z</i>) = 1 for <i>z</i> &gt; 0, else 0"
    return ""
