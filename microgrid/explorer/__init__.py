"""The explorer: ``microgrid.explore(root)``, one forward and backward pass to step through.

Reading order: `page` (the entrance: `explore` and the `Explorer` page), `steps` (each
forward and chain-rule step, recorded), `wave` (the backward pass as the δ wave of BP1–BP4),
`certify` (each gradient checked three ways), `svg` (the drawing and the network view,
annotated), `formulas` (how each op of the table reads).  The page's own script and style are
`player.js` and `page.css`: they only play what Python computed.
"""

from .page import Explorer, explore

__all__ = ["explore", "Explorer"]
