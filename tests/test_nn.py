"""Specification of microgrid.nn: MLP shapes, initialisation, activations, the trace in the
notation of docs/backprop.md §1 (input = layer 1), weights as plain numbers, and gradients
against PyTorch."""

from __future__ import annotations

import math
import random

import pytest
import torch

import microgrid as mg
from microgrid import MLP, Layer, Neuron, Value

X = [0.5, -1.0, 2.0]
ACTIVATION_FNS = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
}


def _quadratic_loss(out, y):
    """C = ½ Σ_j (y_j − a_j)²."""
    return 0.5 * mg.sum([(yj - aj) ** 2 for yj, aj in zip(y, out, strict=True)])


# ---------------------------------------------------------------- shapes and parameters


def test_mlp_layers_have_the_requested_shapes():
    mlp = MLP(3, [4, 2], seed=0)
    assert len(mlp.layers) == 2
    assert [len(layer.neurons) for layer in mlp.layers] == [4, 2]
    assert [len(n.w) for n in mlp.layers[0].neurons] == [3] * 4
    assert [len(n.w) for n in mlp.layers[1].neurons] == [4] * 2


def test_parameters_are_every_weight_and_bias_once():
    mlp = MLP(3, [4, 2], seed=0)
    params = mlp.parameters()
    assert len(params) == (3 + 1) * 4 + (4 + 1) * 2
    assert len({id(p) for p in params}) == len(params)
    assert all(isinstance(p, Value) for p in params)


def test_neuron_and_layer_parameters():
    n = Neuron(3, seed=0)
    assert n.parameters() == [*n.w, n.b]
    layer = Layer(3, 2, seed=0)
    assert len(layer.parameters()) == 2 * 4


def test_same_seed_gives_the_same_weights():
    assert MLP(3, [4, 2], seed=7).weights() == MLP(3, [4, 2], seed=7).weights()


def test_different_seeds_give_different_weights():
    assert MLP(3, [4, 2], seed=7).weights() != MLP(3, [4, 2], seed=8).weights()


def test_rng_argument_is_used_for_initialisation():
    assert MLP(3, [4, 2], rng=random.Random(7)).weights() == MLP(3, [4, 2], seed=7).weights()


def test_rng_argument_advances_so_two_models_from_one_rng_differ():
    rng = random.Random(7)
    assert MLP(3, [4, 2], rng=rng).weights() != MLP(3, [4, 2], rng=rng).weights()


def test_seed_and_rng_together_is_a_value_error():
    with pytest.raises(ValueError, match="seed"):
        MLP(3, [4, 2], seed=0, rng=random.Random(0))


def test_weights_start_uniform_in_plus_minus_one_over_sqrt_nin_and_biases_at_zero():
    # Each layer has its own nin (64, 32, 40), so a bound of ±1 or ±1/√(first nin) is wrong.
    mlp = MLP(64, [32, 40, 1], seed=0)
    for i, (w_l, b_l) in enumerate(zip(mlp.weights(), mlp.biases(), strict=True)):
        nin = len(w_l[0])
        scale = 1 / math.sqrt(nin)
        flat = [w for row in w_l for w in row]
        assert len(set(flat)) == len(flat), f"layer {i + 2}: equal weights"
        assert all(abs(w) <= scale for w in flat), f"layer {i + 2}: a weight beyond ±1/√{nin}"
        assert b_l == [0.0] * len(b_l)
        if len(flat) >= 1000:  # spread over the whole interval, not all tiny
            assert max(flat) > 0.95 * scale and min(flat) < -0.95 * scale, f"layer {i + 2}"
            mean_abs = sum(map(abs, flat)) / len(flat)  # uniform: scale/2, ± ~1% here
            assert 0.45 * scale < mean_abs < 0.55 * scale, f"layer {i + 2}: {mean_abs / scale}"


# ---------------------------------------------------------------- calling the network


def test_one_output_neuron_gives_a_single_value():
    out = MLP(3, [4, 1], seed=0)(X)
    assert isinstance(out, Value)


def test_several_output_neurons_give_a_list_of_values():
    out = MLP(3, [4, 2], seed=0)(X)
    assert isinstance(out, list) and len(out) == 2
    assert all(isinstance(o, Value) for o in out)


def test_inputs_may_be_values_and_receive_gradients():
    # ∂out/∂x_k, checked against central finite differences of the network on plain numbers.
    mlp = MLP(3, [4, 1], activation="tanh", seed=0)
    xs = [Value(x) for x in X]
    mlp(xs).backward()
    h = 1e-6
    for k, x in enumerate(xs):
        up, down = list(X), list(X)
        up[k] += h
        down[k] -= h
        fd = (mlp(up).data - mlp(down).data) / (2 * h)
        assert x.grad == pytest.approx(fd, rel=1e-6, abs=1e-9), f"input {k + 1}"
        assert x.grad != 0.0


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
def test_wrong_number_of_inputs_states_expected_and_given(bad):
    with pytest.raises(ValueError, match=rf"3\b.*\b{len(bad)}\b"):
        MLP(3, [4, 1], seed=0)(bad)


def test_wrong_number_of_inputs_is_checked_by_trace_too():
    with pytest.raises(ValueError, match=r"3\b.*\b2\b"):
        MLP(3, [4, 1], seed=0).trace([1.0, 2.0])


def test_a_neuron_called_on_numbers_returns_one_value():
    n = Neuron(3, seed=0)
    out = n(X)
    assert isinstance(out, Value)
    z = sum(w.data * x for w, x in zip(n.w, X, strict=True)) + n.b.data
    assert out.data == pytest.approx(ACTIVATION_FNS["sigmoid"](z), rel=1e-15)


def test_a_layer_called_on_numbers_returns_a_list_of_its_neurons_outputs():
    layer = Layer(3, 2, seed=0)
    out = layer(X)
    assert isinstance(out, list)
    assert [a.data for a in out] == [n(X).data for n in layer.neurons]


@pytest.mark.parametrize("make", [lambda: Neuron(3, seed=0), lambda: Layer(3, 2, seed=0)],
                         ids=["Neuron", "Layer"])
def test_neuron_and_layer_check_the_number_of_inputs_too(make):
    with pytest.raises(ValueError, match=r"3\b.*\b2\b"):
        make()([1.0, 2.0])


def test_non_numeric_input_is_a_type_error_naming_the_type():
    with pytest.raises(TypeError, match="str"):
        MLP(3, [4, 1], seed=0)([1.0, "2", 3.0])


# ---------------------------------------------------------------- activations


def test_default_activation_is_sigmoid_on_every_layer():
    t = MLP(3, [4, 2], seed=0).trace(X)
    for zs, as_ in zip(t.z, t.a, strict=True):
        for z, a in zip(zs, as_, strict=True):
            assert a.data == pytest.approx(ACTIVATION_FNS["sigmoid"](z.data), rel=1e-15)


@pytest.mark.parametrize("act", list(ACTIVATION_FNS))
def test_output_activation_none_means_the_same_as_activation(act):
    t = MLP(3, [4, 2], activation=act, seed=0).trace(X)
    for zs, as_ in zip(t.z, t.a, strict=True):
        for z, a in zip(zs, as_, strict=True):
            assert a.data == pytest.approx(ACTIVATION_FNS[act](z.data), rel=1e-15)


@pytest.mark.parametrize("hidden, output", [("tanh", "linear"), ("relu", "sigmoid")])
def test_output_activation_applies_to_the_last_layer_only(hidden, output):
    t = MLP(3, [4, 3, 2], activation=hidden, output_activation=output, seed=1).trace(X)
    for i, (zs, as_) in enumerate(zip(t.z, t.a, strict=True)):
        f = ACTIVATION_FNS[output if i == len(t.z) - 1 else hidden]
        for z, a in zip(zs, as_, strict=True):
            assert a.data == pytest.approx(f(z.data), rel=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(3, [2, 1], activation="softmax"),
        lambda: MLP(3, [2, 1], output_activation="Sigmoid"),
        lambda: Layer(3, 2, activation="gelu"),
        lambda: Neuron(3, activation="step"),
    ],
    ids=["MLP activation", "MLP output_activation", "Layer", "Neuron"],
)
def test_unknown_activation_is_a_value_error_listing_the_valid_ones(make):
    with pytest.raises(ValueError) as info:
        make()
    for name in ACTIVATION_FNS:
        assert name in str(info.value)


# ---------------------------------------------------------------- the trace and its labels


def test_trace_has_z_and_a_per_layer_and_neuron():
    t = MLP(3, [4, 2], seed=0).trace(X)
    assert [len(zs) for zs in t.z] == [4, 2]
    assert [len(as_) for as_ in t.a] == [4, 2]


def test_trace_output_equals_calling_the_network():
    mlp = MLP(3, [4, 2], seed=0)
    assert [o.data for o in mlp.trace(X).output] == [o.data for o in mlp(X)]
    single = MLP(3, [4, 1], seed=0)
    assert single.trace(X).output.data == single(X).data


def test_a_preactivation_is_one_dot_node_with_parents_w_a_b():
    mlp = MLP(3, [4, 2], seed=0)
    xs = [Value(x) for x in X]
    t = mlp.trace(xs)
    n0 = mlp.layers[0].neurons[2]
    assert t.z[0][2].parents == (*n0.w, *xs, n0.b)
    n1 = mlp.layers[1].neurons[1]
    assert t.z[1][1].parents == (*n1.w, *t.a[0], n1.b)
    assert t.z[1][1].local_grads == (*(a.data for a in t.a[0]), *(w.data for w in n1.w), 1.0)


def test_an_activation_node_has_its_preactivation_as_only_parent():
    t = MLP(3, [4, 2], seed=0).trace(X)
    assert t.a[0][3].parents == (t.z[0][3],)


def test_parameter_labels_use_the_documents_notation_input_is_layer_1():
    mlp = MLP(3, [2, 1], seed=0)
    assert mlp.layers[0].neurons[0].w[2].label == "w^2_{13}"
    assert mlp.layers[0].neurons[1].w[0].label == "w^2_{21}"
    assert mlp.layers[0].neurons[0].b.label == "b^2_1"
    assert mlp.layers[1].neurons[0].w[1].label == "w^3_{12}"
    assert mlp.layers[1].neurons[0].b.label == "b^3_1"


def test_trace_labels_use_the_documents_notation():
    t = MLP(3, [2, 1], seed=0).trace(X)
    assert [z.label for z in t.z[0]] == ["z^2_1", "z^2_2"]
    assert [a.label for a in t.a[0]] == ["a^2_1", "a^2_2"]
    assert (t.z[1][0].label, t.a[1][0].label) == ("z^3_1", "a^3_1")


def test_calling_the_network_labels_the_output_like_the_trace():
    out = MLP(3, [2, 1], seed=0)(X)
    assert out.label == "a^3_1"
    assert out.parents[0].label == "z^3_1"


def test_every_parameter_has_a_distinct_label():
    labels = [p.label for p in MLP(3, [4, 4, 2], seed=0).parameters()]
    assert len(set(labels)) == len(labels)


def test_preactivation_grad_is_delta_of_bp1_for_a_sigmoid_output():
    # BP1 on a single output neuron with C = ½ (y − a)²: δ = (a − y) σ'(z).
    t = MLP(3, [2, 1], seed=3).trace(X)
    y = 0.25
    _quadratic_loss([t.output], [y]).backward()
    a = t.a[1][0].data
    assert t.z[1][0].grad == pytest.approx((a - y) * a * (1 - a), rel=1e-12)


def test_deltas_are_the_same_after_a_second_backward():
    t = MLP(3, [4, 2], seed=0).trace(X)
    loss = _quadratic_loss(t.output, [0.0, 1.0])
    loss.backward()
    first = [[z.grad for z in zs] for zs in t.z]
    loss.backward()
    assert [[z.grad for z in zs] for zs in t.z] == first


# ---------------------------------------------------------------- weights as numbers


def test_weights_and_biases_have_the_documented_shapes():
    mlp = MLP(3, [4, 2], seed=0)
    W, B = mlp.weights(), mlp.biases()
    assert [len(Wi) for Wi in W] == [4, 2]
    assert [len(row) for row in W[0]] == [3] * 4
    assert [len(row) for row in W[1]] == [4] * 2
    assert [len(Bi) for Bi in B] == [4, 2]
    assert W[1][0][3] == mlp.layers[1].neurons[0].w[3].data
    assert B[0][2] == mlp.layers[0].neurons[2].b.data
    assert all(type(w) is float for Wi in W for row in Wi for w in row)


def test_load_weights_round_trips_weights_biases_and_outputs():
    src, dst = MLP(3, [4, 2], seed=0), MLP(3, [4, 2], seed=1)
    for n in src.layers[1].neurons:
        n.b.data = 0.3  # biases start at 0; make them worth copying
    dst.load_weights(src.weights(), src.biases())
    assert dst.weights() == src.weights()
    assert dst.biases() == src.biases()
    assert [o.data for o in dst(X)] == [o.data for o in src(X)]


def test_load_weights_keeps_the_parameter_objects():
    mlp = MLP(3, [4, 2], seed=0)
    params = mlp.parameters()
    mlp.load_weights(MLP(3, [4, 2], seed=1).weights(), mlp.biases())
    assert all(p is q for p, q in zip(mlp.parameters(), params, strict=True))


def _shape_errors():
    W = MLP(3, [4, 2], seed=1).weights()
    B = MLP(3, [4, 2], seed=1).biases()
    return [
        pytest.param(W + [[[1.0]]], B, r"2\b.*\b3\b", id="one layer too many in W"),
        pytest.param(W, B[:1], r"2\b.*\b1\b", id="one layer too few in B"),
        pytest.param([W[0][:3], W[1]], B, r"4\b.*\b3\b", id="a missing row"),
        pytest.param([W[0], [W[1][0], W[1][1][:3]]], B, r"4\b.*\b3\b", id="last row too short"),
        pytest.param(W, [B[0], [*B[1], 0.0]], r"2\b.*\b3\b", id="last bias list too long"),
    ]


@pytest.mark.parametrize("W, B, pattern", _shape_errors())
def test_load_weights_with_a_wrong_shape_states_expected_and_given(W, B, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLP(3, [4, 2], seed=0).load_weights(W, B)


@pytest.mark.parametrize("W, B, pattern", _shape_errors())
def test_a_failed_load_weights_changes_nothing(W, B, pattern):
    mlp = MLP(3, [4, 2], seed=0)
    before = (mlp.weights(), mlp.biases())
    with pytest.raises(ValueError):
        mlp.load_weights(W, B)
    assert (mlp.weights(), mlp.biases()) == before


def test_a_load_with_a_bad_last_number_changes_nothing():
    mlp = MLP(3, [4, 2], seed=0)
    before = (mlp.weights(), mlp.biases())
    W = MLP(3, [4, 2], seed=1).weights()
    W[1][1][3] = float("nan")
    with pytest.raises(ValueError):
        mlp.load_weights(W, mlp.biases())
    W[1][1][3] = "0.5"
    with pytest.raises(TypeError, match="str"):
        mlp.load_weights(W, mlp.biases())
    assert (mlp.weights(), mlp.biases()) == before


# ---------------------------------------------------------------- gradients


def test_zero_grad_resets_every_parameter():
    mlp = MLP(3, [4, 2], seed=0)
    _quadratic_loss(mlp(X), [0.0, 1.0]).backward()
    assert any(p.grad != 0.0 for p in mlp.parameters())
    mlp.zero_grad()
    assert all(p.grad == 0.0 for p in mlp.parameters())


def test_parameter_grads_accumulate_over_examples_until_zero_grad():
    mlp = MLP(3, [4, 1], seed=0)
    _quadratic_loss([mlp(X)], [1.0]).backward()
    once = [p.grad for p in mlp.parameters()]
    _quadratic_loss([mlp(X)], [1.0]).backward()
    assert [p.grad for p in mlp.parameters()] == pytest.approx([2 * g for g in once], rel=1e-15)


def _torch_forward(torch, W, B, x, acts):
    fns = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "linear": lambda z: z,
    }
    Ws = [torch.tensor(Wi, dtype=torch.float64, requires_grad=True) for Wi in W]
    Bs = [torch.tensor(Bi, dtype=torch.float64, requires_grad=True) for Bi in B]
    a = torch.tensor(x, dtype=torch.float64)
    zs = []
    for Wi, bi, act in zip(Ws, Bs, acts, strict=True):
        z = Wi @ a + bi
        z.retain_grad()
        zs.append(z)
        a = fns[act](z)
    return Ws, Bs, zs, a


@pytest.mark.parametrize(
    "activation, output_activation",
    [("sigmoid", None), ("tanh", None), ("relu", "linear"), ("tanh", "sigmoid")],
)
def test_parameter_grads_and_deltas_match_pytorch(activation, output_activation):
    mlp = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, seed=4)
    for layer in mlp.layers:  # non-zero biases so their gradient path is exercised
        for j, n in enumerate(layer.neurons):
            n.b.data = 0.1 * (j + 1)
    y = [0.2, -0.6]
    t = mlp.trace(X)
    _quadratic_loss(t.output, y).backward()

    acts = [activation, activation, output_activation or activation]
    Ws, Bs, zs, out = _torch_forward(torch, mlp.weights(), mlp.biases(), X, acts)
    (0.5 * ((torch.tensor(y, dtype=torch.float64) - out) ** 2).sum()).backward()

    assert [a.data for a in t.output] == pytest.approx(out.tolist(), rel=1e-12)
    for i, layer in enumerate(mlp.layers):
        for j, n in enumerate(layer.neurons):
            close = {"rel": 1e-10, "abs": 1e-15}
            assert [w.grad for w in n.w] == pytest.approx(Ws[i].grad[j].tolist(), **close)
            assert n.b.grad == pytest.approx(Bs[i].grad[j].item(), **close)
            assert t.z[i][j].grad == pytest.approx(zs[i].grad[j].item(), **close)  # δ^l_j
