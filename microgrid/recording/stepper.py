"""The training playground's Python: one run, advanced a few steps at a time by the page.

    run = Stepper(dataset="moons", hidden=[16, 16], activation="relu", loss="hinge",
                  optimizer="adam", lr=0.01, steps=500)
    page_data = run.start()          # what the player draws first: the data and frame 0
    while not run.done:
        update = run.advance(10)     # the curves' new points and a frame of the weights

The steps are `microgrid.train.fit`'s: the full batch's loss graph built once and replayed by
`microgrid.compile` (the same numbers as rebuilding it, several times faster), and the
interpreter if it cannot be compiled.  Pausing is simply not calling `advance`.  Every
setting is checked when the run is made: a value out of range is a ValueError of one line
naming it, which the playground shows as it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import data as datasets
from ..nn import MLP
from ..notation import ACTIVATIONS
from ..optim import SGD, Adam
from ..train import OBJECTIVES, Objective, _CompiledBatch, evaluate, layer_sizes, loss_and_gradients
from .page import _exact, _number, run_header

__all__ = ["Stepper", "LIMITS"]

DATASETS = ("moons", "circles", "xor", "blobs")
#: the playground's ranges: big enough to see everything, small enough to train in a page
LIMITS = {"samples": (4, 400), "layers": (0, 4), "width": (1, 32), "lr": (1e-5, 10.0),
          "steps": (1, 100_000), "noise": (0.0, 1.0)}


def _int_in(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _float_in(name: str, value: object, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _one_of(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value  # type: ignore[return-value]


class Stepper:
    """One training run that the page advances: settings as `microgrid train` names them."""

    def __init__(self, dataset: str = "moons", samples: int = 100, noise: float | None = None,
                 hidden: Sequence[int] = (16, 16), activation: str = "relu",
                 loss: str = "hinge", optimizer: str = "adam", lr: float | None = None,
                 steps: int = 500, seed: int = 0) -> None:
        dataset = _one_of("dataset", dataset, DATASETS)
        samples = _int_in("samples", samples, *LIMITS["samples"])
        if noise is not None:
            noise = _float_in("noise", noise, *LIMITS["noise"])
        if not isinstance(hidden, (list, tuple)):
            raise ValueError(f"hidden sizes must be a list of whole numbers, got {hidden!r}")
        _int_in("the number of hidden layers", len(hidden), *LIMITS["layers"])
        hidden = [_int_in("a hidden layer's size", h, *LIMITS["width"]) for h in hidden]
        activation = _one_of("activation", activation, [a for a in ACTIVATIONS if a != "linear"])
        loss = _one_of("loss", loss, list(OBJECTIVES))
        optimizer = _one_of("optimizer", optimizer, ["adam", "sgd"])
        lr = {"adam": 0.01, "sgd": 0.1}[optimizer] if lr is None else \
            _float_in("learning rate", lr, *LIMITS["lr"])
        self.steps = _int_in("steps", steps, *LIMITS["steps"])
        classes = {"k": 3} if dataset == "blobs" else {}
        if dataset == "blobs" and loss != "softmax":
            raise ValueError(f"blobs has 3 classes; the {loss} loss separates two: use softmax")
        self.X, self.y = getattr(datasets, f"make_{dataset}")(
            n=samples, seed=seed, **({} if noise is None else {"noise": noise}), **classes)
        self.objective = Objective(loss, n_classes=max(self.y) + 1)
        self.mlp = MLP(2, [*hidden, self.objective.n_outputs], activation=activation,
                       output_activation="linear", seed=seed)
        params = self.mlp.parameters()
        self.optimizer = Adam(params, lr=lr) if optimizer == "adam" else \
            SGD(params, lr=lr, momentum=0.9)
        self.about = (f"{dataset}: {samples} points · MLP {layer_sizes(self.mlp)} "
                      f"({activation} hidden, linear output) · {loss} loss · "
                      f"{optimizer} lr {lr:g} · {self.steps} steps")
        self.step = 0
        self.replay: _CompiledBatch | None = None
        self.compiled = self.started = False

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    def start(self) -> dict[str, Any]:
        """Build (and compile) the loss's graph; the page's data with frame 0 and no curve yet."""
        self.replay = _CompiledBatch.build(self.mlp, self.X, self.y, self.objective)
        self.compiled = self.replay is not None
        self.started = True
        return {
            **run_header(self.mlp, self.X, self.y, self.objective, self.about),
            "steps": self.steps,
            "compiled": self.compiled,
            "curves": {"label": "loss", "stride": 1, "loss": [], "accuracy": []},
            "frames": [self._frame(final=False)],
        }

    def _frame(self, final: bool) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "step": self.step,
            "W": [[[_number(w) for w in row] for row in layer] for layer in self.mlp.weights()],
            "B": [[_number(b) for b in layer] for layer in self.mlp.biases()],
        }
        if final:  # the trained network on all points, as `microgrid train` prints it
            result = evaluate(self.mlp, self.X, self.y, self.objective)
            frame.update(loss=_exact(result.loss), accuracy=result.accuracy,
                         correct=result.correct)
        return frame

    def advance(self, n: int = 1) -> dict[str, Any]:
        """Run up to ``n`` more steps (not past ``steps``): each step's loss and accuracy
        (before its update, as `fit` records them) and a frame of the weights after them."""
        n = _int_in("advance: n", n, 1, LIMITS["steps"][1])
        if not self.started:
            self.start()
        loss: list[float | None] = []
        accuracy: list[float] = []
        for _ in range(min(n, self.steps - self.step)):
            result = self.replay.run() if self.replay is not None else None
            if result is None:  # not compiled, or the replay failed: the interpreter
                self.replay = None
                result = loss_and_gradients(self.mlp, self.X, self.y, self.objective)
            self.optimizer.step()
            self.step += 1
            loss.append(_number(result[0], 5))
            accuracy.append(_number(result[1], 4))
        return {"loss": loss, "accuracy": accuracy, "frame": self._frame(final=self.done),
                "done": self.done}

    def example(self, index: int) -> tuple[list[float], int]:
        """Point ``index`` of the data and its label."""
        index = _int_in("example", index, 0, len(self.X) - 1)
        return list(self.X[index]), self.y[index]

    def explore_html(self, index: int = 0) -> str:
        """The explorer's page (`microgrid.explore`) of one example's loss at the current
        weights: its forward pass and its backward pass, the δ wave."""
        from ..explorer import explore

        x, label = self.example(index)
        C = self.objective.loss([self.mlp(x)], [label])
        C.label = "C"
        return explore(C, max_nodes=None).html
