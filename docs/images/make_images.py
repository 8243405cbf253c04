"""Regenerate the README's picture:  python docs/images/make_images.py

A 2-2-1 sigmoid MLP (σ on every layer, as in docs/backprop.md), one example x = (0.5, −1), target
y = 1, the quadratic cost C = ½(a^3_1 − y)², after ``backward()``: every z^l_j shows
δ^l_j = ∂C/∂z^l_j.
"""

from pathlib import Path

import microgrid as mg
from microgrid.graph import render

HERE = Path(__file__).resolve().parent


def neuron_graph() -> mg.Value:
    mlp = mg.MLP(2, [2, 1], seed=3)
    a = mlp([0.5, -1.0])
    y = mg.Value(1.0, "y")
    C = 0.5 * (a - y) ** 2
    C.label = "C"
    C.backward()
    return C


if __name__ == "__main__":
    out = render(neuron_graph(), HERE / "neuron_graph.svg", precision=3)
    print(f"wrote {out}")
