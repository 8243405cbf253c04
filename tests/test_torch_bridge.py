"""microgrid.torch_bridge: the same network in PyTorch gives the same outputs and the same
gradients."""

from __future__ import annotations

import random

import pytest
import torch

from microgrid import MLP
from microgrid.losses import mse
from microgrid.torch_bridge import from_torch, to_torch

nn = torch.nn

ARCHITECTURES = [
    (2, [16, 16, 1], "relu", "linear"),
    (3, [4, 2], "sigmoid", "sigmoid"),
    (4, [5, 3, 2], "tanh", "linear"),
    (2, [3], "linear", "tanh"),
]


def batch(nin, n=8, seed=0):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


def outputs(mlp, xs):
    out = []
    for x in xs:
        y = mlp(x)
        out.append([v.data for v in y] if isinstance(y, list) else [y.data])
    return out


@pytest.mark.parametrize(("nin", "nouts", "act", "out_act"), ARCHITECTURES)
def test_to_torch_computes_the_same_outputs(nin, nouts, act, out_act):
    mlp = MLP(nin, nouts, act, out_act, seed=3)
    xs = batch(nin)
    net = to_torch(mlp)
    got = net(torch.tensor(xs, dtype=torch.float64)).tolist()
    for row, expected in zip(got, outputs(mlp, xs), strict=True):
        assert row == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("nin", "nouts", "act", "out_act"), ARCHITECTURES)
def test_to_torch_gives_the_same_gradients_for_every_weight_and_bias(nin, nouts, act, out_act):
    mlp = MLP(nin, nouts, act, out_act, seed=4)
    xs = batch(nin, seed=1)
    rng = random.Random(2)
    ys = [[rng.uniform(-1, 1) for _ in range(nouts[-1])] for _ in xs]
    net = to_torch(mlp)

    preds = [mlp(x) for x in xs]
    preds = [p if isinstance(p, list) else [p] for p in preds]
    mse(preds, ys).backward()

    loss = nn.functional.mse_loss(
        net(torch.tensor(xs, dtype=torch.float64)), torch.tensor(ys, dtype=torch.float64)
    )
    loss.backward()
    linears = [m for m in net if isinstance(m, nn.Linear)]
    for layer, linear in zip(mlp.layers, linears, strict=True):
        for j, neuron in enumerate(layer.neurons):
            assert [w.grad for w in neuron.w] == pytest.approx(
                linear.weight.grad[j].tolist(), rel=1e-10, abs=1e-14
            )
            assert neuron.b.grad == pytest.approx(linear.bias.grad[j].item(), rel=1e-10, abs=1e-14)


def test_to_torch_is_linear_then_activation_modules_with_none_after_a_linear_layer():
    net = to_torch(MLP(2, [3, 3, 1], "tanh", "linear", seed=0))
    assert [type(m) for m in net] == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]


def test_to_torch_uses_float64_by_default_and_honours_dtype():
    mlp = MLP(2, [3, 1], seed=0)
    assert next(to_torch(mlp).parameters()).dtype == torch.float64
    assert next(to_torch(mlp, dtype=torch.float32).parameters()).dtype == torch.float32


def test_the_torch_weights_are_the_documents_w_jk():
    mlp = MLP(3, [2], seed=0)
    linear = to_torch(mlp)[0]
    assert linear.weight.tolist() == mlp.weights()[0]
    assert linear.bias.tolist() == mlp.biases()[0]


@pytest.mark.parametrize(("nin", "nouts", "act", "out_act"), ARCHITECTURES)
def test_from_torch_of_to_torch_gives_back_the_same_mlp(nin, nouts, act, out_act):
    mlp = MLP(nin, nouts, act, out_act, seed=5)
    back = from_torch(to_torch(mlp))
    assert (back.nin, back.nouts, back.activation, back.output_activation) == (
        nin, nouts, act if len(nouts) > 1 else out_act, out_act,
    )
    assert back.weights() == mlp.weights() and back.biases() == mlp.biases()


def test_from_torch_reads_a_network_built_in_torch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.Sigmoid(), nn.Linear(5, 2), nn.Identity())
    mlp = from_torch(net)
    assert (mlp.activation, mlp.output_activation) == ("sigmoid", "linear")
    xs = batch(3)
    got = net(torch.tensor(xs)).double().tolist()
    for row, expected in zip(got, outputs(mlp, xs), strict=True):
        assert row == pytest.approx(expected, rel=1e-5)  # torch computed in float32


def test_from_torch_gives_a_linear_without_bias_zero_biases():
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1))
    assert from_torch(net).biases()[0] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        (lambda: [nn.Linear(2, 3), nn.Dropout(0.5), nn.Linear(3, 1)], "module 1 is Dropout"),
        (lambda: [nn.ReLU(), nn.Linear(2, 1)], "must directly follow a Linear"),
        (lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Tanh()], "must directly follow a Linear"),
        (lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)], "takes 4 inputs"),
        (
            lambda: [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)],
            "different activations",
        ),
        (lambda: [], "no Linear layer"),
        (lambda: [nn.Linear(2, 3), nn.Sequential(nn.ReLU())], "module 1 is Sequential"),
    ],
)
def test_from_torch_rejects_what_an_mlp_cannot_express(modules, message):
    with pytest.raises(ValueError, match=message):
        from_torch(nn.Sequential(*modules()))


def test_from_torch_wants_a_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        from_torch(nn.Linear(2, 1))


def test_to_torch_wants_an_mlp():
    with pytest.raises(TypeError, match="MLP"):
        to_torch(nn.Linear(2, 1))
