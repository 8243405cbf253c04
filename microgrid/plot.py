"""Pictures of training: the loss and accuracy per step, and a classifier's decision regions.

    from microgrid.plot import training_figure
    fig = training_figure(mlp, X, y, objective, history)   # a matplotlib Figure
    fig                                                    # Jupyter shows it
    fig.savefig("train.png")

`plot_history` and `plot_decision_regions` draw one panel each, on an ``ax`` you give (or on
a new figure).  Figures are made without pyplot, so nothing opens a window or needs a
display, and nothing changes matplotlib's global state.  matplotlib is imported on first use
(``pip install 'microgrid[plot]'``): the rest of microgrid works without it, and here its
absence is an ImportError saying how to install it.
"""

from __future__ import annotations

import os
from typing import Any

from .nn import MLP
from .train import Evaluation, History, Labels, Objective, Points, layer_sizes, predict

__all__ = [
    "PLOT_HINT", "require_matplotlib", "image_formats", "check_image_path",
    "plot_history", "plot_decision_regions", "training_figure",
]

PLOT_HINT = "install matplotlib with: pip install 'microgrid[plot]'"


def require_matplotlib() -> Any:
    """The matplotlib module, or an ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(f"microgrid.plot needs matplotlib, which is not installed; "
                          f"{PLOT_HINT}") from e
    return matplotlib


def image_formats() -> dict[str, str]:
    """The file suffixes a figure can be saved as: ``{"png": "Portable Network Graphics", …}``."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    return FigureCanvasBase.get_supported_filetypes()


def check_image_path(path: str | os.PathLike) -> str:
    """The image format ``path``'s suffix asks for (``"png"``), or a ValueError naming the
    suffixes that work; checked before anything is computed, so a typo costs nothing."""
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    formats = image_formats()
    if suffix not in formats:
        valid = ", ".join(f".{s}" for s in sorted(formats))
        got = f"the suffix .{suffix}" if suffix else "no suffix"
        raise ValueError(f"{os.fspath(path)!r} has {got}; an image needs one of {valid}")
    return suffix


def _new_axes(ncols: int = 1, width: float = 5.5) -> Any:
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, 4.5))
    return fig.subplots(1, ncols)


def plot_history(history: History, loss_name: str = "", ax: Any = None) -> Any:
    """The batch loss (left axis) and batch accuracy (right axis) of every step; returns ``ax``."""
    if ax is None:
        ax = _new_axes()
    steps = range(1, len(history) + 1)
    ax.plot(steps, history.loss, color="tab:blue")
    ax.set_xlabel("step")
    ax.set_ylabel(f"batch {loss_name} loss".replace("  ", " "), color="tab:blue")
    ax.set_ylim(bottom=0)
    acc = ax.twinx()
    acc.plot(steps, history.accuracy, color="tab:orange")
    acc.set_ylabel("batch accuracy", color="tab:orange")
    acc.set_ylim(0, 1.02)
    ax.set_title("training (each step's batch, before its update)")
    return ax


def plot_decision_regions(mlp: MLP, X: Points, y: Labels, objective: Objective, ax: Any = None,
                          resolution: int = 100, title: str = "decision regions") -> Any:
    """The class the network gives every point of a ``resolution`` × ``resolution`` grid
    around the data, as coloured regions, with the data on top (one colour per class)."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"plot_decision_regions: resolution must be an int ≥ 2, got "
                         f"{resolution!r}")
    if ax is None:
        ax = _new_axes()
    matplotlib = require_matplotlib()
    pad = 0.5
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    x_lo, x_hi, y_lo, y_hi = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    gx = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    gy = [y_lo + (y_hi - y_lo) * i / (resolution - 1) for i in range(resolution)]
    classes = predict(mlp, [(a, b) for b in gy for a in gx], objective)
    regions = [classes[r * resolution:(r + 1) * resolution] for r in range(resolution)]
    k = objective.n_classes
    # one colour per class, the same for its region and its points
    cmap, vmax = (matplotlib.colormaps["coolwarm"], 1) if k == 2 else \
        (matplotlib.colormaps["tab10"], 9)
    levels = [c - 0.5 for c in range(k + 1)]
    ax.contourf(gx, gy, regions, levels=levels, cmap=cmap, alpha=0.3, vmin=0, vmax=vmax)
    ax.scatter(xs, ys, c=list(y), cmap=cmap, edgecolors="k", s=25, vmin=0, vmax=vmax)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    return ax


def training_figure(mlp: MLP, X: Points, y: Labels, objective: Objective, history: History,
                    title: str | None = None, evaluation: Evaluation | None = None) -> Any:
    """Both panels side by side (the history, the decision regions) in one Figure;
    ``evaluation`` (from `microgrid.train.evaluate`) puts the final accuracy in the title."""
    left, right = _new_axes(ncols=2)
    plot_history(history, objective.name, ax=left)
    regions = "decision regions"
    if evaluation is not None:
        regions += f", training accuracy {evaluation.accuracy:.1%}"
    plot_decision_regions(mlp, X, y, objective, ax=right, title=regions)
    fig = left.figure
    if title is None:
        title = (f"microgrid MLP {layer_sizes(mlp)} ({mlp.activation}), {objective.name} loss, "
                 f"{len(history)} steps")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
