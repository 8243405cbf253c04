"""How a node is stored is the engine's own business, but it must read the same from outside.

A node with one Value operand keeps the parent and its local gradient bare, a node with two
keeps the second pair in slots of its own (no tuples either way; README, "What limits it"), and
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
    assert type(z._p2) is Value and type(z._l2) is float


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


def test_a_walk_interrupted_on_the_node_it_is_visiting_leaves_no_mark():
    from microgrid.nn import Layer

    layer = Layer(2, 3, "tanh", seed=1)
    xs = [Value(0.5), Value(-0.25)]
    layer(xs)
    zs, outs = layer.forward(xs)
    root = mg.sum(outs)
    broken = zs[1]
    saved = broken._xs
    del broken._xs  # reading it raises, after the walk has marked the node
    with pytest.raises(AttributeError):
        root.backward()
    broken._xs = saved
    assert all(v.grad == v.grad for v in engine.reachable(root))  # no NaN mark left anywhere


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


# ---------------------------------------------------------------------- a neuron's z
def _layer_and_inputs(nin: int = 3, nout: int = 2):
    from microgrid.nn import Layer

    layer = Layer(nin, nout, "tanh", seed=4)
    xs = [Value(0.1 * (k + 1), f"x{k}") for k in range(nin)]
    return layer, xs


def test_a_neurons_z_reads_as_one_dot_node_with_parents_w_x_b():
    layer, xs = _layer_and_inputs()
    zs, _ = layer.forward(xs)
    for n, z in zip(layer.neurons, zs, strict=True):
        assert z.op == "·+"
        assert z.parents == (*n.w, *xs, n.b)
        assert z.local_grads == (*[x.data for x in xs], *[w.data for w in n.w], 1.0)
        assert z.data == pytest.approx(sum(w.data * x.data for w, x in zip(n.w, xs)) + n.b.data)


def test_z_nodes_share_the_neurons_and_the_layers_tuples():
    # what keeps a network's graph small: no 2n+1-long copy per z node
    layer, xs = _layer_and_inputs()
    (z1, z2), _ = layer.forward(xs)
    (z1_again, _), _ = layer.forward([Value(0.5) for _ in xs])
    assert z1._ps is z1_again._ps  # the neuron's (w…, b), for every example
    assert z1._xs is z2._xs  # the layer's inputs, for every neuron
    for w in layer.neurons[0].w:
        w.data = w.data + 0.0  # equal numbers in new floats, as an SGD step by 0 leaves them
    (z1_after, _), _ = layer.forward(xs)
    assert z1_after._lx is z1._lx  # the weights' numbers, until one changes


def test_a_weight_replaced_by_another_value_is_a_parent_from_the_next_call_on():
    layer, xs = _layer_and_inputs()
    n = layer.neurons[0]
    layer.forward(xs)
    old, new = n.w[1], Value(2.0, "w_new")
    n.w[1] = new  # in place: the list is the same object
    z = layer.forward(xs)[0][0]
    assert new in z.parents and old not in z.parents
    z.backward()
    assert new.grad == xs[1].data and old.grad == 0.0
    n.b = Value(1.0, "b_new")
    z = layer.forward(xs)[0][0]
    assert z.parents[-1] is n.b


def test_a_weight_given_new_data_is_read_by_the_next_example():
    # the neuron's tuple of its weights' numbers is shared by its z nodes until they change
    layer, xs = _layer_and_inputs()
    n = layer.neurons[0]
    z_before = layer.forward(xs)[0][0]
    n.w[1].data = 2.0  # what an SGD step does
    n.b.data = -0.5
    z = layer.forward(xs)[0][0]
    assert z.data == pytest.approx(sum(w.data * x.data for w, x in zip(n.w, xs)) - 0.5)
    dz_dx = z.local_grads[len(n.w) : 2 * len(n.w)]
    assert dz_dx == tuple(w.data for w in n.w) and dz_dx[1] == 2.0
    assert z_before.local_grads[len(n.w) + 1] != 2.0  # the earlier z keeps its own numbers


def test_a_layer_run_between_any_two_writes_of_its_cache_reads_the_current_weights():
    # what another thread would get if it ran the layer while this one refreshes the shared
    # tuples: after every attribute write the cache makes, run the layer once more and check
    from microgrid.nn import Layer, _SharedTuples

    class Interrupted(_SharedTuples):
        __slots__ = ()
        armed, inside, reads = False, False, []

        def __setattr__(self, name: str, value: object) -> None:
            super().__setattr__(name, value)
            cls = type(self)
            if cls.armed and not cls.inside:
                cls.inside = True
                try:
                    wbs, wds = self.get(layer.neurons, layer.nin)
                    cls.reads.append((wbs, wds, [(*n.w, n.b) for n in layer.neurons]))
                finally:
                    cls.inside = False

    layer = Layer(3, 2, "tanh", seed=2)
    layer._shared = Interrupted()
    xs = (Value(0.5), Value(-0.25), Value(2.0))
    layer.forward(xs)
    Interrupted.armed = True
    layer.neurons[1].w[1].data = 3.0  # new numbers
    layer.forward(xs)
    layer.neurons[0].w[0] = Value(-1.5)  # another Value
    layer.forward(xs)
    assert len(Interrupted.reads) >= 2  # the numbers' refresh and the tuples' were interrupted
    for wbs, wds, current in Interrupted.reads:
        assert wbs == current
        assert wds == [tuple(p.data for p in wb) for wb in current]


def test_a_lone_neuron_reads_new_weights_and_new_numbers_too():
    from microgrid.nn import Neuron

    n = Neuron(2, "linear", seed=1)
    xs = (Value(0.5), Value(-2.0))
    n(xs)
    n.w[0].data, n.b.data = 3.0, 1.0
    assert n(xs).data == 3.0 * 0.5 + n.w[1].data * -2.0 + 1.0
    n.w[1] = Value(4.0)
    z = n(xs)
    assert z.data == 3.0 * 0.5 + 4.0 * -2.0 + 1.0 and n.w[1] in z.parents


def test_local_grads_set_by_hand_on_a_z_node_are_used_once():
    layer, xs = _layer_and_inputs()
    z = layer.forward(xs)[0][0]
    n = len(z.parents)
    z.local_grads = tuple(float(k) for k in range(n))
    z.backward()
    for k, p in enumerate(z.parents):
        assert p.grad == float(k)  # not also the gradient the shared tuples would give


def test_a_z_read_by_two_activations_passes_its_delta_on_once():
    # backward orders a(z) and z together when z's tuples are done (README, "What limits
    # it"); a z that a second activation already ordered must not be ordered again
    layer, xs = _layer_and_inputs()
    layer.forward(xs)  # a first example: z's tuples are scanned, then done
    z = layer.forward(xs)[0][0]
    root = z.tanh() + z.relu() * 3.0
    root.backward()
    t = math.tanh(z.data)
    dz = (1 - t * t) + (3.0 if z.data > 0 else 0.0)
    assert z.grad == pytest.approx(dz, rel=1e-12)
    n = layer.neurons[0]
    assert [w.grad for w in n.w] == pytest.approx([dz * x.data for x in xs], rel=1e-12)


def _tied_recurrent_graph(data: tuple[float, float, float] = (0.3, 0.1, -0.2)):
    """One layer applied three times in sequence (a recurrence), with weights that are interior
    nodes tied to one leaf t: shared tuples that hold interior nodes.  Leaves (t, b_1, b_2)."""
    from microgrid.nn import Layer

    layer = Layer(2, 2, "tanh", seed=9)
    t = Value(data[0], "t")
    for k, n in enumerate(layer.neurons):
        n.w[0] = t * (k + 1.5)
        n.w[1] = (t * t).tanh()
        n.b.data = data[1 + k]
    h = [Value(0.4, "x0"), Value(-0.2, "x1")]
    for _ in range(3):
        h = layer(h)
    return [t, *(n.b for n in layer.neurons)], mg.sum(h) + h[0] * h[1]


def test_shared_tuples_holding_interior_nodes_give_the_finite_difference_gradients():
    leaves, root = _tied_recurrent_graph()
    root.backward()
    data, eps = [leaf.data for leaf in leaves], 1e-6
    for i, leaf in enumerate(leaves):
        up, down = list(data), list(data)
        up[i] += eps
        down[i] -= eps
        want = (_tied_recurrent_graph(up)[1].data - _tied_recurrent_graph(down)[1].data) / (2 * eps)
        assert leaf.grad == pytest.approx(want, rel=1e-6, abs=1e-9), i


def test_backward_and_compile_walk_the_graph_in_the_same_order():
    # compile's replay adds each leaf's gradient terms in the order backward() does, which is
    # what makes their results equal bit for bit
    from microgrid.nn import MLP, Layer

    _, root = _tied_recurrent_graph()
    mlp = MLP(2, [4, 3, 1], activation="relu", seed=2)
    layer = Layer(2, 2, "sigmoid", seed=5)
    t = Value(0.7, "t")
    layer.neurons[0].b = t * 0.5  # an interior bias: pushed between the weights and the inputs
    h = layer(layer([t.exp(), t.tanh()]))
    root = root + mg.sum([mlp([0.5, -0.25]), mlp([0.1, 0.2]) * 2.0, *reversed(h)])
    assert engine.interior_order(root) == engine.interior_order(root, reset=True)


def test_the_graph_of_a_layer_holds_no_copy_of_its_inputs_or_weights_per_neuron():
    # z (104 bytes) + data (24) and a (88) per neuron and example, plus the example's share of
    # the layer's input tuples; a 2n+1-long tuple of parents and another of local gradients
    # per z (the layout a dot node of its own has) would add 2 · (56 + 8 · 33) = 640 bytes for
    # n = 16, and a ∂z/∂x tuple of the weights' numbers per z 56 + 8 · 17 = 192
    from microgrid.nn import Layer

    layer = Layer(16, 16, "relu", seed=3)
    inputs = [[Value(0.01 * (k + e)) for k in range(16)] for e in range(50)]
    layer(inputs[0])
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        outs = [layer(x) for x in inputs]
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    per_neuron = used / (len(inputs) * 16)
    assert outs and per_neuron <= 300
