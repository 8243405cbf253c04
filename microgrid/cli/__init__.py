"""The command line: ``microgrid demo | explore | train | predict``.

Reading order: `command` (the entrance: the parser, `main`, ``demo`` and ``explore``),
`training` (``train`` and ``predict``), `args` (the checks and the errors they share).
"""

from .command import build_parser, main

__all__ = ["main", "build_parser"]
