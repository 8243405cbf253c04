"""The recording of a training run and the one-file page that plays it.

A `Recorder` is `microgrid.train.fit`'s ``on_step``: it keeps every step's loss and accuracy
(the curves) and, at the steps `recorded_steps` picks, a *frame*: the network's weights w^l_jk
and biases b^l_j after that many optimizer steps, with the loss and accuracy of those weights
on all the points (`microgrid.train.evaluate`).  Frame 0 is the initial network and the last
frame the trained one, so the page's last step shows the loss `evaluate` gives the final model
(the number ``microgrid train`` prints).

The page draws the decision regions itself from a frame's weights (the forward pass
z^l = w^l a^{l−1} + b^l, a^l = σ(z^l) of docs/backprop.md §2 on a grid), so a frame costs only
its parameters: 10,000 steps of a 2-16-16-1 net fit in well under a megabyte.
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from collections.abc import Sequence
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from ..nn import MLP
from ..train import History, Objective, evaluate, layer_sizes

__all__ = ["Recorder", "Recording", "recorded_steps", "page_html", "player_assets"]

#: the page stays under this many bytes (the issue's bound is 5 MB): `Recorder` records fewer
#: frames, and thins the curves, for a network or a run too big for it
BUDGET = 4_500_000
#: at most this many points per curve (a longer run's curves keep every k-th step)
CURVE_POINTS = 20_000
DIGITS = 4  # significant digits of a recorded weight: what the drawing can show


def recorded_steps(steps: int, regular: int = 100) -> list[int]:
    """The steps a recording keeps a frame of, for a run of ``steps`` steps: 0 and ``steps``,
    every ``steps/regular``-th step, and a geometric series 1, 2, 3, 4, 6, 8, 12, … (ratio
    ≈ 1.4), because a network changes most in its first steps."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"recorded_steps: steps must be an int ≥ 0, got {steps!r}")
    if isinstance(regular, bool) or not isinstance(regular, int) or regular < 1:
        raise ValueError(f"recorded_steps: regular must be a positive int, got {regular!r}")
    chosen = {0, steps}
    chosen.update(round(steps * i / regular) for i in range(1, regular))
    g = 1.0
    while g < steps:
        chosen.add(math.ceil(g))
        g *= 1.4
    return sorted(chosen)


def _number(x: float, digits: int = DIGITS) -> float | None:
    """``x`` to ``digits`` significant digits for the page; None (JSON null) if not finite."""
    return float(f"{x:.{digits}g}") if math.isfinite(x) else None


def _exact(x: float) -> float | None:
    return x if math.isfinite(x) else None


def run_header(mlp: Any, X: Sequence, y: Sequence, objective: Any, about: str,
               title: str = "") -> dict[str, Any]:
    """What the player needs of a run before its steps: the network's shape, the objective,
    the points and the extent of the decision regions (as `microgrid.plot` draws them)."""
    xs, ys, pad = [p[0] for p in X], [p[1] for p in X], 0.5
    return {
        "title": title or f"MLP {layer_sizes(mlp)}",
        "about": about,
        "sizes": [mlp.nin, *mlp.nouts],
        "activation": mlp.activation,
        "output_activation": mlp.output_activation,
        "objective": objective.name,
        "classes": objective.n_classes,
        "points": [[_number(p[0], 5), _number(p[1], 5), int(c)] for p, c in zip(X, y)],
        "extent": [min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad],
    }


class Recorder:
    """`microgrid.train.fit`'s ``on_step`` that records the run: ``fit(…, on_step=recorder)``
    (or call it from your own ``on_step``), then ``recorder.finish(history)``.

    ``regular`` is how many evenly spaced frames to aim for (see `recorded_steps`); fewer are
    kept when the page would pass `BUDGET` bytes (a network with many weights).  ``about``
    is a line saying what was trained (the page's subtitle).
    """

    def __init__(self, mlp: MLP, X: Sequence[Sequence[float]], y: Sequence[int],
                 objective: Objective, steps: int, *, regular: int = 100,
                 about: str = "", curve_label: str = "loss") -> None:
        self.mlp, self.X, self.y, self.objective = mlp, X, y, objective
        self.about = about or (f"{len(X)} points · MLP {layer_sizes(mlp)} ({mlp.activation} "
                               f"hidden, {mlp.output_activation} output) · {objective.name} loss "
                               f"· {steps} steps")
        self.curve_label = curve_label
        n_params = len(mlp.parameters())
        # a frame: each parameter as ≈ 9 characters of JSON, plus its step, loss, accuracy
        per_frame = 9 * n_params + 80
        self.stride = max(1, math.ceil((steps + 1) / CURVE_POINTS))
        curves = 2 * 9 * (steps + 1) // self.stride + 40 * len(X)
        room = max(2, (BUDGET - curves - 200_000) // per_frame - 40)  # 40: the geometric ones
        self.wanted = set(recorded_steps(steps, max(1, min(regular, room))))
        self.frames: list[dict[str, Any]] = [self._frame(0)]

    def _frame(self, step: int) -> dict[str, Any]:
        try:
            result = evaluate(self.mlp, self.X, self.y, self.objective)
            loss, accuracy, correct = _exact(result.loss), result.accuracy, result.correct
        except (ValueError, ArithmeticError):  # weights that overflow: training says so itself
            loss = accuracy = correct = None
        return {
            "step": step,
            "loss": loss,  # exact: the page prints it as the command does
            "accuracy": accuracy,
            "correct": correct,
            "W": [[[_number(w) for w in row] for row in layer] for layer in self.mlp.weights()],
            "B": [[_number(b) for b in layer] for layer in self.mlp.biases()],
        }

    def __call__(self, step: int, loss: float, accuracy: float) -> None:
        """After optimizer step ``step``: keep a frame of the weights if it is a chosen step."""
        if step in self.wanted:
            self.frames.append(self._frame(step))

    def finish(self, history: History, title: str = "") -> Recording:
        """The recording of the run ``history`` describes (its curves; frames recorded so far,
        plus the network as it is now if the run stopped early, e.g. at Ctrl-C)."""
        done = len(history)
        if self.frames[-1]["step"] != done:
            self.frames.append(self._frame(done))
        last = self.frames[-1]
        # curve entry t: the loss with the weights after t steps, as fit saw it before step
        # t + 1 (its batch's); the last one the final network's on all points
        loss = [*history.loss, last["loss"]]
        accuracy = [*history.accuracy, last["accuracy"]]
        data = {
            **run_header(self.mlp, self.X, self.y, self.objective, self.about, title),
            "steps": done,
            "curves": {
                "label": self.curve_label,
                "stride": self.stride,
                "loss": [_number(v, 5) for v in loss[::self.stride]],
                "accuracy": [_number(v, 4) for v in accuracy[::self.stride]],
            },
            "frames": self.frames,
        }
        return Recording(data)


class Recording:
    """A recorded run: ``data`` (what the page plays, as embedded in it), ``html`` (the page)
    and ``save(path)``; in Jupyter it shows inline."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.html = page_html(data)

    @property
    def final_loss(self) -> float | None:
        """The loss of the last frame: the trained network's on all the points."""
        return self.data["frames"][-1]["loss"]

    def save(self, path: str | PathLike) -> Path:
        """Write the page to ``path`` (one .html file), atomically: a file of that name is
        either the whole page or what was there before, never half a page."""
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                   dir=path.parent if str(path.parent) else ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.html)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a page is for reading
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe class="microgrid-recording" title="{html.escape(self.data["title"])}" '
                f'srcdoc="{html.escape(self.html, quote=True)}" '
                'style="width:100%;height:760px;border:1px solid #ccc"></iframe>')


def player_assets() -> tuple[str, str]:
    """The player's script and style sheet (``player.js``, ``player.css``): inlined into a
    recording's page, served by the site for the training playground."""
    files = resources.files("microgrid.recording")
    return (files.joinpath("player.js").read_text(encoding="utf-8"),
            files.joinpath("player.css").read_text(encoding="utf-8"))


def page_html(data: dict[str, Any]) -> str:
    """The self-contained page that plays the recording ``data``: everything inline."""
    script, style = player_assets()
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    blob = blob.replace("</", "<\\/")  # a "</script>" in a title cannot end the script early
    title = html.escape(data["title"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>microgrid · watch it learn · {title}</title>
<style>{style}</style>
</head><body class="mgp-page">
<div id="player"></div>
<script type="application/json" id="mg-recording">{blob}</script>
<script>{script}</script>
<script>
MicrogridPlayer.mount(document.getElementById("player"),
  JSON.parse(document.getElementById("mg-recording").textContent), {{keys: document}});
</script>
</body></html>
"""
