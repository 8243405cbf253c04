"""W2, the deep chain: forward + backward time per node of a chain N nodes deep.

"Nodes" are the Value objects the chain creates, counted honestly: in micrograd a plain number
in an expression becomes a leaf node of its own, so ``y = y * c`` creates two nodes per step and
``y = y.tanh()`` one; microgrid folds the number into its operation, so every step is one node
(see `nodes_per_step`).  A chain of N nodes therefore has N / (nodes per step) steps.  Each
chain starts from one leaf x; the gradient ∂y/∂x that comes back is checked against the same
derivative computed by a plain float loop.

micrograd's backward is a recursive depth-first search, so it raises RecursionError once the
chain is deeper than Python's recursion limit (1,000 by default); we report that as measured.
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time

from .timing import GcClock

C_MUL = 1.000001  # ∂y/∂x = C_MUL^steps stays near e even for 10⁶ steps


# name: (nodes per step, step on a node, step on a float, derivative factor on a float)
OPS = {
    "y = y + x": (1, None, None, None),  # x is the chain's own leaf: ∂y/∂x = steps + 1
    "y = y * c": (2, lambda y: y * C_MUL, lambda v: v * C_MUL, lambda v: C_MUL),
    "y = y + 1.0": (2, lambda y: y + 1.0, lambda v: v + 1.0, lambda v: 1.0),
    "y = y.tanh()": (1, lambda y: y.tanh(), math.tanh, lambda v: 1.0 - math.tanh(v) ** 2),
}

X0 = 0.5


def nodes_per_step(engine: str, op: str) -> int:
    """Value objects (tensors) one step of the chain creates in ``engine``."""
    if engine in ("microgrid", "PyTorch scalars"):
        return 1  # a plain number is folded into its operation, not a node
    return OPS[op][0]


def expected_grad(op: str, steps: int) -> float:
    """∂y/∂x of the chain, by the chain rule on plain floats (the oracle)."""
    if op == "y = y + x":
        return steps + 1.0
    _, _, f, df = OPS[op]
    v, g = X0, 1.0
    for _ in range(steps):
        g *= df(v)
        v = f(v)
    return g


def build_chain(Value, op: str, steps: int, tanh=None):
    """The chain as a user writes it; returns (leaf x, root y)."""
    x = Value(X0)
    y = x
    if op == "y = y + x":
        for _ in range(steps):
            y = y + x
    elif op == "y = y.tanh()":
        f = tanh or Value.tanh
        for _ in range(steps):
            y = f(y)
    else:
        f = OPS[op][1]
        for _ in range(steps):
            y = f(y)
    return x, y


def run_microgrid(op: str, nodes: int) -> tuple[float, float, float, float]:
    """(forward s, backward s, ∂y/∂x, s spent in the garbage collector) for one chain of
    ``nodes`` Value objects."""
    from microgrid import Value

    steps = nodes // nodes_per_step("microgrid", op)
    gc.collect()
    with GcClock() as clock:
        t0 = time.perf_counter()
        x, y = build_chain(Value, op, steps)
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
    g = x.grad
    del x, y  # freeing the graph is not timed
    return t1 - t0, t2 - t1, g, clock.total


def measure_compiled(op: str, nodes: int, rounds: int) -> dict:
    """The chain built once and compiled (`microgrid.compile`), then replayed: the median
    replay (forward + backward, gradients zeroed first) and the one-off compile time.  A
    chain over `microgrid.compiler.MAX_STRAIGHT` (a chain does not repeat) is refused by
    compile; that is reported."""
    from microgrid import Value, compile
    from microgrid.compiler import MAX_STRAIGHT

    steps = nodes // nodes_per_step("microgrid", op)
    if nodes + 1 > MAX_STRAIGHT:
        return {"status": f"refused (> {MAX_STRAIGHT:,} nodes)"}
    x, y = build_chain(Value, op, steps)
    t0 = time.perf_counter()
    step = compile(y)
    compile_s = time.perf_counter() - t0
    times = []
    for r in range(rounds):
        x.grad = 0.0
        gc.collect()
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if r == 0:
            want = expected_grad(op, steps)
            if not close(x.grad, want):
                raise AssertionError(
                    f"W2 compiled {op} N={nodes}: ∂y/∂x = {x.grad!r}, expected {want!r}"
                )
    return {"status": "ok", "total": statistics.median(times), "compile": compile_s}


def run_micrograd(op: str, nodes: int) -> tuple[float, float | None, float | None]:
    """As `run_microgrid`; backward is None when it raised RecursionError."""
    from micrograd.engine import Value

    if op == "y = y.tanh()":
        raise NotImplementedError("micrograd 0.1.0 has no tanh")
    steps = nodes // nodes_per_step("micrograd", op)
    gc.collect()
    t0 = time.perf_counter()
    x, y = build_chain(Value, op, steps)
    t1 = time.perf_counter()
    try:
        y.backward()
    except RecursionError:
        return t1 - t0, None, None
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(x.grad)


def run_torch(op: str, nodes: int) -> tuple[float, float, float]:
    """PyTorch 0-dim float64 tensors; a plain number operand is not a node there, so the chain
    has ``nodes`` steps of one tensor each for every op (we compare per step, not per object)."""
    import torch

    steps = nodes
    gc.collect()
    t0 = time.perf_counter()

    def value(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    x, y = build_chain(value, op, steps, tanh=torch.tanh)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    g = x.grad.item()
    del x, y
    return t1 - t0, t2 - t1, g


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


def measure(engine: str, op: str, nodes: int, rounds: int) -> dict:
    """Median forward/backward over ``rounds`` chains; the gradient is checked on the first."""
    runner = {"microgrid": run_microgrid, "micrograd": run_micrograd, "PyTorch scalars": run_torch}[
        engine
    ]
    steps = nodes // nodes_per_step(engine, op)
    fwd, bwd, in_gc = [], [], []
    for r in range(rounds):
        try:
            f, b, g, *gc_s = runner(op, nodes)
        except NotImplementedError as e:
            return {"status": f"n/a ({e})"}
        except ImportError as e:
            return {"status": f"not installed ({e.name})"}
        if b is None:
            return {"status": f"RecursionError (limit {sys.getrecursionlimit()})", "fwd": f}
        if r == 0:
            want = expected_grad(op, steps)
            if not close(g, want):
                raise AssertionError(
                    f"W2 {engine} {op} N={nodes}: ∂y/∂x = {g!r}, expected {want!r}"
                )
        fwd.append(f)
        bwd.append(b)
        in_gc += gc_s
    f, b = statistics.median(fwd), statistics.median(bwd)
    gc_s = statistics.median(in_gc) if in_gc else None
    return {
        "status": "ok",
        "fwd": f,
        "bwd": b,
        "total": f + b,
        "steps": steps,
        "nodes": nodes,
        "gc": gc_s,
    }
