"""microgrid: a from-scratch scalar autograd engine, built to make backpropagation visible.

    from microgrid import Value, MLP, draw_dot

``from microgrid import *`` brings in the engine and the network classes only: never a name
that would replace a builtin (``microgrid.sum`` stays ``microgrid.sum``, so Python's ``sum``
keeps working), and nothing that needs Graphviz (``draw_dot`` and ``render`` are imported on
first use, so the engine works without the graphviz package).  ``compile``, ``explore`` and
``Explorer`` are imported on first use too: they are most of the package's import time, and
``import microgrid`` stays quick (a page of the site starts its Python sooner).

Read it top-down: `engine` (a Value and the chain rule), then `ops` (every operation once, in
one table), then `nn` (neurons and layers in the notation w^l_jk, z^l_j, a^l_j), with
`backprop` (BP1–BP4 on plain floats) beside docs/backprop.md.  Around them: `notation`,
`idioms` and `hooks`, `losses`, `optim`, `data`, `train`, `io`, `gradient_check`.  Each
satellite is a subpackage with one entrance: `compiler` (``microgrid.compile``), `drawing`
(``draw_dot``), `explorer` (``microgrid.explore``) and `cli` (the ``microgrid`` command).
"""

from __future__ import annotations

from typing import Any

from .engine import Const, Value, dot, sum  # noqa: F401 - sum: not in __all__
from .gradient_check import GradcheckError, gradcheck
from .idioms import grad, no_grad
from .nn import MLP, Layer, Module, Neuron
from .ops import cos, exp, log, op, relu, sigmoid, sin, softplus, sqrt, tanh

__version__ = "0.1.0"

# What `import *` gives.  Left out on purpose: `sum` and `compile` (they would shadow the
# builtins) and the drawing functions (they need graphviz); all are still importable by name.
__all__ = [
    "Value", "Const", "dot", "gradcheck", "GradcheckError",
    "Module", "Neuron", "Layer", "MLP", "no_grad", "grad", "explore", "Explorer", "op",
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "softplus",
]


# The names imported on first use (PEP 562's module __getattr__), and their subpackages.
_ON_FIRST_USE = {"draw_dot": "drawing", "render": "drawing", "compile": "compiler",
                 "explore": "explorer", "Explorer": "explorer"}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        import importlib

        value = getattr(importlib.import_module(f".{_ON_FIRST_USE[name]}", __name__), name)
        globals()[name] = value  # asked once: later lookups find it as a plain attribute
        return value
    raise AttributeError(f"module 'microgrid' has no attribute {name!r}")
