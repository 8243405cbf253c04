"""Endurance: long training runs and huge graphs neither leak nor recurse.

The engine keeps no closures and no back-references, so a graph is a tree of plain references
from the root down to the leaves: it is freed by reference counting the moment the root is
dropped, with no reference cycles left for the garbage collector.
"""

from __future__ import annotations

import gc
import sys
from array import array
from contextlib import contextmanager

from microgrid import MLP, Module, Value
from microgrid.nn import Trace

XOR = [([0.0, 0.0], 0.0), ([0.0, 1.0], 1.0), ([1.0, 0.0], 1.0), ([1.0, 1.0], 0.0)]


def quadratic_loss(mlp: MLP) -> Value:
    """C = Σ_n ½ (y_n − a_n)², over the four XOR examples (L = Σ C^n, docs/backprop.md §3)."""
    return sum(0.5 * (y - mlp(x)) ** 2 for x, y in XOR)


def sgd_step(mlp: MLP, eta: float = 0.5) -> float:
    """θ ← θ − η ∇L (docs/backprop.md §3); returns the loss before the step."""
    loss = quadratic_loss(mlp)
    mlp.zero_grad()
    loss.backward()
    for p in mlp.parameters():
        p.data -= eta * p.grad
    return loss.data


@contextmanager
def gc_disabled():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_a_thousand_training_steps_keep_memory_flat():
    # Memory is counted in the interpreter's allocated blocks (every object, float and tuple a
    # step makes is one or more): a leak of one float per step would be 900 blocks.  Counting
    # them costs nothing, where tracing every allocation (tracemalloc) made the run 3× slower
    # (and the million-node chain below 10×).
    mlp = MLP(2, [4, 1], seed=1)
    current = array("q", bytes(8 * 200))  # preallocated: the record itself must not grow
    gc.collect()
    gc.freeze()  # what exists now is not this test's: the collections below skip it (fast)
    try:
        for step in range(1000):
            sgd_step(mlp)
            if step < 100 or step >= 900:
                # A full collection also empties CPython's tuple/float free lists, which
                # otherwise fill up slowly and look like growth.  (Reference cycles, which it
                # would free too, are tested for separately below.)
                gc.collect()
                current[step if step < 100 else step - 800] = sys.getallocatedblocks()
    finally:
        gc.unfreeze()
    first, last = sum(current[:100]) / 100, sum(current[100:]) / 100
    assert last - first < 300, f"memory grew by {last - first:.0f} blocks over 900 steps"


def test_a_thousand_training_steps_actually_train():
    # (so that the flat memory above is the memory of real work)
    mlp = MLP(2, [4, 1], seed=1)
    losses = [sgd_step(mlp, eta=2.0) for _ in range(1000)]
    assert losses[-1] < 0.1 * losses[0]


def _values_alive() -> int:
    """Values are tracked by the garbage collector (they hold references), so it can count them."""
    # type(o), not isinstance: isinstance may read o.__class__, which some library objects
    # (deprecated torch aliases) answer with a warning.
    return sum(1 for o in gc.get_objects() if issubclass(type(o), Value))


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    mlp = MLP(2, [4, 1], seed=1)
    with gc_disabled():
        before = _values_alive()
        trace = mlp.trace([1.0, 0.0])
        loss = 0.5 * (1.0 - trace.output) ** 2
        loss.backward()
        during = _values_alive()
        del trace, loss
        after = _values_alive()
    assert during > before
    assert after == before


def test_training_leaves_no_reference_cycles_among_engine_objects():
    with gc_disabled():
        gc.collect()
        old_debug = gc.get_debug()
        gc.set_debug(gc.DEBUG_SAVEALL)  # keep what a collection finds, to look at it
        try:
            mlp = MLP(2, [4, 1], seed=1)
            for _ in range(20):
                sgd_step(mlp)
            trace = mlp.trace([0.0, 1.0])
            (trace.output * 2.0).backward()
            del mlp, trace
            gc.collect()
            ours = [o for o in gc.garbage if issubclass(type(o), (Value, Module, Trace))]
        finally:
            gc.garbage.clear()
            gc.set_debug(old_debug)
    assert ours == []


def _depth() -> int:
    frame, n = sys._getframe(), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


@contextmanager
def no_deeper_than(extra_frames: int):
    """Any recursion beyond `extra_frames` Python frames raises RecursionError."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + extra_frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_million_node_chain_backpropagates_and_is_freed_without_recursion():
    # memory in allocated blocks (see above): a node is at least one, its number another
    n = 1_000_000
    with gc_disabled():
        baseline = sys.getallocatedblocks()
        x = Value(0.5, "x")
        y = x
        for _ in range(n):
            y = -y  # ∂y/∂x = (−1)^n = 1
        built = sys.getallocatedblocks()
        with no_deeper_than(50):
            y.backward()
            assert x.grad == 1.0
            del y
        freed = sys.getallocatedblocks()
    assert built - baseline > n  # the graph really was a million nodes' worth
    assert freed - baseline < 5_000, f"{freed - baseline} blocks still held after del"
