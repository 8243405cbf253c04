"""microgrid: a from-scratch scalar autograd engine, built to make backpropagation visible.

    from microgrid import Value, MLP, draw_dot
"""

from __future__ import annotations

from typing import Any

from .engine import Const, Value, dot, sum
from .gradcheck import GradcheckError, gradcheck
from .nn import MLP, Layer, Module, Neuron

__version__ = "0.1.0"

__all__ = [
    "Value", "Const", "sum", "dot", "gradcheck", "GradcheckError",
    "Module", "Neuron", "Layer", "MLP", "draw_dot",
]


def __getattr__(name: str) -> Any:
    # draw_dot needs the graphviz package; import it only when asked for.
    if name == "draw_dot":
        from .graph import draw_dot

        return draw_dot
    raise AttributeError(f"module 'microgrid' has no attribute {name!r}")
