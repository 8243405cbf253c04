"""Training a classifier step by step: the loop behind ``microgrid train``, usable from a notebook.

    from microgrid import MLP
    from microgrid.data import make_moons
    from microgrid.optim import Adam
    from microgrid.train import Objective, evaluate, fit

    X, y = make_moons(n=100, noise=0.1, seed=0)
    objective = Objective("hinge")                      # the loss, and how an output is read
    mlp = MLP(2, [16, 16, objective.n_outputs], activation="relu", output_activation="linear",
              seed=0)
    history = fit(mlp, X, y, objective, Adam(mlp.parameters(), lr=0.01), steps=200)
    print(evaluate(mlp, X, y, objective))               # loss 0.0146, accuracy 100.0% (100/100)

Each step follows the derivation (docs/backprop.md §3, §5–§7): the loss of a batch, L = Σ_n C^n
up to a constant factor, is built as one graph; ``backward()`` fills every ∂L/∂θ (BP1–BP4);
the optimizer moves θ.  `loss_and_gradients` is that forward and backward pass and nothing
else, so it is the one place to replace with a compiled step; `evaluate` and `predict` are the
only places that run the network without training it.
"""

from __future__ import annotations

import numbers
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from . import losses
from .backprop import forward
from .compiler import compile as compile_graph
from .engine import Value
from .idioms import no_grad
from .nn import MLP
from .optim import Optimizer

__all__ = [
    "OBJECTIVES", "Objective", "History", "Evaluation", "TrainingError",
    "fit", "record", "loss_and_gradients", "evaluate", "predict", "output_numbers",
    "layer_sizes",
]

Points = Sequence[Sequence[float]]
Labels = Sequence[int]

#: the classification objectives by name, and how each reads the network's output
OBJECTIVES = {
    "hinge": "max(0, 1 − y·s), labels ±1, one output (class = sign of s)",
    "bce": "binary cross-entropy from the logit s, one output (class = s > 0)",
    "mse": "mean squared error to targets ±1, one output (class = sign of s)",
    "softmax": "softmax cross-entropy, one output per class (class = argmax)",
}
# the function of microgrid.losses each objective minimises
_LOSS = {"hinge": "hinge", "bce": "binary_cross_entropy_with_logits", "mse": "mse",
         "softmax": "softmax_cross_entropy"}


class Objective:
    """What training minimises and how the output a^L of one example reads as a class.

    ``Objective("hinge" | "bce" | "mse", n_classes=2)`` uses one output s (class 1 when
    s > 0); ``Objective("softmax", n_classes=K)`` uses K outputs (the class is the largest).
    Labels are class numbers 0 … K−1, as `microgrid.data` makes them.
    """

    def __init__(self, name: str, n_classes: int = 2) -> None:
        if name not in OBJECTIVES:
            valid = ", ".join(map(repr, OBJECTIVES))
            raise ValueError(f"unknown objective {name!r}; valid objectives are {valid}")
        if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) \
                or n_classes < 2:
            raise ValueError(f"Objective: n_classes must be an int ≥ 2, got {n_classes!r}")
        if n_classes > 2 and name != "softmax":
            raise ValueError(
                f"the {name} loss separates two classes, but there are {n_classes}; "
                "use softmax"
            )
        self.name = name
        self.n_classes = int(n_classes)
        self.n_outputs = self.n_classes if name == "softmax" else 1
        self._loss = losses.get(_LOSS[name])

    def loss(self, outputs: Sequence[Value | list[Value]], labels: Labels) -> Value:
        """The mean loss of a batch: ``outputs[n]`` is the network's output for example n."""
        if self.name == "mse":  # regress onto ±1, so that the sign is the class
            return self._loss(outputs, [2.0 * c - 1.0 for c in labels])
        return self._loss(outputs, labels)

    def classify(self, scores: Sequence[float]) -> int:
        """The class that one example's output numbers ``scores`` (a^L) stand for."""
        if len(scores) == 1:
            return int(scores[0] > 0.0)
        return max(range(len(scores)), key=scores.__getitem__)

    def hits(self, outputs: Sequence[Value | list[Value]], labels: Labels) -> int:
        """How many of the outputs (``mlp(x)`` for each example) read as their label."""
        return sum(self.classify(output_numbers(o)) == c for o, c in zip(outputs, labels))

    def __repr__(self) -> str:
        return f"Objective({self.name!r}, n_classes={self.n_classes})"


def output_numbers(output: Value | Sequence[Value]) -> list[float]:
    """What ``mlp(x)`` returned, as a list of floats (one per output neuron)."""
    if isinstance(output, Value):
        return [output.data]
    return [v.data for v in output]


def layer_sizes(mlp: MLP) -> str:
    """``"2-16-16-1"``: the input size and every layer's size."""
    return "-".join(str(n) for n in [mlp.nin, *mlp.nouts])


# ---------------------------------------------------------------------------- one step
def loss_and_gradients(mlp: MLP, X: Points, y: Labels, objective: Objective) -> tuple[float, float]:
    """One step's forward and backward pass over the batch ``(X, y)``.

    Builds the graph of the batch's loss L, sets every parameter's ``grad`` to ∂L/∂θ (zeroed
    first: BP1–BP4 by the chain rule, docs/backprop.md §5–§7) and returns L and the batch's
    accuracy, both as they were *before* the optimizer's update.
    """
    outputs = [mlp(x) for x in X]
    loss = objective.loss(outputs, y)
    hits = objective.hits(outputs, y)
    mlp.zero_grad()
    loss.backward()
    return loss.data, hits / len(y)


class _CompiledBatch:
    """The full batch's loss graph, built once and replayed by `microgrid.compile` each step:
    the same zeroing, forward and backward pass as `loss_and_gradients`, without rebuilding."""

    def __init__(self, mlp: MLP, outputs: list, labels: Labels, objective: Objective,
                 step: Callable[[], float]) -> None:
        self.mlp, self.outputs, self.labels = mlp, outputs, labels
        self.objective, self.step = objective, step

    @classmethod
    def build(cls, mlp: MLP, X: Points, y: Labels, objective: Objective) -> _CompiledBatch | None:
        outputs = [mlp(x) for x in X]
        kept = [v for o in outputs for v in (o if isinstance(o, list) else [o])]
        try:
            step = compile_graph(objective.loss(outputs, y), keep=kept)
        except (ValueError, ArithmeticError):  # too big to compile, or the loss refused
            return None
        return cls(mlp, outputs, list(y), objective, step)

    def run(self) -> tuple[float, float] | None:
        """(L, accuracy) like `loss_and_gradients`; None if the replay failed (no grad changed)."""
        self.mlp.zero_grad()
        try:
            loss = self.step()  # the outputs' .data are this step's (keep=)
        except (ValueError, ArithmeticError):
            return None
        hits = self.objective.hits(self.outputs, self.labels)
        return loss, hits / len(self.labels)


# ---------------------------------------------------------------------------- the loop
@dataclass
class History:
    """What `fit` saw, one entry per step: the batch's loss and accuracy before that step's
    update (so the last entry is not the final model's; `evaluate` gives that)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0  # the steps' time, without building and compiling the graph
    compile_seconds: float = 0.0  # building and compiling the full batch's graph (see `fit`)
    interrupted: bool = False  # stopped by Ctrl-C (KeyboardInterrupt) before the last step
    compiled_steps: int = 0  # how many steps replayed the compiled graph (see `fit`)

    def __len__(self) -> int:
        return len(self.loss)


class TrainingError(Exception):
    """A step failed (an overflow, a refused optimizer step); ``history`` has the steps before."""

    def __init__(self, step: int, cause: BaseException, history: History) -> None:
        super().__init__(f"training stopped at step {step}: {cause}")
        self.step, self.cause, self.history = step, cause, history


def fit(
    mlp: MLP,
    X: Points,
    y: Labels,
    objective: Objective,
    optimizer: Optimizer,
    steps: int,
    *,
    batch_size: int | None = None,
    seed: int | None = 0,
    on_step: Callable[[int, float, float], object] | None = None,
    compiled: bool = True,
    on_compile: Callable[[float, bool], object] | None = None,
) -> History:
    """Train ``mlp`` on ``(X, y)`` for ``steps`` optimizer steps; return the `History`.

    Each step uses ``batch_size`` points drawn at random (a generator seeded with ``seed``,
    so a run is repeatable), or all of them (``None``).  ``on_step(step, loss, accuracy)`` is
    called after every step (a progress bar).  Ctrl-C stops training where it is and returns
    the steps done, with ``history.interrupted`` set; a step that fails raises
    `TrainingError` (the parameters keep the last good step's values).

    With all points in every step (the default) and ``compiled=True``, the graph of the loss
    is built once and replayed by `microgrid.compile` (the same numbers, several times
    faster).  Mini-batches change the graph every step, so they use the interpreter, as does
    a graph too big to compile; and a replay that fails (e.g. softmax's shift, frozen at
    build time, overflowing) hands the rest of the training to the interpreter.  Building and
    compiling that graph happens before step 1 and is timed apart (``history.compile_seconds``,
    not in ``history.seconds``); ``on_compile(seconds, compiled)`` is called when it is done
    (``compiled`` False when the graph was too big or refused), so a progress display can say
    what the pause before step 1 was.
    """
    n = _check_data(mlp, X, y, objective)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"fit: steps must be a positive int, got {steps!r}")
    batch = n if batch_size is None else batch_size
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= n:
        raise ValueError(f"fit: batch_size must be an int in 1..{n} (the points), got {batch!r}")
    rng = random.Random(seed)
    order = list(range(n))
    history = History()
    step = 0
    replay = None
    if compiled and batch == n:
        start = time.perf_counter()
        replay = _CompiledBatch.build(mlp, X, y, objective)
        history.compile_seconds = time.perf_counter() - start
        if on_compile is not None:
            on_compile(history.compile_seconds, replay is not None)
    start = time.perf_counter()
    try:
        for step in range(1, steps + 1):
            result = replay.run() if replay is not None else None
            if result is None:  # no compiled step, or its replay failed: the interpreter
                replay = None
                idx = order if batch == n else rng.sample(order, batch)
                result = loss_and_gradients(mlp, [X[i] for i in idx], [y[i] for i in idx],
                                            objective)
            else:
                history.compiled_steps += 1
            loss, accuracy = result
            optimizer.step()  # θ ← θ − η ∂L/∂θ (or Adam's version of it)
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            if on_step is not None:
                on_step(step, loss, accuracy)
    except KeyboardInterrupt:
        history.interrupted = True
    except (ValueError, ArithmeticError) as e:  # e.g. a step too large: non-finite numbers
        raise TrainingError(step, e, history) from e
    finally:
        history.seconds = time.perf_counter() - start
    return history


def record(path: str | PathLike, mlp: MLP, X: Points, y: Labels, objective: Objective,
           optimizer: Optimizer, steps: int, **fit_options: Any) -> History:
    """`fit`, and write one self-contained page to ``path`` (.html) that plays the run back:
    a scrubber and Play, the loss and accuracy curves, the decision regions with the points
    and the network's weights at the recorded steps (`microgrid.recording`).  Its last step
    is the trained network, with the loss `evaluate` gives it.  ``fit_options`` are `fit`'s
    (an ``on_step`` of yours is called too).  The page is written whole or not at all."""
    from .recording import Recorder

    if not str(path).endswith(".html"):
        raise ValueError(f"record: the page is HTML; give a path ending in .html, got {path!r}")
    batch = fit_options.get("batch_size")
    recorder = Recorder(mlp, X, y, objective, steps,
                        curve_label="loss" if batch in (None, len(X)) else "batch loss")
    on_step = fit_options.pop("on_step", None)

    def both(step: int, loss: float, accuracy: float) -> None:
        recorder(step, loss, accuracy)
        if on_step is not None:
            on_step(step, loss, accuracy)

    history = fit(mlp, X, y, objective, optimizer, steps, on_step=both, **fit_options)
    recorder.finish(history).save(path)
    return history


# ---------------------------------------------------------------------------- using the model
@dataclass(frozen=True)
class Evaluation:
    """The network's loss and accuracy on a data set (all of it, after training)."""

    loss: float
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    def __str__(self) -> str:
        return (f"loss {self.loss:.4f}, accuracy {self.accuracy:.1%} "
                f"({self.correct}/{self.total})")


def evaluate(mlp: MLP, X: Points, y: Labels, objective: Objective) -> Evaluation:
    """Loss and accuracy of ``mlp`` on ``(X, y)`` from one forward pass; changes no parameter.

    Runs under `no_grad`: nothing is differentiated here, so no graph is recorded (faster,
    and the memory of one node per operation is never taken; bench W5 measures it)."""
    _check_data(mlp, X, y, objective)
    with no_grad():
        outputs = [mlp(x) for x in X]
        loss = objective.loss(outputs, y).data
    correct = objective.hits(outputs, y)
    return Evaluation(loss, correct, len(y))


def predict(mlp: MLP, X: Points, objective: Objective) -> list[int]:
    """The class of every point of ``X``, computed on plain floats with the closed-form
    forward pass of `microgrid.backprop` (z^l = w^l a^{l-1} + b^l, a^l = σ(z^l), docs/
    backprop.md §2): no graph is built, so a grid of thousands of points stays quick."""
    W, B = mlp.weights(), mlp.biases()
    activations = [mlp.activation] * (len(mlp.layers) - 1) + [mlp.output_activation]
    return [objective.classify(forward(W, B, x, activations)[1][-1]) for x in X]


def _check_data(mlp: MLP, X: Points, y: Labels, objective: Objective) -> int:
    if len(X) != len(y) or not X:
        raise ValueError(f"{len(X)} points but {len(y)} labels; need as many, at least one")
    if mlp.nouts[-1] != objective.n_outputs:
        raise ValueError(
            f"the {objective.name} loss with {objective.n_classes} classes needs "
            f"{objective.n_outputs} output(s), but the network has {mlp.nouts[-1]}"
        )
    return len(X)
