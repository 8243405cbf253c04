"""W3, memory: bytes per graph node, measured with tracemalloc on a 200,000-node chain.

Nodes are Value objects (micrograd makes a node of a plain-number operand, microgrid folds it
into its operation: see `w2_chain.nodes_per_step`).  Three numbers
per chain: the forward graph alive; the peak while ``backward()`` runs (its bookkeeping); and
the graph after backward (every node now holds a gradient).  micrograd builds any depth, but
its recursive backward raises RecursionError on a chain this deep.
"""

from __future__ import annotations

import gc
import tracemalloc

from .w2_chain import build_chain, nodes_per_step

MEMORY_OPS = ("y = y + 1.0", "y = y * c", "y = y.tanh()", "y = y + x")
TARGET_CHAIN = "y = y * 1.0001 + 0.0001"  # the chain issue 12's memory target is stated on


def target_chain(nodes: int = 200_000) -> float:
    """Bytes per operation node of `TARGET_CHAIN` in microgrid (2 nodes per step), every node
    holding its gradient after backward."""
    from microgrid import Value

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        y = Value(0.5)
        for _ in range(nodes // 2):
            y = y * 1.0001 + 0.0001
        y.backward()
        used = tracemalloc.get_traced_memory()[0] - base
        del y
    finally:
        tracemalloc.stop()
    return used / nodes


def measure(engine: str, op: str, nodes: int = 200_000) -> dict:
    if engine == "microgrid":
        from microgrid import Value
    else:
        try:
            from micrograd.engine import Value
        except ImportError:
            return {"status": "not installed (micrograd)"}

        if op == "y = y.tanh()":
            return {"status": "n/a (micrograd 0.1.0 has no tanh)"}
    steps = nodes // nodes_per_step(engine, op)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x, y = build_chain(Value, op, steps)
        built = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        try:
            y.backward()
        except RecursionError:
            after = peak = None
        else:
            cur, pk = tracemalloc.get_traced_memory()
            after, peak = cur - base, pk - base
        del x, y
    finally:
        tracemalloc.stop()
    return {
        "status": "ok",
        "nodes": nodes,
        "forward": built / nodes,
        "peak_backward": None if peak is None else peak / nodes,
        "after_backward": None if after is None else after / nodes,
    }
