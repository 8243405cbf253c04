"""The training library (microgrid.train, microgrid.plot, losses.get): what `microgrid train`
runs, called from Python as a notebook would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from microgrid import MLP, Value, losses
from microgrid.backprop import forward
from microgrid.data import make_blobs, make_moons
from microgrid.gradient_check import numerical_grads
from microgrid.optim import SGD, Adam
from microgrid.train import (
    Objective,
    TrainingError,
    evaluate,
    fit,
    layer_sizes,
    loss_and_gradients,
    output_numbers,
    predict,
)


def moons_setup(name="hinge", hidden=(8,), seed=0, n=30):
    X, y = make_moons(n=n, noise=0.1, seed=seed)
    objective = Objective(name, n_classes=2)
    mlp = MLP(2, [*hidden, objective.n_outputs], activation="tanh", output_activation="linear",
              seed=seed)
    return X, y, objective, mlp


# ---------------------------------------------------------------------------- losses.get
def test_losses_get_finds_every_loss_by_its_name():
    assert losses.get("hinge") is losses.hinge
    assert losses.get("softmax_cross_entropy") is losses.softmax_cross_entropy
    assert set(losses.LOSSES) == {"quadratic", "mse", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "softmax_cross_entropy",
                                  "hinge"}


@pytest.mark.parametrize("name", ["huber", "", None, ["hinge"]])
def test_losses_get_with_an_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(ValueError, match=r"unknown loss .*; valid losses are 'quadratic', 'mse'"):
        losses.get(name)


# ---------------------------------------------------------------------------- Objective
def test_objective_with_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid objectives are 'hinge', 'bce', 'mse', 'softmax'"):
        Objective("huber")


@pytest.mark.parametrize("n_classes", [1, 0, 2.0, True, "3"])
def test_objective_needs_an_int_number_of_classes_of_at_least_two(n_classes):
    with pytest.raises(ValueError, match="n_classes must be an int ≥ 2"):
        Objective("softmax", n_classes=n_classes)


@pytest.mark.parametrize("name", ["hinge", "bce", "mse"])
def test_a_two_class_objective_refuses_three_classes(name):
    with pytest.raises(ValueError, match=f"the {name} loss separates two classes.*use softmax"):
        Objective(name, n_classes=3)


def test_objective_outputs_and_classes():
    assert Objective("hinge").n_outputs == 1
    assert Objective("softmax", n_classes=4).n_outputs == 4
    two = Objective("bce")
    assert two.classify([0.3]) == 1 and two.classify([-0.3]) == 0 and two.classify([0.0]) == 0
    assert Objective("softmax", n_classes=3).classify([0.1, 2.0, -1.0]) == 1


@pytest.mark.parametrize(
    "name, function, targets",
    [
        ("hinge", losses.hinge, [0, 1, 1]),
        ("bce", losses.binary_cross_entropy_with_logits, [0, 1, 1]),
        ("mse", losses.mse, [-1.0, 1.0, 1.0]),  # labels 0/1 become targets ±1
    ],
)
def test_objective_loss_is_the_named_loss_on_the_labels(name, function, targets):
    scores = [Value(0.4), Value(-0.2), Value(1.5)]
    assert Objective(name).loss(scores, [0, 1, 1]).data == function(scores, targets).data


# ---------------------------------------------------------------------------- one step
@pytest.mark.parametrize("name", ["hinge", "bce", "mse", "softmax"])
def test_loss_and_gradients_gives_the_finite_difference_gradient_of_the_batch_loss(name):
    X, y, _, _ = moons_setup()
    objective = Objective(name)
    mlp = MLP(2, [5, objective.n_outputs], activation="tanh", output_activation="linear",
              seed=1)
    params = mlp.parameters()
    for p in params:
        p.grad = 123.0  # stale gradients from an earlier step must not leak in
    loss, accuracy = loss_and_gradients(mlp, X, y, objective)
    analytic = [p.grad for p in params]

    def batch_loss(*_):
        return objective.loss([mlp(x) for x in X], y)

    numeric = numerical_grads(batch_loss, params)
    assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-7)
    assert loss == batch_loss().data
    assert accuracy == evaluate(mlp, X, y, objective).accuracy


# ---------------------------------------------------------------------------- fit
def test_fit_records_every_step_and_learns_the_moons():
    X, y, objective, mlp = moons_setup()
    before = evaluate(mlp, X, y, objective)
    history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.05), steps=40)
    after = evaluate(mlp, X, y, objective)
    assert len(history) == len(history.accuracy) == 40 and not history.interrupted
    assert history.loss[0] == before.loss  # a full batch: step 1 sees the untrained network
    assert after.loss < before.loss / 2
    assert after.accuracy >= 0.8
    assert history.seconds > 0


def test_fit_is_repeatable_for_a_seed_with_random_batches():
    runs = []
    for _ in range(2):
        X, y, objective, mlp = moons_setup()
        fit(mlp, X, y, objective, SGD(mlp.parameters(), lr=0.1), steps=5, batch_size=7, seed=3)
        runs.append(mlp.weights())
    assert runs[0] == runs[1]


def test_fit_calls_on_step_with_what_it_records():
    X, y, objective, mlp = moons_setup()
    seen = []
    history = fit(mlp, X, y, objective, Adam(mlp.parameters()), steps=3,
                  on_step=lambda *args: seen.append(args))
    assert seen == [(i + 1, history.loss[i], history.accuracy[i]) for i in range(3)]


def test_fit_stopped_by_ctrl_c_returns_the_steps_done():
    X, y, objective, mlp = moons_setup()

    def interrupt_at_3(step, loss, accuracy):
        if step == 3:
            raise KeyboardInterrupt

    history = fit(mlp, X, y, objective, Adam(mlp.parameters()), steps=10,
                  on_step=interrupt_at_3)
    assert history.interrupted and len(history) == 3


def test_a_failing_step_is_a_training_error_naming_the_step():
    X, y, objective, mlp = moons_setup()
    with pytest.raises(TrainingError, match=r"training stopped at step 2: .*overflow") as info:
        fit(mlp, X, y, objective, SGD(mlp.parameters(), lr=1e308), steps=5)
    assert info.value.step == 2 and len(info.value.history) == 1  # the steps before it


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps must be a positive int"),
        ({"steps": 2, "batch_size": 31}, r"batch_size must be an int in 1..30"),
        ({"steps": 2, "batch_size": 0}, r"batch_size must be an int in 1..30"),
    ],
)
def test_fit_refuses_bad_steps_and_batch_sizes(kwargs, message):
    X, y, objective, mlp = moons_setup()
    with pytest.raises(ValueError, match=message):
        fit(mlp, X, y, objective, Adam(mlp.parameters()), **kwargs)


def test_fit_refuses_a_network_with_the_wrong_number_of_outputs():
    X, y = make_blobs(n=30, k=3, seed=0)
    mlp = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="softmax loss with 3 classes needs 3 output"):
        fit(mlp, X, y, Objective("softmax", 3), Adam(mlp.parameters()), steps=1)


def test_fit_refuses_points_and_labels_of_different_lengths():
    X, y, objective, mlp = moons_setup()
    with pytest.raises(ValueError, match="30 points but 29 labels"):
        fit(mlp, X, y[:-1], objective, Adam(mlp.parameters()), steps=1)


# ---------------------------------------------------------------------------- using the model
def test_predict_on_floats_agrees_with_the_network_itself():
    X, y = make_blobs(n=40, k=3, seed=2)
    objective = Objective("softmax", n_classes=3)
    mlp = MLP(2, [6, 3], activation="relu", output_activation="linear", seed=2)
    fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.05), steps=10)
    grid = [(a / 4, b / 4) for a in range(-12, 13, 3) for b in range(-12, 13, 3)] + X
    engine = [objective.classify(output_numbers(mlp(p))) for p in grid]
    assert predict(mlp, grid, objective) == engine
    # and the float forward pass is microgrid.backprop's, number for number
    W, B = mlp.weights(), mlp.biases()
    a_L = forward(W, B, X[0], ["relu", "linear"])[1][-1]
    assert a_L == pytest.approx(output_numbers(mlp(X[0])), rel=1e-12, abs=1e-12)


def test_predict_reads_the_output_layer_with_its_own_activation():
    # sigmoid hidden layers, a linear output: σ on the output would make every class 1
    X, y, objective, _ = moons_setup()
    mlp = MLP(2, [4, 1], activation="sigmoid", output_activation="linear", seed=0)
    fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.1), steps=20)
    classes = predict(mlp, X, objective)
    assert classes == [objective.classify(output_numbers(mlp(x))) for x in X]
    assert set(classes) == {0, 1}


def test_evaluate_counts_the_points_classified_right():
    X, y, objective, mlp = moons_setup()
    result = evaluate(mlp, X, y, objective)
    expected = sum(c == label for c, label in zip(predict(mlp, X, objective), y))
    assert (result.correct, result.total) == (expected, 30)
    assert result.loss == objective.loss([mlp(x) for x in X], y).data
    assert str(result) == f"loss {result.loss:.4f}, accuracy {result.accuracy:.1%} " \
        f"({expected}/30)"


def test_evaluate_records_no_graph():
    """Evaluation differentiates nothing, so it runs under no_grad: every output is a leaf."""
    X, y, objective, mlp = moons_setup()
    seen = []

    class Spy(Objective):
        def loss(self, outputs, labels):
            seen.extend(outputs)
            return super().loss(outputs, labels)

    spy = Spy(objective.name, objective.n_classes)
    result = evaluate(mlp, X, y, spy)
    assert len(seen) == len(X) and all(not o.parents for o in seen)
    assert result.loss == objective.loss([mlp(x) for x in X], y).data  # the same numbers


def test_layer_sizes_and_output_numbers():
    assert layer_sizes(MLP(2, [16, 16, 1])) == "2-16-16-1"
    assert output_numbers(Value(2.5)) == [2.5]
    assert output_numbers([Value(1.0), Value(-1.0)]) == [1.0, -1.0]


# ---------------------------------------------------------------------------- plot
def test_training_figure_draws_history_and_regions(tmp_path):
    from microgrid.plot import training_figure

    X, y, objective, mlp = moons_setup()
    history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.05), steps=5)
    fig = training_figure(mlp, X, y, objective, history, evaluation=evaluate(mlp, X, y,
                                                                              objective))
    titles = [ax.get_title() for ax in fig.axes]
    assert "training (each step's batch, before its update)" in titles
    assert any(t.startswith("decision regions, training accuracy") for t in titles)
    fig.savefig(tmp_path / "fit.svg")
    assert (tmp_path / "fit.svg").read_text().rstrip().endswith("</svg>")


@pytest.mark.parametrize("resolution", [1, 0, 2.5, True])
def test_decision_regions_need_a_grid_of_at_least_two_by_two(resolution):
    from microgrid.plot import plot_decision_regions

    X, y, objective, mlp = moons_setup()
    with pytest.raises(ValueError, match="resolution must be an int ≥ 2"):
        plot_decision_regions(mlp, X, y, objective, resolution=resolution)


def test_check_image_path_names_the_formats_that_work():
    from microgrid.plot import check_image_path

    assert check_image_path("a/b/fit.PNG") == "png"
    with pytest.raises(ValueError, match=r"'fit.txt' has the suffix .txt; an image needs one of "
                                         r".*\.pdf.*\.png.*\.svg"):
        check_image_path("fit.txt")


def test_plot_without_matplotlib_says_how_to_install_it():
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "from microgrid.plot import check_image_path\n"   # importing the module is fine
        "import microgrid.train, microgrid.cli\n"
        "try:\n"
        "    check_image_path('fit.png')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "microgrid.plot needs matplotlib" in p.stdout
    assert "pip install 'microgrid[plot]'" in p.stdout


# ---------------------------------------------------------------------------- compiled steps
@pytest.mark.parametrize("name", ["hinge", "bce", "mse", "softmax"])
def test_fit_compiled_follows_the_rebuilt_graph_step_by_step(name):
    """The compiled replay is the same forward and backward pass: the same losses, accuracies
    and final weights as rebuilding the graph every step."""
    runs = []
    for compiled in (True, False):
        X, y, objective, mlp = moons_setup(name)
        history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.05), steps=15,
                      compiled=compiled)
        runs.append((history, [p.data for p in mlp.parameters()]))
    (fast, w_fast), (slow, w_slow) = runs
    assert fast.compiled_steps == 15 and slow.compiled_steps == 0
    assert fast.accuracy == slow.accuracy
    assert max(abs(a - b) for a, b in zip(fast.loss, slow.loss)) <= 1e-12
    assert max(abs(a - b) for a, b in zip(w_fast, w_slow)) <= 1e-12


def test_mini_batches_rebuild_the_graph_every_step():
    X, y, objective, mlp = moons_setup()
    history = fit(mlp, X, y, objective, SGD(mlp.parameters(), lr=0.1), steps=3, batch_size=5)
    assert history.compiled_steps == 0


def test_a_failed_replay_hands_the_rest_of_training_to_the_interpreter(monkeypatch):
    import microgrid.train as train

    real = train.compile_graph

    def failing_from_step_3(root, **kw):
        step, calls = real(root, **kw), []

        def replay():
            calls.append(1)
            if len(calls) >= 3:
                raise OverflowError("exp(800.0) overflows a float")
            return step()

        return replay

    monkeypatch.setattr(train, "compile_graph", failing_from_step_3)
    X, y, objective, mlp = moons_setup()
    history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.05), steps=6)
    monkeypatch.setattr(train, "compile_graph", real)
    X, y, objective, ref = moons_setup()
    expected = fit(ref, X, y, objective, Adam(ref.parameters(), lr=0.05), steps=6,
                   compiled=False)
    assert history.compiled_steps == 2 and len(history) == 6
    assert max(abs(a - b) for a, b in zip(history.loss, expected.loss)) <= 1e-12
