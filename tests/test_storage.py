"""How a node is stored is the engine's own business, but it must read the same from outside.

A node with one Value operand keeps the parent and its local gradient bare, a node with two
keeps the second pair in slots of its own (no tuples either way, docs/backprop.md §10), and
``backward`` marks the nodes it has visited in their grads while it orders them.  These tests
pin what a user can see: ``parents``/``local_grads`` as tuples, set by hand and used, the
memory per node, and no mark ever left behind.  Oracles: the closed-form derivatives of each
operation and tracemalloc's byte count.
"""

from __future__ import annotations

import gc
import math
import threading
import tracemalloc

import pytest

import microgrid as mg
from microgrid import Value, engine

# (op, f(x, y), ∂f/∂x, ∂f/∂y) at x = 1.5, y = 0.75: every op of two Values
X0, Y0 = 1.5, 0.75
TWO_VALUE_OPS = [
    ("+", lambda x, y: x + y, 1.0, 1.0),
    ("-", lambda x, y: x - y, 1.0, -1.0),
    ("*", lambda x, y: x * y, Y0, X0),
    ("/", lambda x, y: x / y, 1 / Y0, -X0 / Y0**2),
    ("**", lambda x, y: x**y, Y0 * X0 ** (Y0 - 1), X0**Y0 * math.log(X0)),
]


@pytest.mark.parametrize(("op", "f", "dx", "dy"), TWO_VALUE_OPS, ids=[o[0] for o in TWO_VALUE_OPS])
def test_an_op_on_two_values_reads_as_two_parents_and_two_local_grads(op, f, dx, dy):
    x, y = Value(X0), Value(Y0)
    z = f(x, y)
    assert z.op == op and z.parents == (x, y) and z.operands == (x, y)
    assert z.local_grads == pytest.approx((dx, dy), rel=1e-12)
    z.backward()
    assert (x.grad, y.grad) == pytest.approx((dx, dy), rel=1e-12)


def test_an_op_on_two_values_allocates_no_tuple():
    x, y = Value(X0), Value(Y0)
    z = x + y
    assert type(z._ps) is Value and type(z._lg) is float
    assert isinstance(z, Value) and not isinstance(z._ps, tuple)


def test_the_same_value_on_both_sides_gets_both_contributions():
    x = Value(X0)
    (x * x).backward()  # d(x²)/dx = 2x, one half through each parent slot
    assert x.grad == 2 * X0


def test_local_grads_set_by_hand_on_a_two_parent_node_are_used_by_backward():
    # how notebook 01 and gradcheck's tests plant a wrong derivative
    x, y = Value(X0), Value(Y0)
    z = x * y
    z.local_grads = (5.0, 7.0)
    assert z.parents == (x, y) and z.local_grads == (5.0, 7.0)
    z.backward()
    assert (x.grad, y.grad) == (5.0, 7.0)


def test_parents_set_by_hand_on_a_two_parent_node_are_used_by_backward():
    x, y, w = Value(X0), Value(Y0), Value(2.0)
    z = x + y
    z.parents = (w, y)
    assert z.parents == (w, y) and z.local_grads == (1.0, 1.0)
    z.backward()
    assert (x.grad, y.grad, w.grad) == (0.0, 1.0, 1.0)


def _bytes_per_node(step, nodes: int = 20_000) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x = Value(0.5)
        y = x
        for _ in range(nodes):
            y = step(y, x)
        y.backward()
        used = tracemalloc.get_traced_memory()[0] - base
        del x, y
    finally:
        tracemalloc.stop()
    return used / nodes


def test_a_two_parent_node_costs_only_its_two_extra_slots():
    # y + x against y * c (one parent, bare): the second parent and its local gradient add two
    # 8-byte slots, where a tuple of two parents would add 56 bytes and a GC-tracked object
    one = _bytes_per_node(lambda y, x: y * 1.0001)
    two = _bytes_per_node(lambda y, x: y + x)
    assert two <= one + 16 + 1


def _diamond_ladder(n: int) -> tuple[Value, Value]:
    x = Value(0.3)
    y = x
    for _ in range(n):
        y = y.tanh() * y + y  # every node reached along several paths
    return x, y


def test_backward_leaves_no_mark_in_any_grad():
    x, y = _diamond_ladder(50)
    y.backward()
    nodes = engine.reachable(y)
    assert all(math.isfinite(v.grad) for v in nodes)


def test_an_interrupted_backward_leaves_no_mark_and_the_next_one_is_right():
    x, y = _diamond_ladder(30)
    y.backward()
    want = x.grad
    # break one node deep in the graph so the walk raises half-way through
    broken = y._ps._ps._ps  # an interior node a few steps below the root
    saved = broken._ps
    broken._ps = object()  # not a Value: reading its _ps raises AttributeError
    x.grad = 0.0
    with pytest.raises(AttributeError):
        y.backward()
    broken._ps = saved
    assert all(v.grad == v.grad for v in engine.reachable(y))  # no NaN mark left anywhere
    x.grad = 0.0
    y.backward()
    assert x.grad == want


class _WatchedGrad(Value):
    """A Value that records every write to its grad."""

    __slots__ = ("writes",)

    def __init__(self, data: float) -> None:
        self.writes = []
        super().__init__(data)

    def _get(self) -> float:
        return Value.grad.__get__(self)

    def _set(self, g: float) -> None:
        self.writes.append(g)
        Value.grad.__set__(self, g)

    grad = property(_get, _set)


def _watched_square(x: Value) -> _WatchedGrad:
    m = _WatchedGrad(3.0 * x.data)
    m.op, m.parents, m.local_grads = "*3", (x,), (3.0,)  # an interior node m = 3x
    m.writes = []
    return m


def test_grad_writes_no_grad_not_even_for_a_moment():
    # grad() orders the graph without marking it, so another thread reading (or walking) the
    # same graph meanwhile never sees a mark
    x = Value(X0)
    m = _watched_square(x)
    y = m * m
    assert mg.grad(y, [x]) == [pytest.approx(18.0 * X0)]
    assert m.writes == []


def test_backward_writes_a_node_s_grad_only_to_reset_mark_and_accumulate_it():
    x = Value(X0)
    m = _watched_square(x)
    (m * m).backward()
    assert x.grad == pytest.approx(18.0 * X0) and m.grad == pytest.approx(6.0 * X0)
    # marked while ordered, reset to 0.0, then the two contributions of m·m
    assert m.writes[0] is engine._SEEN and m.writes[1:3] == [0.0, m.data]


def test_grads_of_one_graph_from_two_threads_at_once_agree():
    x, y = _diamond_ladder(400)
    (want,) = mg.grad(y, [x])
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        for _ in range(5):
            results.append(mg.grad(y, [x])[0])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [want] * 10
