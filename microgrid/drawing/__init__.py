"""The drawing: ``microgrid.draw_dot(root)`` and ``render``, a computation graph in the notation
of docs/backprop.md §1.

Reading order: `graph` (the entrance: values, operations and edges as a Graphviz graph), then
`svg` (the drawing as viewers should show it, and a clear word when ``dot`` is missing).
Importing it imports the ``graphviz`` package; ``import microgrid`` does not.
"""

from .graph import draw_dot, math_label, render
from .svg import INSTALL_HINT, Drawing, GraphvizNotInstalled

__all__ = ["draw_dot", "render", "math_label", "Drawing", "GraphvizNotInstalled", "INSTALL_HINT"]
