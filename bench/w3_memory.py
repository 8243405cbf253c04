"""W3, memory: bytes per graph node, measured with tracemalloc on a 200,000-node chain.

Nodes are Value objects (a plain-number operand is a node too, see `w2_chain`).  Three numbers
per chain: the forward graph alive; the peak while ``backward()`` runs (its bookkeeping); and
the graph after backward (every node now holds a gradient).  micrograd builds any depth, but
its recursive backward raises RecursionError on a chain this deep.
"""

from __future__ import annotations

import gc
import tracemalloc

from .w2_chain import OPS, build_chain

MEMORY_OPS = ("y = y + 1.0", "y = y * c", "y = y.tanh()", "y = y + x")


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
    steps = nodes // OPS[op][0]
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
