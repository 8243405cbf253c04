"""Regenerate the README's pictures:  python docs/images/make_images.py

neuron_graph.svg: one sigmoid neuron with two inputs (a 2-1 network), one example
x = (0.5, −1), target y = 1, the quadratic cost C = ½(a^2_1 − y)², after ``backward()``: z^2_1
shows δ^2_1 = ∂C/∂z^2_1 (BP1).  Drawn top to bottom so that it stays under 900 px wide and its
text reads at full size in a README column.

network_graph.svg: the same example through a 2-2-1 network, drawn left to right, layer by
layer, as a network is usually drawn (wide: it is linked, not shown inline).
"""

from pathlib import Path

import microgrid as mg
from microgrid.drawing import render

HERE = Path(__file__).resolve().parent


def cost_graph(sizes: list[int]) -> mg.Value:
    """C = ½(a^L_1 − y)² of an MLP with these layer sizes, after backward()."""
    mlp = mg.MLP(sizes[0], sizes[1:], seed=3)
    a = mlp([0.5, -1.0])
    y = mg.Value(1.0, "y")
    C = 0.5 * (a - y) ** 2
    C.label = "C"
    C.backward()
    return C


def neuron_graph() -> mg.Value:
    return cost_graph([2, 1])


def network_graph() -> mg.Value:
    return cost_graph([2, 2, 1])


if __name__ == "__main__":
    for out in (
        render(neuron_graph(), HERE / "neuron_graph.svg", rankdir="TB", precision=3),
        render(network_graph(), HERE / "network_graph.svg", precision=3),
    ):
        print(f"wrote {out}")
