"""Optimizers: closed forms, step-by-step agreement with torch.optim (float64), validation,
and a real training run (two moons)."""

from __future__ import annotations

import math
import time

import pytest
import torch

from microgrid import MLP, Value
from microgrid.data import make_moons
from microgrid.losses import hinge
from microgrid.optim import SGD, Adam

START = [0.5, -1.5, 2.0]


def f_engine(p):
    """A non-quadratic loss, so the gradient changes from step to step."""
    x, y, z = p
    return (x * y - 1.0) ** 2 + (z.tanh() + x) ** 2 + 0.1 * z**4


def f_torch(p):
    x, y, z = p
    return (x * y - 1.0) ** 2 + (torch.tanh(z) + x) ** 2 + 0.1 * z**4


def run_both(make_ours, make_theirs, steps=8):
    """Run both optimizers from START and return both parameter trajectories."""
    ours = [Value(v) for v in START]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    opt, topt = make_ours(ours), make_theirs(theirs)
    a, b = [], []
    for _ in range(steps):
        opt.zero_grad()
        f_engine(ours).backward()
        opt.step()
        topt.zero_grad()
        f_torch(theirs).backward()
        topt.step()
        a.append([p.data for p in ours])
        b.append([p.item() for p in theirs])
    return a, b


def assert_trajectories_match(a, b):
    for step, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x == pytest.approx(y, rel=1e-12, abs=1e-14), f"step {step + 1}"


# ------------------------------------------------------------------------- SGD
def test_sgd_step_is_theta_minus_eta_times_gradient():
    p = [Value(1.0), Value(-2.0)]
    p[0].grad, p[1].grad = 0.5, -4.0
    SGD(p, lr=0.1).step()
    assert [v.data for v in p] == pytest.approx([1.0 - 0.05, -2.0 + 0.4])


def test_sgd_momentum_accumulates_a_velocity():
    p = Value(0.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = 1.0
    opt.step()  # v = 1
    p.grad = 2.0
    opt.step()  # v = 0.9 + 2 = 2.9
    assert p.data == pytest.approx(-0.1 * 1.0 - 0.1 * 2.9)


def test_sgd_weight_decay_adds_lambda_theta_to_the_gradient():
    p = Value(2.0)
    p.grad = 1.0
    SGD([p], lr=0.1, weight_decay=0.5).step()
    assert p.data == pytest.approx(2.0 - 0.1 * (1.0 + 0.5 * 2.0))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"momentum": 0.9}, {"weight_decay": 0.01}, {"momentum": 0.5, "weight_decay": 0.1}],
)
def test_sgd_matches_torch_sgd_over_several_steps(kwargs):
    a, b = run_both(
        lambda p: SGD(p, lr=0.05, **kwargs), lambda p: torch.optim.SGD(p, lr=0.05, **kwargs)
    )
    assert_trajectories_match(a, b)


# ------------------------------------------------------------------------- Adam
def test_adam_first_step_moves_each_parameter_by_about_lr_against_its_gradient_sign():
    # At t = 1, m̂ = g and v̂ = g², so the step is η g / (|g| + ε) ≈ η sign(g).
    p = [Value(1.0), Value(1.0)]
    p[0].grad, p[1].grad = 3.0, -0.002
    Adam(p, lr=0.01).step()
    assert p[0].data == pytest.approx(1.0 - 0.01 * 3.0 / (3.0 + 1e-8))
    assert p[1].data == pytest.approx(1.0 + 0.01 * 0.002 / (0.002 + 1e-8))


def test_adam_second_step_uses_bias_corrected_moments():
    p = Value(0.0)
    opt = Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0 + 1e-12)
    p.grad = 1.0
    opt.step()
    first = p.data
    p.grad = 3.0
    opt.step()
    m_hat = (0.5 * 0.5 * 1.0 + 0.5 * 3.0) / (1 - 0.5**2)
    v_hat = (0.75 * 0.25 * 1.0 + 0.25 * 9.0) / (1 - 0.75**2)
    assert p.data == pytest.approx(first - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-12))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"betas": (0.8, 0.99)}, {"weight_decay": 0.05}, {"eps": 1e-3, "betas": (0.5, 0.9)}],
)
def test_adam_matches_torch_adam_over_several_steps(kwargs):
    a, b = run_both(
        lambda p: Adam(p, lr=0.05, **kwargs),
        lambda p: torch.optim.Adam(p, lr=0.05, **kwargs),
        steps=12,
    )
    assert_trajectories_match(a, b)


# ------------------------------------------------------------------------- shared behaviour
@pytest.mark.parametrize("cls", [SGD, Adam])
def test_zero_grad_clears_every_parameter_gradient(cls):
    p = [Value(1.0), Value(2.0)]
    p[0].grad, p[1].grad = 3.0, -1.0
    cls(p).zero_grad()
    assert [v.grad for v in p] == [0.0, 0.0]


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_a_non_finite_gradient_raises_and_changes_no_parameter(cls):
    p = [Value(1.0), Value(2.0)]
    p[0].grad, p[1].grad = 1.0, math.nan
    with pytest.raises(ValueError, match=r"params\[1\].*nan"):
        cls(p, lr=0.1).step()
    assert [v.data for v in p] == [1.0, 2.0]


def _state(opt) -> tuple:
    return (list(opt.velocity),) if isinstance(opt, SGD) else (opt.t, list(opt.m), list(opt.v))


def _run_with_a_refused_step(cls, kw: dict, refuse_at: int | None, how: str) -> tuple:
    """Four valid steps on fixed gradients; before step `refuse_at` one step is refused
    (an update that overflows, or a non-finite gradient).  Returns (parameters, state)."""
    p = [Value(0.5), Value(-1.5), Value(2.0)]
    opt = cls(p, **kw)
    for k in range(4):
        if k == refuse_at:
            before = ([v.data for v in p], _state(opt))
            lr = opt.lr
            if how == "overflow":  # η·g (SGD) or η/(1 − β1^t) (Adam) is inf
                opt.lr = 1e308
                for v in p:
                    v.grad = 1e308
            else:
                p[1].grad = math.inf
            with pytest.raises(ValueError):
                opt.step()
            assert ([v.data for v in p], _state(opt)) == before, "a refused step changed state"
            opt.lr = lr
        for j, v in enumerate(p):
            v.grad = math.sin(1.0 + k + 2 * j)  # the same gradients in every run
        opt.step()
    return [v.data for v in p], _state(opt)


@pytest.mark.parametrize("how", ["overflow", "non-finite-gradient"])
@pytest.mark.parametrize("refuse_at", [0, 2])
@pytest.mark.parametrize(
    "cls, kw",
    [
        (SGD, {"lr": 0.1, "momentum": 0.9}),
        (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
        (Adam, {"lr": 0.05}),
        (Adam, {"lr": 0.05, "weight_decay": 0.01}),
    ],
    ids=["sgd-momentum", "sgd-momentum-decay", "adam", "adam-decay"],
)
def test_a_refused_step_leaves_velocity_t_m_v_untouched_and_is_as_if_never_tried(
    cls, kw, refuse_at, how
):
    # SGD's velocity and Adam's t, m, v must not advance on a step that raised: the run with
    # a refused step ends exactly where a run that never tried it ends.
    assert _run_with_a_refused_step(cls, kw, refuse_at, how) == _run_with_a_refused_step(
        cls, kw, None, how
    )


def test_a_step_that_would_overflow_raises_and_changes_no_parameter():
    p = [Value(1.0), Value(1e308)]
    p[0].grad, p[1].grad = 1.0, -1e308
    with pytest.raises(ValueError, match="learning rate"):
        SGD(p, lr=10.0).step()
    assert [v.data for v in p] == [1.0, 1e308]


BAD_HYPERPARAMETERS = [
    (SGD, {"lr": 0.0}, ValueError, "lr must be > 0"),
    (SGD, {"lr": -0.1}, ValueError, "lr must be > 0"),
    (SGD, {"lr": math.nan}, ValueError, "lr must be finite"),
    (SGD, {"lr": "0.1"}, TypeError, "lr must be a real number"),
    (SGD, {"momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\)"),
    (SGD, {"momentum": -0.1}, ValueError, "momentum"),
    (SGD, {"weight_decay": -1e-4}, ValueError, "weight_decay must be ≥ 0"),
    (Adam, {"lr": 0}, ValueError, "lr must be > 0"),
    (Adam, {"betas": (1.0, 0.999)}, ValueError, r"betas\[0\]"),
    (Adam, {"betas": (0.9, -0.1)}, ValueError, r"betas\[1\]"),
    (Adam, {"betas": 0.9}, ValueError, "betas must be a pair"),
    (Adam, {"eps": 0.0}, ValueError, "eps must be > 0"),
    (Adam, {"weight_decay": math.inf}, ValueError, "weight_decay must be finite"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "message"), BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_rejected(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls([Value(1.0)], **kwargs)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_an_empty_parameter_list_is_rejected(cls):
    with pytest.raises(ValueError, match="empty"):
        cls([])


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_a_parameter_listed_twice_is_rejected(cls):
    p = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        cls([p, p])


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_params_must_be_values(cls):
    with pytest.raises(TypeError, match=r"params\[1\] is float"):
        cls([Value(1.0), 2.0])


# ------------------------------------------------------------------------- training
def test_adam_with_hinge_loss_trains_two_moons_to_95_percent_within_150_steps():
    X, y = make_moons(n=100, noise=0.1, seed=0)
    mlp = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    opt = Adam(mlp.parameters(), lr=0.05)
    start = time.perf_counter()
    steps = 0
    while True:
        scores = [mlp(x) for x in X]  # the whole dataset is one batch
        acc = sum((s.data > 0) == (c == 1) for s, c in zip(scores, y, strict=True)) / len(y)
        if acc >= 0.95 or steps == 150:
            break
        loss = hinge(scores, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    elapsed = time.perf_counter() - start
    assert acc >= 0.95, f"training accuracy {acc:.2f} after {steps} steps ({elapsed:.1f} s)"
