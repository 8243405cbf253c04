"""The derivation's notation (docs/backprop.md §1) in one place: labels and activation names.

Labels are a small TeX subset: ``w^2_{13}`` is w²₁₃, the weight from neuron 3 of layer 1 to
neuron 1 of layer 2 (docs/backprop.md §1).  Layers are numbered as in the derivation: the
input is layer 1.  A subscript with a two-digit number is written with commas, ``w^2_{12,3}``,
so it cannot be misread.

This module imports nothing from microgrid, so the closed-form oracle (`microgrid.backprop`)
can use it and stay independent of the engine.
"""

from __future__ import annotations

import re

__all__ = ["ACTIVATIONS", "COSTS", "check_activation", "sup", "index", "label", "parse_label",
           "TEX_SCRIPT"]

#: the activations σ a layer can use, by name (`microgrid.ops.ACTIVATIONS` gives each its op)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")

#: the costs C of the closed form (docs/backprop.md §3, §9), by name: what `backprop`, `explore`
#: and ``microgrid explore --cost`` accept
COSTS = ("quadratic", "cross_entropy")


def check_activation(name: object, what: str = "activation") -> str:
    """``name`` if it is one of `ACTIVATIONS`, else a ValueError listing the valid ones."""
    if name not in ACTIVATIONS:
        valid = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ValueError(f"unknown {what} {name!r}; valid activations are {valid}")
    return name  # type: ignore[return-value]


def sup(n: int) -> str:
    """A superscript: ``2``, or ``{10}`` once it has two digits."""
    return str(n) if n < 10 else "{" + str(n) + "}"


def index(*numbers: int) -> str:
    """A subscript: ``1`` for (1,), ``{13}`` for (1, 3), ``{12,3}`` once a number has two digits."""
    if all(n < 10 for n in numbers):
        s = "".join(map(str, numbers))
    else:
        s = ",".join(map(str, numbers))
    return s if len(s) == 1 else "{" + s + "}"


def label(symbol: str, layer: int, *indices: int) -> str:
    """``label("w", 2, 1, 3)`` → ``"w^2_{13}"``; ``label("z", 3, 1)`` → ``"z^3_1"``."""
    return f"{symbol}^{sup(layer)}_{index(*indices)}"


#: one script of a label: ``^`` or ``_`` and what it raises or lowers, ``{…}`` or one character
#: (group 1 the mark, group 2 a braced text, group 3 a single one): drawings and the explorer
#: typeset labels with it
TEX_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|(.))", re.S)

# symbol ^ (digit | {digits}) _ (digit | {digits} | {digits,digits,...})
_LABEL = re.compile(r"^([A-Za-zδ])\^(?:(\d)|\{(\d+)\})_(?:(\d)|\{(\d+(?:,\d+)*)\})$")


def parse_label(text: str) -> tuple[str, int, tuple[int, ...]] | None:
    """The inverse of `label`: ``"w^2_{13}"`` → ``("w", 2, (1, 3))``; None for any other text.

    A braced subscript without commas is two one-digit indices for a weight (w^l_jk, the one
    symbol with two) and one number for everything else: ``"z^2_{10}"`` is neuron 10.
    """
    m = _LABEL.match(text)
    if m is None:
        return None
    symbol, layer = m.group(1), int(m.group(2) or m.group(3))
    if m.group(4):
        return symbol, layer, (int(m.group(4)),)
    body = m.group(5)
    if "," in body:
        return symbol, layer, tuple(map(int, body.split(",")))
    return symbol, layer, tuple(map(int, body)) if symbol == "w" else (int(body),)
