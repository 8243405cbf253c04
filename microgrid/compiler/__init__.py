"""The compiler: ``microgrid.compile(root)`` turns a built graph into Python for its two passes.

Reading order: `step` (the entrance: `compile` and the replayable `CompiledStep`), `view` (the
graph as the compiler reads it: Python's ``sum`` chain as one Σ), `repeats` (where the graph
repeats: one example's code run over the examples), `naming` (every name, decided first),
`generator` (the lines it writes), `loops` (a repeated sub-graph's two loops), `codegen` (each
op's line, from the op table), `tracing` (a derivative rule traced into code).  It imports only
the core (`microgrid.engine`, `microgrid.ops`).
"""

from .step import MAX_NODES, MAX_STRAIGHT, CompiledStep, compile  # noqa: A004

__all__ = ["compile", "CompiledStep", "MAX_NODES", "MAX_STRAIGHT"]
