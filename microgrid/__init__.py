"""microgrid: a from-scratch scalar autograd engine, built to make backpropagation visible.

    from microgrid import Value, MLP, draw_dot
"""

from __future__ import annotations

from typing import Any

from .compiler import compile
from .engine import Const, Value, dot, sum
from .gradcheck import GradcheckError, gradcheck
from .nn import MLP, Layer, Module, Neuron

__version__ = "0.1.0"

__all__ = [
    "Value", "Const", "sum", "dot", "gradcheck", "GradcheckError",
    "Module", "Neuron", "Layer", "MLP", "draw_dot", "render",
    "compile",
]


def __getattr__(name: str) -> Any:
    # Drawing needs the graphviz package; import it only when asked for.
    if name in ("draw_dot", "render"):
        from . import graph

        return getattr(graph, name)
    raise AttributeError(f"module 'microgrid' has no attribute {name!r}")
