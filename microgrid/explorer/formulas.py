"""How the explorer writes an operation: read from the op table (`microgrid.ops`).

The explorer's other modules never test an op's name: they ask here how an op reads applied
to its operands (`write_op`, from the entry's ``formula`` and ``precedence``), which op makes a
neuron's weighted input (`WEIGHTED_SUM`) and what an activation's slope σ′ is (`slope_note`,
the entry's ``note``).  An op that the table does not have is written f(x, y) by its name.
"""

from __future__ import annotations

import html
import re

from .. import ops

# A term is (its text, its precedence): sum 1, product 2, unary minus 3, power 4, atom 5.
# A negative number is bracketed wherever a sum's right-hand side would be.
Term = tuple[str, float]

# The op of a neuron's weighted input z = Σ_k w_k a_k + b; its parents are (w…, a…, b).
WEIGHTED_SUM = ops.dot_bias.name

_PLACE = re.compile(r"\{(\d+)\}")


def wrap(t: Term, need: float) -> str:
    return t[0] if t[1] >= need else f"({t[0]})"


def _entry(op: str, n: int) -> ops.Op | None:
    entry = ops.find(op)
    return entry if entry is not None and entry.arity in (None, n) else None


def write_op(op: str, xs: list[Term]) -> Term:
    """How the operation ``op`` reads applied to the operands ``xs`` (names or numbers)."""
    entry = _entry(op, len(xs))
    if entry is None:
        return f"{html.escape(op)}({', '.join(t[0] for t in xs)})", 5
    if entry.formula is None:  # Σ and the dot products, term by term
        if entry.name in (ops.dot.name, WEIGHTED_SUM):  # operands (w…, a…[, b])
            ws, a_s, b = ops.dot_parts(xs, entry.name == WEIGHTED_SUM)
            terms = [f"{wrap(w, 2)}·{wrap(a, 2.5)}" for w, a in zip(ws, a_s)]
            if b is not None:
                terms.append(wrap(b, 2))
        else:
            terms = [wrap(t, 1 if i == 0 else 2) for i, t in enumerate(xs)]
        return " + ".join(terms), entry.precedence
    p, formula = entry.precedence, entry.formula
    base, _, exponent = formula.partition("^")
    parts = []
    for k, text in enumerate((base, exponent)):
        pos = 0
        for m in _PLACE.finditer(text):
            parts.append(html.escape(text[pos : m.start()]).replace("-", "−"))
            t = xs[int(m.group(1))]
            # an argument of f(x, y) or |x|, or an exponent, needs no brackets of its own
            enclosed = text[: m.start()].endswith(("(", "|", ", ")) or k == 1
            # an operand after the op binds at least as tightly, a power's base more
            first = m.start() == 0 and p != 4
            parts.append(t[0] if enclosed or t[1] > p or (first and t[1] == p) else f"({t[0]})")
            pos = m.end()
        parts.append(html.escape(text[pos:]).replace("-", "−"))
        if k == 0 and exponent:
            parts.append("<sup>")
    if exponent:
        parts.append("</sup>")
    return "".join(parts).replace("σ", "<i>σ</i>"), p


def slope_note(op: str, a: str) -> str:
    """What the activation ``op``'s derivative is (the op table's note, HTML), or "" when the
    table has nothing to add to the engine's number.  ``a`` is the activation's name."""
    entry = _entry(op, 1)
    if entry is None or not entry.note:
        return ""
    return html.escape(entry.note).replace("σ", "<i>σ</i>")
