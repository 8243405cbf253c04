"""microgrid.compile on a graph that repeats: one example's code, run over the examples.

A loss summed over examples (docs/backprop.md §3, L(θ) = Σ_n C^n(θ)) is the same sub-graph
once per example.  The compiler finds the copies in the graph and writes one of them as a
loop body; the replay must still be the interpreter's numbers bit for bit (compared with
``==``): the same operations, and each parameter's gradient added up in the same order.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microgrid
from microgrid import MLP, Value


def _loss(model, X, Y, reg: float = 1e-3, labelled_inputs: bool = False):
    xs = [[Value(v, f"a^1_{k + 1}") for k, v in enumerate(x)] for x in X] if labelled_inputs \
        else X
    terms = [(1 - y * model(x)).relu() for x, y in zip(xs, Y, strict=True)]
    params = model.parameters()
    return microgrid.sum(terms) * (1.0 / len(terms)) + reg * microgrid.sum([p * p for p in params])


def _data(rng: random.Random, n: int, nin: int = 2):
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
    Y = [rng.choice([-1.0, 1.0]) for _ in range(n)]
    return X, Y


def _interpreted(model, X, Y, **kw):
    model.zero_grad()
    loss = _loss(model, X, Y, **kw)
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(2, 40), hidden=st.integers(1, 6),
       act=st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_a_loss_over_examples_replays_bit_for_bit(seed, n, hidden, act):
    """Compiled once, replayed on new weights: the interpreter's loss and every gradient,
    exactly (a parameter's gradient is a sum over the examples, and the order of a float
    sum shows in its last bits)."""
    rng = random.Random(seed)
    X, Y = _data(rng, n)
    model = MLP(2, [hidden, hidden, 1], activation=act, output_activation="linear", seed=seed)
    step = microgrid.compile(_loss(model, X, Y))
    assert "for (" in step.source  # the examples run as a loop
    for p in model.parameters():
        p.data += rng.uniform(-0.5, 0.5)
    want = _interpreted(model, X, Y)
    model.zero_grad()
    assert step() == want[0]
    assert [p.grad for p in model.parameters()] == want[1]


def test_the_inputs_are_data_of_the_loop_and_get_their_gradients():
    rng = random.Random(3)
    X, Y = _data(rng, 12)
    model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=1)
    inputs = [[Value(v, f"a^1_{k + 1}") for k, v in enumerate(x)] for x in X]
    terms = [(1 - y * model(x)).relu() for x, y in zip(inputs, Y, strict=True)]
    step = microgrid.compile(microgrid.sum(terms))
    X2, _ = _data(rng, 12)
    for row, new in zip(inputs, X2, strict=True):
        for v, d in zip(row, new, strict=True):
            v.data = d
    fresh = [[Value(d) for d in x] for x in X2]
    want = microgrid.sum([(1 - y * model(x)).relu() for x, y in zip(fresh, Y, strict=True)])
    model.zero_grad()
    want.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert step() == want.data
    assert [p.grad for p in model.parameters()] == grads
    assert [v.grad for row in inputs for v in row] == [v.grad for row in fresh for v in row]


def test_the_source_does_not_grow_with_the_examples():
    rng = random.Random(0)
    model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
    sizes = {}
    for n in (10, 1000):
        X, Y = _data(rng, n)
        sizes[n] = len(microgrid.compile(_loss(model, X, Y)).source.splitlines())
    assert sizes[1000] <= sizes[10] + 5, sizes


def test_copies_that_are_not_one_after_the_other_are_written_out():
    # h is shared by the copies, and the graph's order meets it in the middle of the first
    # copy: that copy is not one block of the order, so a loop could add gradients in an
    # order backward() does not; it is written out, and the 7 others run as a loop
    w = Value(0.3, "w")
    h = w.tanh()
    xs = [Value(0.1 * k - 0.4, "x") for k in range(8)]
    root = microgrid.sum([(x * 2.0 + h * x).exp() * w for x in xs])
    step = microgrid.compile(root)
    assert "# 7 copies" in step.source
    w.data = -0.7
    fresh_w = Value(-0.7)
    fresh_h = fresh_w.tanh()
    fresh = [Value(x.data) for x in xs]
    want = microgrid.sum([(x * 2.0 + fresh_h * x).exp() * fresh_w for x in fresh])
    want.backward()
    assert step() == want.data
    assert [w.grad, *(x.grad for x in xs)] == [fresh_w.grad, *(x.grad for x in fresh)]


def test_kept_nodes_inside_the_copies_are_written_each_step():
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=2)
    xs = [[0.5, -1.0], [1.0, 0.25], [0.0, 0.75]]
    outs = [model(x) for x in xs]
    step = microgrid.compile(microgrid.sum([o * o for o in outs]), keep=outs)
    assert "for (" in step.source
    for p in model.parameters():
        p.data += 0.1
    step()
    assert [o.data for o in outs] == [model(x).data for x in xs]


def test_a_domain_error_in_one_copy_names_the_node_and_the_copy():
    xs = [Value(v, "x") for v in (1.0, 2.0, 3.0, 4.0)]
    w = Value(0.5, "w")
    step = microgrid.compile(microgrid.sum([(x * w).log() * w + x for x in xs]))
    xs[2].data = -1.0
    with pytest.raises(ValueError) as info:
        step()
    with pytest.raises(ValueError) as want:
        (Value(-1.0) * 0.5).log()
    assert str(info.value) == str(want.value)
    assert any("in copy 3 of" in n for n in info.value.__notes__), info.value.__notes__
    assert w.grad == 0.0


def test_a_long_chain_that_does_not_repeat_is_refused_with_a_reason():
    x = Value(0.5, "x")
    y = x
    for _ in range(60_000):
        y = y * 0.9999 + 0.0001
    with pytest.raises(ValueError, match="do not repeat.*backward"):
        microgrid.compile(y)


def test_w1s_graph_compiles_bit_for_bit_as_the_interpreter():
    """The benchmark's W1 step (bench/w1_step.py): 100 examples of a 2-16-16-1 ReLU net."""
    from bench.data import initial_weights, two_moons
    from bench.w1_step import Microgrid, MicrogridCompiled

    X, Y = two_moons()
    W, B = initial_weights()
    interpreted = Microgrid(W, B, X, Y).grads()
    compiled = MicrogridCompiled(W, B, X, Y)
    assert compiled.grads() == interpreted
    assert compiled.compiled.source.count("\n") < 2500
    assert not math.isnan(interpreted[0])


def test_a_users_op_over_the_copies_is_checked_as_the_interpreter_checks_it():
    from microgrid import ops

    # float(a): not arithmetic the tracer can follow, so the replay calls the function
    prod3 = microgrid.op("prod3_loops", derivative=lambda a, b, c, out: (b * c, a * c, a * b))(
        lambda a, b, c: float(a) * b * c)
    try:
        xs = [Value(v, "x") for v in (1.0, 2.0, 3.0)]
        w = Value(0.5, "w")
        step = microgrid.compile(prod3(*[(x * w).exp() * w + x for x in xs]))
        assert "for (" in step.source
        w.data = 200.0  # the copies ≈ e^200, e^400, e^600: their product is not a float
        with pytest.raises(ValueError) as got:
            step()
        fresh = Value(200.0)
        with pytest.raises(ValueError) as want:
            prod3(*[(Value(x.data) * fresh).exp() * fresh + Value(x.data) for x in xs])
        assert str(got.value) == str(want.value) and "prod3_loops" in str(got.value)
    finally:
        del ops.table["prod3_loops"]


# ------------------------------------------------------------------ Python's own sum()
def _python_sum_loss(model, X, Y, reg: float = 1e-3):
    """The loss as micrograd's users write it: built-in sum(), a left-fold chain of +."""
    terms = [(1 - y * model(x)).relu() for x, y in zip(X, Y, strict=True)]
    return sum(terms) * (1.0 / len(terms)) + reg * sum(p * p for p in model.parameters())


def _python_sum_interpreted(model, X, Y):
    model.zero_grad()
    loss = _python_sum_loss(model, X, Y)
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(2, 40), hidden=st.integers(1, 6),
       act=st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_a_loss_built_with_pythons_sum_runs_as_a_loop_bit_for_bit(seed, n, hidden, act):
    """sum(losses) folds left, ((0 + C^1) + C^2) + …: read as one Σ, its examples are found
    and run as a loop, and the replay is still backward()'s loss and gradients, exactly."""
    rng = random.Random(seed)
    X, Y = _data(rng, n)
    model = MLP(2, [hidden, hidden, 1], activation=act, output_activation="linear", seed=seed)
    step = microgrid.compile(_python_sum_loss(model, X, Y))
    assert f"# {n:,} copies of one sub-graph" in step.source
    for p in model.parameters():
        p.data += rng.uniform(-0.5, 0.5)
    want = _python_sum_interpreted(model, X, Y)
    model.zero_grad()
    assert step() == want[0]
    assert [p.grad for p in model.parameters()] == want[1]


def test_a_python_sum_source_does_not_grow_with_the_examples():
    rng = random.Random(0)
    model = MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=0)
    sizes = {}
    for n in (10, 1000):
        X, Y = _data(rng, n)
        sizes[n] = len(microgrid.compile(_python_sum_loss(model, X, Y)).source.splitlines())
    assert sizes[1000] <= sizes[10] + 5, sizes


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=20))
def test_a_python_sum_chain_adds_its_terms_in_the_chains_order(xs):
    leaves = [Value(x) for x in xs]
    root = sum(v * v for v in leaves)
    step = microgrid.compile(root)
    assert step() == root.data


def test_a_chain_whose_term_is_used_elsewhere_is_replayed_as_written():
    # x is a term and inside later terms: backward() adds x's gradient from e·x, d·x, c·x,
    # then the chain's g; read as one Σ, g would come first.  With these numbers the order
    # shows: ((1e16 − 1e16) + 1) + 1 = 2, but ((1 + 1e16) − 1e16) + 1 = 1.  So the chain is
    # not read as one Σ, and the replay is exact.
    x, c, d, e = Value(0.5), Value(1.0), Value(-1e16), Value(1e16)
    root = sum([x, c * x, d * x, e * x])
    step = microgrid.compile(root)
    root.backward()
    want = [v.grad for v in (x, c, d, e)]
    assert want[0] == 2.0
    for v in (x, c, d, e):
        v.grad = 0.0
    assert step() == root.data
    assert [v.grad for v in (x, c, d, e)] == want
