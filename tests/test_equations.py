"""The derivation's claims (docs/backprop.md), one test each, held against the engine's node
gradients.

Each test builds a network with `microgrid.nn.MLP`, runs ``loss.backward()`` and compares
``trace.z[i][j].grad`` (δ^{i+2}_{j+1}), ``w.grad`` and ``b.grad`` with the closed form of
`microgrid.backprop` (plain floats, no engine) to 1e-10.  Where a claim can be written with the
engine's own numbers (e.g. δ^l from the engine's δ^{l+1}), the test checks that too.

    claim                                                    docs/backprop.md   test
    w^l_jk is layers[l-2].neurons[j-1].w[k-1]; z.grad is δ    §1     test_code_indices_...
    z^l = w^l a^{l-1} + b^l, a^l = σ(z^l)                    §2     test_forward_pass_...
    BP1 δ^L = ∇_a C ⊙ σ'(z^L)                                §5     test_bp1_...
    BP2 δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)                 §6     test_bp2_...
    BP3 ∂C/∂b^l_j = δ^l_j                                    §7     test_bp3_...
    BP4 ∂C/∂w^l_jk = a^{l-1}_k δ^l_j ("a_in × δ_out")        §7     test_bp4_...
    σ'(z) = σ(z)(1−σ(z))                                     §8     test_sigmoid_derivative_...
    ∂C/∂a^L = a^L − y, δ^L = (a^L − y) ⊙ σ'(z^L)              §3, §5 test_quadratic_cost_...
    σ'(z) = σ(z)/(1+z²) is a slip                            §8     test_sigma_over_one_plus_...
    ∂l/∂z = σ'(z)(w₃ ∂l/∂z' + w₄ ∂l/∂z'')                   §4     test_two_neuron_example_...
    ∂z/∂w = the input (forward pass half)                    §4     test_dz_dw_...
    ∂L/∂w = Σ_n ∂C^n/∂w                                      §3     test_summed_loss_...
    ∂J/∂W^l_ji = δ^{l+1}_j a^l_i, W^l_ji = w^{l+1}_ji        §6     test_W_l_ji_convention_weight...
    δ^l_i = f'(z^l_i) Σ_j δ^{l+1}_j W^l_ji                   §6     test_W_l_ji_convention_delta_...
    cross-entropy + sigmoid output: δ^L = a^L − y            §9     test_cross_entropy_...
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import microgrid as mg
from microgrid import MLP, Value
from microgrid.backprop import (
    ACTIVATIONS,
    COSTS,
    backprop,
    backprop_batch,
    cost_gradient,
    forward,
    sigma,
    sigma_prime,
)
from microgrid.notation import label

TOL = 1e-10

# layer sizes [n_in, n_2, …, n_L]: from 1-1 up to four weight layers, 1–8 neurons each
SHAPES = [
    [1, 1], [3, 1], [2, 4], [1, 8, 1], [4, 5, 3], [8, 3, 8, 2], [2, 4, 4, 4, 1], [5, 8, 7, 6, 8],
]


def close(engine: float, oracle: float) -> bool:
    """Equal to 1e-10, relative to the numbers' size (absolute below 1)."""
    return abs(engine - oracle) <= TOL * max(1.0, abs(engine), abs(oracle))


def random_network(sizes: list[int], seed: int):
    """W, B, x, y from a fixed seed; weights ±1/√n_in so σ is not saturated."""
    rng = random.Random(seed)
    W = [
        [[rng.uniform(-1, 1) / math.sqrt(nin) for _ in range(nin)] for _ in range(nout)]
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    B = [[rng.uniform(-0.5, 0.5) for _ in range(nout)] for nout in sizes[1:]]
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    y = [rng.uniform(0, 1) for _ in range(sizes[-1])]  # in [0, 1]: valid for both costs
    return W, B, x, y


def engine_cost(a_L: list[Value], y: list[float], cost: str) -> Value:
    """C built from Values: ½ Σ (y_j − a_j)², or −Σ [y_j ln a_j + (1 − y_j) ln(1 − a_j)]."""
    if cost == "quadratic":
        return 0.5 * mg.sum((y_j - a_j) ** 2 for a_j, y_j in zip(a_L, y, strict=True))
    return -mg.sum(
        y_j * a_j.log() + (1 - y_j) * (1 - a_j).log() for a_j, y_j in zip(a_L, y, strict=True)
    )


def engine_backward(W, B, x, y, activation, cost, output_activation=None):
    """An MLP holding W, B; its trace for x after ``C.backward()``."""
    mlp = MLP(len(x), [len(w) for w in W], activation, output_activation, seed=0)
    mlp.load_weights(W, B)
    trace = mlp.trace(x)
    loss = engine_cost(trace.a[-1], y, cost)
    loss.backward()
    return mlp, trace, loss


def solve(sizes, activation, cost, seed):
    """The same network through the engine and through the closed form."""
    W, B, x, y = random_network(sizes, seed)
    out = "sigmoid" if cost == "cross_entropy" else None
    mlp, trace, loss = engine_backward(W, B, x, y, activation, cost, out)
    r = backprop(W, B, x, y, activation, cost, out)
    return mlp, trace, loss, r, y


def a_in(trace, i: int) -> list[Value]:
    """The inputs of MLP layer i: x for the first layer, else the previous layer's a."""
    return trace.x if i == 0 else trace.a[i - 1]


CASES = [
    pytest.param(sizes, act, cost, seed, id=f"{'-'.join(map(str, sizes))}-{act}-{cost}")
    for seed, sizes in enumerate(SHAPES)
    for act in ACTIVATIONS
    for cost in COSTS
]
DEEP_CASES = [c for c in CASES if len(c.values[0]) > 2]  # with at least one hidden layer
QUADRATIC_CASES = [c for c in CASES if c.values[2] == "quadratic"]


# ---------------------------------------------- §1, §2, BP1–BP4 (§5–§7)
@pytest.mark.parametrize("sizes", SHAPES)
def test_code_indices_are_the_derivations_minus_one_and_z_grad_is_delta(sizes):
    """docs/backprop.md §1: w^l_jk is ``mlp.layers[l-2].neurons[j-1].w[k-1]``, labelled
    ``w^l_{jk}`` (the input is layer 1), and ``trace.z[l-2][j-1].grad`` is δ^l_j."""
    mlp, trace, _, r, _ = solve(sizes, "sigmoid", "quadratic", seed=11)
    W = mlp.weights()
    for l in range(2, len(sizes) + 1):
        for j in range(1, sizes[l - 1] + 1):
            neuron = mlp.layers[l - 2].neurons[j - 1]
            assert neuron.b.label == label("b", l, j)
            assert trace.z[l - 2][j - 1].label == label("z", l, j)
            assert trace.z[l - 2][j - 1].grad == pytest.approx(r.delta[l - 2][j - 1], abs=TOL)
            for k in range(1, sizes[l - 2] + 1):
                w = neuron.w[k - 1]
                assert w.label == label("w", l, j, k)
                assert w.data == W[l - 2][j - 1][k - 1]
    assert [x.label for x in trace.x] == [label("a", 1, k) for k in range(1, sizes[0] + 1)]
    assert mlp.layers[0].neurons[0].w[0].label == "w^2_{11}"


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES)
def test_forward_pass_z_is_w_a_plus_b_and_a_is_sigma_of_z(sizes, activation, cost, seed):
    """z^l = w^l a^{l-1} + b^l, a^l = σ(z^l): docs/backprop.md §2."""
    _, trace, loss, r, _ = solve(sizes, activation, cost, seed)
    for i, layer in enumerate(trace.z):
        for j, z in enumerate(layer):
            assert close(z.data, r.z[i][j])
            assert close(trace.a[i][j].data, r.a[i][j])
    assert close(loss.data, r.cost)


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES)
def test_bp1_output_error_is_grad_a_C_times_sigma_prime_of_z(sizes, activation, cost, seed):
    """BP1, docs/backprop.md §5."""
    _, trace, _, r, y = solve(sizes, activation, cost, seed)
    out_act = r.activations[-1]
    a_L = [a.data for a in trace.a[-1]]
    grad_a = cost_gradient(a_L, y, cost)  # ∇_a C at the engine's own output
    for j, z in enumerate(trace.z[-1]):
        assert close(z.grad, r.delta[-1][j])
        assert close(z.grad, grad_a[j] * sigma_prime(z.data, out_act))


@pytest.mark.parametrize("sizes, activation, cost, seed", DEEP_CASES)
def test_bp2_hidden_error_is_w_transpose_delta_times_sigma_prime(sizes, activation, cost, seed):
    """BP2, docs/backprop.md §6."""
    mlp, trace, _, r, _ = solve(sizes, activation, cost, seed)
    for i in range(len(trace.z) - 1):  # every hidden layer l = i + 2 < L
        above = mlp.layers[i + 1].neurons
        for j, z in enumerate(trace.z[i]):
            assert close(z.grad, r.delta[i][j])
            # (w^{l+1})ᵀ δ^{l+1}, from the engine's own δ^{l+1}
            back = sum(
                n.w[j].data * z_k.grad for n, z_k in zip(above, trace.z[i + 1], strict=True)
            )
            assert close(z.grad, back * sigma_prime(z.data, activation))


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES)
def test_bp3_bias_gradient_equals_error(sizes, activation, cost, seed):
    """BP3, docs/backprop.md §7."""
    mlp, trace, _, r, _ = solve(sizes, activation, cost, seed)
    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            assert neuron.b.grad == trace.z[i][j].grad  # ∂z/∂b = 1: exactly δ
            assert close(neuron.b.grad, r.grad_b[i][j])


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES)
def test_bp4_weight_gradient_is_a_in_times_delta_out(sizes, activation, cost, seed):
    """BP4, docs/backprop.md §7: input activation × output error."""
    mlp, trace, _, r, _ = solve(sizes, activation, cost, seed)
    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            delta_out = trace.z[i][j].grad
            for k, (w, a) in enumerate(zip(neuron.w, a_in(trace, i), strict=True)):
                assert close(w.grad, a.data * delta_out)
                assert close(w.grad, r.grad_w[i][j][k])


# ---------------------------------------------- σ' (§8), quadratic cost (§3)
SIGMOID_POINTS = [-30.0, -5.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.5, 5.0, 30.0]


@pytest.mark.parametrize("z0", SIGMOID_POINTS)
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma(z0):
    """σ'(z) = σ(z)(1 − σ(z)): docs/backprop.md §8."""
    z = Value(z0)
    a = z.sigmoid()
    a.backward()
    s = a.data
    assert close(z.grad, s * (1 - s))
    assert close(sigma_prime(z0, "sigmoid"), s * (1 - s))
    # independently of both: central differences of the engine's σ (error ~h², ~ε/h)
    h = 1e-5
    fd = (Value(z0 + h).sigmoid().data - Value(z0 - h).sigmoid().data) / (2 * h)
    assert abs(fd - s * (1 - s)) < 1e-9


@pytest.mark.parametrize("sizes, activation, cost, seed", QUADRATIC_CASES)
def test_quadratic_cost_gradient_is_a_minus_y(sizes, activation, cost, seed):
    """∂C/∂a^L = a^L − y (docs/backprop.md §3), so δ^L = (a^L − y) ⊙ σ'(z^L) (BP1, §5)."""
    _, trace, _, _, y = solve(sizes, activation, cost, seed)
    for j, (a, z) in enumerate(zip(trace.a[-1], trace.z[-1], strict=True)):
        assert close(a.grad, a.data - y[j])  # ∂C/∂a^L_j
        assert close(z.grad, (a.data - y[j]) * sigma_prime(z.data, activation))  # δ^L


# ---------------------------------------------- the slip (§8), graph (§4), L (§3)
def test_sigma_over_one_plus_z_squared_is_not_the_sigmoid_derivative():
    """σ(z)/(1 + z²) is a slip, not σ'(z): docs/backprop.md §8."""

    def slip(z):
        return sigma(z) / (1 + z * z)

    def true_derivative(z):  # from the engine, by backward()
        v = Value(z)
        v.sigmoid().backward()
        return v.grad

    points = [k / 4 for k in range(-16, 17)]
    assert max(abs(slip(z) - true_derivative(z)) for z in points) > 0.2
    assert slip(0.0) == 0.5 and true_derivative(0.0) == 0.25
    # Used in BP1 on a one-neuron network, the slip gives a δ the engine does not.
    W, B, x, y = [[[0.4, -0.7]]], [[0.1]], [1.0, 0.5], [1.0]
    _, trace, _ = engine_backward(W, B, x, y, "sigmoid", "quadratic")
    z, a = trace.z[0][0], trace.a[0][0]
    assert close(z.grad, (a.data - 1.0) * sigma_prime(z.data))
    assert not close(z.grad, (a.data - 1.0) * slip(z.data))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_two_neuron_example_dl_dz_is_sigma_prime_times_w3_dz1_plus_w4_dz2(activation):
    """The two-neuron example of docs/backprop.md §4."""
    # one hidden neuron z (inputs x₁, x₂; weights w₁, w₂) feeding z' and z'' through w₃, w₄
    W, B, x, y = random_network([2, 1, 2], seed=2)
    mlp, trace, _ = engine_backward(W, B, x, y, activation, "quadratic")
    z, z1, z2 = trace.z[0][0], trace.z[1][0], trace.z[1][1]
    w1, w2 = mlp.layers[0].neurons[0].w
    w3, w4 = mlp.layers[1].neurons[0].w[0].data, mlp.layers[1].neurons[1].w[0].data
    f1 = sigma_prime
    assert close(z.grad, f1(z.data, activation) * (w3 * z1.grad + w4 * z2.grad))
    # the output layer's case: ∂l/∂z' = ∂l/∂y₁ · σ'(z')
    for zo, yo, target in zip((z1, z2), trace.a[1], y, strict=True):
        assert close(zo.grad, (yo.data - target) * f1(zo.data, activation))
    # ∂l/∂w = ∂z/∂w · ∂l/∂z, with ∂z/∂w₁ = x₁ and ∂z/∂w₂ = x₂
    assert close(w1.grad, x[0] * z.grad) and close(w2.grad, x[1] * z.grad)
    r = backprop(W, B, x, y, activation)
    assert close(z.grad, r.delta[0][0])


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES)
def test_dz_dw_is_the_input_forward_pass_half(sizes, activation, cost, seed):
    """∂z/∂w is the input the weight multiplies, known after the forward pass (docs/backprop.md
    §4)."""
    _, trace, _, r, _ = solve(sizes, activation, cost, seed)
    for i, layer in enumerate(trace.z):
        inputs = a_in(trace, i)
        for z in layer:
            n = len(inputs)
            # z's parents are (w_1…w_n, a_1…a_n, b); its local gradients ∂z/∂w_k come first
            assert z.parents[n : 2 * n] == tuple(inputs)
            for k in range(n):
                assert z.local_grads[k] == inputs[k].data
                assert close(z.local_grads[k], r.inputs(i)[k])


@pytest.mark.parametrize("sizes, activation, cost, seed", CASES[::3])
def test_summed_loss_gradient_is_sum_of_per_example_gradients(sizes, activation, cost, seed):
    """L(θ) = Σ_n C^n(θ), so ∂L/∂w = Σ_n ∂C^n/∂w, from one backward(): docs/backprop.md §3."""
    W, B, _, _ = random_network(sizes, seed)
    examples = [random_network(sizes, 100 * seed + n)[2:] for n in range(4)]
    xs, ys = [e[0] for e in examples], [e[1] for e in examples]
    out = "sigmoid" if cost == "cross_entropy" else None
    mlp = MLP(sizes[0], sizes[1:], activation, out, seed=0)
    mlp.load_weights(W, B)
    L = mg.sum(engine_cost(mlp.trace(x).a[-1], y, cost) for x, y in zip(xs, ys, strict=True))
    L.backward()
    batch = backprop_batch(W, B, xs, ys, activation, cost, out)
    assert close(L.data, batch.cost)
    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            assert close(neuron.b.grad, batch.grad_b[i][j])
            for k, w in enumerate(neuron.w):
                assert close(w.grad, batch.grad_w[i][j][k])
    # and the oracle's sum is the sum of its per-example gradients
    singles = [backprop(W, B, x, y, activation, cost, out) for x, y in zip(xs, ys, strict=True)]
    assert close(batch.grad_w[0][0][0], sum(s.grad_w[0][0][0] for s in singles))
    assert close(batch.grad_b[-1][-1], sum(s.grad_b[-1][-1] for s in singles))


# ---------------------------------------------- the W^l_ji convention (§6)
def leaving_layer_network(sizes, activation, seed):
    """The W^l_ji convention of docs/backprop.md §6, without biases: z^{l+1}_j = Σ_i W^l_ji a^l_i.
    Wl[l][j][i] is W^l_ji, indexed by the layer l the weight leaves."""
    W, _, x, y = random_network(sizes, seed)
    B = [[0.0] * len(w) for w in W]
    mlp, trace, _ = engine_backward(W, B, x, y, activation, "quadratic")
    Wl = {l: W[l - 1] for l in range(1, len(sizes))}  # code W[l-1] is w^{l+1} (§1)
    al = {l: [v.data for v in (trace.x if l == 1 else trace.a[l - 2])] for l in Wl}
    zl = {l: trace.z[l - 2] for l in range(2, len(sizes) + 1)}
    return mlp, Wl, al, zl, (W, B, x, y)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", SHAPES[2:])
def test_W_l_ji_convention_weight_gradient_is_delta_j_l_plus_1_times_a_i_l(sizes, activation):
    """∂J/∂W^l_ji = δ^{l+1}_j a^l_i (BP4 in the W^l_ji convention, docs/backprop.md §6)."""
    mlp, Wl, al, zl, (W, B, x, y) = leaving_layer_network(sizes, activation, seed=len(sizes))
    r = backprop(W, B, x, y, activation)
    for l, W_l in Wl.items():
        for j, row in enumerate(W_l):
            z_next = zl[l + 1][j]
            z_sum = sum(W_ji * a_i for W_ji, a_i in zip(row, al[l], strict=True))
            assert close(z_next.data, z_sum)
            for i in range(len(row)):
                w = mlp.layers[l - 1].neurons[j].w[i]  # W^l_ji is the weight w^{l+1}_ji
                assert w.data == W_l[j][i]
                assert close(w.grad, z_next.grad * al[l][i])
                assert close(w.grad, r.grad_w[l - 1][j][i])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", [s for s in SHAPES if len(s) > 2])
def test_W_l_ji_convention_delta_i_l_is_f_prime_times_sum_delta_j_W_l_ji(sizes, activation):
    """δ^l_i = f'(z^l_i) Σ_j δ^{l+1}_j W^l_ji: BP2 in the W^l_ji convention, docs/backprop.md §6."""
    _, Wl, _, zl, (W, B, x, y) = leaving_layer_network(sizes, activation, seed=len(sizes) + 1)
    r = backprop(W, B, x, y, activation)
    for l in range(2, len(sizes)):  # hidden layers
        for i, z in enumerate(zl[l]):
            back = sum(z_j.grad * Wl[l][j][i] for j, z_j in enumerate(zl[l + 1]))
            assert close(z.grad, sigma_prime(z.data, activation) * back)
            assert close(z.grad, r.delta[l - 2][i])


# ---------------------------------------------- cross-entropy (§9)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", SHAPES)
def test_cross_entropy_with_sigmoid_output_error_is_a_minus_y(sizes, activation):
    """Cross-entropy with a sigmoid output: δ^L = a^L − y (docs/backprop.md §9)."""
    _, trace, _, r, y = solve(sizes, activation, "cross_entropy", seed=7)
    for j, (a, z) in enumerate(zip(trace.a[-1], trace.z[-1], strict=True)):
        assert close(z.grad, a.data - y[j])
        # the general BP1 form gives the same: σ'(z) = a(1−a) cancels ∂C/∂a's denominator
        general = cost_gradient([a.data], [y[j]], "cross_entropy")[0] * sigma_prime(z.data)
        assert close(general, a.data - y[j])
        assert close(r.delta[-1][j], a.data - y[j])


# ---------------------------------------------- generated networks
@st.composite
def networks(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 8), min_size=n_layers + 1, max_size=n_layers + 1))
    cost = draw(st.sampled_from(COSTS))
    activation = draw(st.sampled_from(ACTIVATIONS))
    out = "sigmoid" if cost == "cross_entropy" else draw(st.sampled_from(ACTIVATIONS))
    unit = st.floats(-1.0, 1.0, allow_nan=False)
    W = [
        [[w / math.sqrt(nin) for w in draw(st.lists(unit, min_size=nin, max_size=nin))]
         for _ in range(nout)]
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    B = [draw(st.lists(unit, min_size=n, max_size=n)) for n in sizes[1:]]
    x = draw(st.lists(unit, min_size=sizes[0], max_size=sizes[0]))
    y = draw(st.lists(st.floats(0.0, 1.0), min_size=sizes[-1], max_size=sizes[-1]))
    return W, B, x, y, activation, cost, out


def check_bp1_to_bp4(W, B, x, y, activation, cost, out):
    if cost == "cross_entropy":  # the cost needs 0 < a^L < 1 in floating point
        _, a = forward(W, B, x, [activation] * (len(W) - 1) + [out])
        assume(all(1e-12 < a_j < 1 - 1e-12 for a_j in a[-1]))
    mlp, trace, loss = engine_backward(W, B, x, y, activation, cost, out)
    r = backprop(W, B, x, y, activation, cost, out)
    assert close(loss.data, r.cost)
    for i, layer in enumerate(mlp.layers):
        for j, neuron in enumerate(layer.neurons):
            assert close(trace.z[i][j].grad, r.delta[i][j])  # BP1 (last layer), BP2
            assert close(neuron.b.grad, r.grad_b[i][j])  # BP3
            for k, w in enumerate(neuron.w):
                assert close(w.grad, r.grad_w[i][j][k])  # BP4


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_bp1_to_bp4_hold_for_generated_networks(net):
    """BP1–BP4 (docs/backprop.md §5–§7) on networks hypothesis draws."""
    check_bp1_to_bp4(*net)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_bp1_to_bp4_hold_for_many_generated_networks(net):
    check_bp1_to_bp4(*net)
