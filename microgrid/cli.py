"""The command line: ``microgrid demo | train | predict`` (``python -m microgrid`` works too).

    microgrid demo                      one example through a small sigmoid network: the engine's
                                        gradients next to BP1–BP4's closed form, and the graph
    microgrid train --dataset moons     train an MLP with a live progress bar, plot and save it
    microgrid predict model.json 0.5 -0.2
                                        load a saved model and run it on one input

Argument mistakes exit with status 2 and argparse's message; a failure while running (a missing
or corrupt model file, an unwritable path) exits with status 1 and one line saying what is wrong.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from . import __version__
from .engine import Value
from .nn import ACTIVATIONS, MLP

__all__ = ["main", "build_parser"]

PLOT_HINT = "install matplotlib with: pip install 'microgrid[plot]'"


class CommandError(Exception):
    """A failure to report as ``microgrid <command>: error: <message>`` with exit status 1."""


# ================================================================================ demo
# The documents' picture of w^3_{24}: layer 2 has (at least) four neurons, layer 3 two.
DEMO_SIZES = (3, 4, 2)
DEMO_SEED = 4
DEMO_X = (1.0, 0.5, -0.5)
DEMO_Y = (1.0, 0.0)
# (layer l, j, k) shown with `explain`; k None for a bias (BP3)
DEMO_EXPLAIN = ((3, 2, 4), (3, 2, None), (2, 1, 3), (2, 4, None))


def _vector(v: Sequence[float]) -> str:
    return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"


def _diff(d: float) -> str:
    return "0" if d == 0.0 else f"{d:.1e}"


def run_demo(args: argparse.Namespace) -> int:
    from .backprop import backprop, explain
    from .losses import quadratic

    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED)
    L = len(nouts) + 1  # document layers 1 … L; the input is layer 1
    sizes = "-".join(map(str, DEMO_SIZES))
    print(f"microgrid demo: one example through a {sizes} sigmoid network (seed {DEMO_SEED})")
    print(f"cost C = ½ Σ_j (y_j − a^{L}_j)², the quadratic cost of the documents\n")

    # The engine: forward pass with every z and a kept, then one backward pass.
    t = mlp.trace(DEMO_X)
    C = quadratic(t.a[-1], DEMO_Y)
    C.label = "C"
    C.backward()

    # The oracle: BP1–BP4 on plain floats, from the same weights.
    r = backprop(mlp.weights(), mlp.biases(), DEMO_X, DEMO_Y, activation="sigmoid")

    print(f"x = a^1 = {_vector(DEMO_X)}    y = {_vector(DEMO_Y)}")
    for i in range(len(nouts)):
        print(f"a^{i + 2} = σ(z^{i + 2}) = {_vector([a.data for a in t.a[i]])}")
    print(f"C = {C.data:.6f}\n")

    print("Engine (mlp.trace(x), C.backward()) next to BP1–BP4 (microgrid.backprop, plain floats):")
    worst = 0.0
    count = 0
    for i in reversed(range(len(nouts))):
        l = i + 2
        layer = mlp.layers[i]
        rows: list[tuple[str, str, float, float]] = []
        delta_eq = "BP1" if l == L else "BP2"
        for j, z in enumerate(t.z[i]):
            rows.append((f"δ^{l}_{j + 1}", delta_eq, z.grad, r.delta[i][j]))
        for j, n in enumerate(layer.neurons):
            rows.append((f"∂C/∂{n.b.label}", "BP3", n.b.grad, r.grad_b[i][j]))
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                rows.append((f"∂C/∂{w.label}", "BP4", w.grad, r.grad_w[i][j][k]))
        what = "output layer L" if l == L else "hidden layer"
        eq = "δ^L = ∇_a C ⊙ σ'(z^L)" if l == L else f"δ^{l} = ((w^{l + 1})ᵀ δ^{l + 1}) ⊙ σ'(z^{l})"
        print(f"\nlayer {l} ({what}): {eq}")
        width = max(len(name) for name, *_ in rows)
        print(f"  {'':{width}}  {'':3}  {'engine':>15}  {'BP1–BP4':>15}  {'|difference|':>12}")
        layer_worst = 0.0
        for name, eq_name, engine, closed in rows:
            d = abs(engine - closed)
            layer_worst = max(layer_worst, d)
            print(f"  {name:{width}}  {eq_name}  {engine:15.10f}  {closed:15.10f}  {_diff(d):>12}")
        print(f"  largest |difference| in layer {l}: {_diff(layer_worst)}")
        worst = max(worst, layer_worst)
        count += len(rows)

    verdict = "they agree" if worst < 1e-10 else "they DISAGREE"
    print(
        f"\nlargest absolute difference, engine vs BP1–BP4, over all {count} numbers: "
        f"{_diff(worst)} ({verdict})"
    )

    print("\nA few of them as the documents write them (BP4: ∂C/∂w = a_in × δ_out; BP3):")
    for l, j, k in DEMO_EXPLAIN:
        print("  " + explain(r, l, j, k))

    _write_graph(C, args.out)
    return 0 if worst < 1e-10 else 1


def _write_graph(root: Value, out: str) -> None:
    from .graph import GraphvizNotInstalled, draw_dot, render

    graph = draw_dot(root, color_grads=True)
    base, ext = os.path.splitext(out)
    if ext.lower() == ".dot":
        _write_text(out, graph.source)
        print(f"\ngraph: {out} (DOT source; render it with: dot -Tsvg {out} -o {base}.svg)")
        return
    try:
        render(graph, out)
    except GraphvizNotInstalled:
        dot_path = base + ".dot"
        _write_text(dot_path, graph.source)
        print(
            f"\ngraph: {dot_path} (DOT source: Graphviz's `dot` program is not installed; "
            "apt-get install graphviz, brew install graphviz or conda install -c conda-forge "
            f"graphviz, then: dot -Tsvg {dot_path} -o {out})"
        )
        return
    except ValueError as e:  # an unknown format from the file's suffix
        raise CommandError(f"--out {out}: {e}") from None
    except OSError as e:
        raise CommandError(f"cannot write {out}: {e.strerror or e}") from None
    print(f"\ngraph: {out} (every value with its data and grad; open it in a browser)")


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or e}") from None


# ================================================================================ explore
def run_explore(args: argparse.Namespace) -> int:
    """The demo's network and example as an explorer page (microgrid.explore)."""
    from .explore import explore
    from .losses import quadratic

    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED)
    C = quadratic(mlp(DEMO_X), DEMO_Y)
    C.label = "C"
    page = explore(C, mlp=mlp, x=DEMO_X, y=DEMO_Y, cost="quadratic")
    try:
        print(page.save(args.out))
    except OSError as e:
        raise CommandError(f"cannot write {args.out}: {e.strerror or e}") from None
    return 0


# ================================================================================ train
# --loss choices and how each reads the network's output (the help text)
LOSSES = {
    "hinge": "max(0, 1 − y·s), labels ±1, one output (class = sign of s)",
    "bce": "binary cross-entropy from the logit s, one output (class = s > 0)",
    "mse": "mean squared error to targets ±1, one output (class = sign of s)",
    "softmax": "softmax cross-entropy, one output per class (class = argmax)",
}
DATASETS = ("moons", "circles", "xor", "blobs")
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def _positive_float(text: str) -> float:
    x = _float(text)
    if x <= 0.0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return x


def _non_negative_float(text: str) -> float:
    x = _float(text)
    if x < 0.0:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {text!r}")
    return x


def _float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def _layer_sizes(text: str) -> list[int]:
    if text.strip() in ("", "none"):
        return []  # no hidden layer: a linear classifier
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 16,16, got {text!r}"
        ) from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _make_dataset(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    from . import data

    kwargs = {"n": args.samples, "seed": args.seed}
    if args.noise is not None:
        kwargs["noise"] = args.noise
    if args.dataset == "blobs":
        if args.classes > args.samples:
            raise CommandError(f"--classes {args.classes} is more than --samples {args.samples}")
        kwargs["k"] = args.classes
    maker = getattr(data, f"make_{args.dataset}")
    try:
        return maker(**kwargs)
    except ValueError as e:
        raise CommandError(str(e)) from None


class Objective:
    """The loss of a batch and the class each output stands for, for one ``--loss`` choice."""

    def __init__(self, name: str, n_classes: int) -> None:
        from . import losses

        if n_classes > 2 and name != "softmax":
            raise CommandError(
                f"--loss {name} separates two classes, but this dataset has {n_classes}; "
                "use --loss softmax"
            )
        self.name = name
        self.n_outputs = n_classes if name == "softmax" else 1
        self._fn: Callable = {
            "hinge": losses.hinge,
            "bce": losses.binary_cross_entropy_with_logits,
            "mse": lambda s, y: losses.mse(s, [2.0 * c - 1.0 for c in y]),
            "softmax": losses.softmax_cross_entropy,
        }[name]

    def loss(self, outputs: list, labels: list[int]) -> Value:
        return self._fn(outputs, labels)

    def predict(self, output: Value | list[Value]) -> int:
        if isinstance(output, Value):
            return int(output.data > 0.0)
        return max(range(len(output)), key=lambda c: output[c].data)


class Progress:
    """A text progress bar on ``stream``: redrawn in place on a terminal, otherwise a plain line
    every tenth of the run (so logs and CI output stay readable)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.tty = stream.isatty()
        self.every = max(1, total // 10)
        self.start = time.perf_counter()

    def update(self, step: int, loss: float, accuracy: float) -> None:
        elapsed = time.perf_counter() - self.start
        digits = len(str(self.total))
        text = f"step {step:>{digits}}/{self.total}  loss {loss:.4f}  acc {accuracy:6.1%}"
        if self.tty:
            filled = round(self.width * step / self.total)
            bar = "█" * filled + "·" * (self.width - filled)
            eta = elapsed / step * (self.total - step)
            self.stream.write(f"\r[{bar}] {text}  {elapsed:5.1f}s (eta {eta:4.1f}s) ")
            if step == self.total:
                self.stream.write("\n")
        elif step % self.every == 0 or step == self.total or step == 1:
            self.stream.write(f"{text}  {elapsed:.1f}s\n")
        self.stream.flush()


def run_train(args: argparse.Namespace) -> int:
    from .optim import SGD, Adam

    if args.save:
        _check_writable(args.save, "--save")
    plot_path = None if args.no_plot else args.plot
    if plot_path:
        _check_writable(plot_path, "--plot")
        if not _have_matplotlib():
            print(f"note: no plot will be drawn: matplotlib is not installed; {PLOT_HINT}",
                  file=sys.stderr)
            plot_path = None

    X, y = _make_dataset(args)
    n_classes = max(y) + 1
    objective = Objective(args.loss, n_classes)
    mlp = MLP(2, [*args.hidden, objective.n_outputs], activation=args.activation,
              output_activation="linear", seed=args.seed)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    params = mlp.parameters()
    opt = Adam(params, lr=lr) if args.optimizer == "adam" else SGD(params, lr=lr, momentum=0.9)
    batch = min(args.batch_size or len(X), len(X))

    sizes = "-".join(str(s) for s in [2, *args.hidden, objective.n_outputs])
    noise = f"noise {args.noise}, " if args.noise is not None else ""
    print(f"dataset   {args.dataset}: {len(X)} points, {n_classes} classes "
          f"({noise}seed {args.seed})")
    print(f"model     MLP {sizes}, {args.activation} hidden layers, linear output "
          f"({len(params)} parameters)")
    print(f"training  {args.loss} loss, {args.optimizer} (lr {lr:g}), {args.steps} steps, "
          f"batch {batch}{' (all points)' if batch == len(X) else ''}", flush=True)

    # Mini-batches come from their own seeded generator, so a run is repeatable.
    import random

    rng = random.Random(args.seed)
    order = list(range(len(X)))
    history: list[tuple[float, float]] = []
    progress = Progress(args.steps)
    start = time.perf_counter()
    try:
        for step in range(1, args.steps + 1):
            idx = order if batch == len(X) else rng.sample(order, batch)
            outputs = [mlp(X[i]) for i in idx]
            labels = [y[i] for i in idx]
            loss = objective.loss(outputs, labels)
            hits = sum(objective.predict(o) == c for o, c in zip(outputs, labels, strict=True))
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append((loss.data, hits / len(idx)))
            progress.update(step, *history[-1])
    except KeyboardInterrupt:
        if progress.tty:
            sys.stderr.write("\n")
        print(f"interrupted after {len(history)} steps", file=sys.stderr)
        if not history:
            return 130
    except (ValueError, ArithmeticError) as e:  # e.g. a step too large: non-finite numbers
        raise CommandError(f"training stopped at step {len(history) + 1}: {e}") from None
    seconds = time.perf_counter() - start

    correct = sum(objective.predict(mlp(x)) == c for x, c in zip(X, y, strict=True))
    final_loss = objective.loss([mlp(x) for x in X], y).data
    steps = len(history)
    print(f"result    training accuracy {correct / len(X):.1%} ({correct}/{len(X)}), "
          f"loss {final_loss:.4f}, {seconds:.1f} s ({1000 * seconds / steps:.0f} ms/step)")
    if plot_path:
        _plot(plot_path, mlp, objective, X, y, history, args)
        print(f"plot      {plot_path}")
    if args.save:
        # what `predict` needs to name the class: the loss says how an output reads
        meta = {"trained_by": "microgrid train", "dataset": args.dataset, "loss": args.loss,
                "classes": n_classes, "training_accuracy": correct / len(X)}
        _save(mlp, args.save, meta)
        print(f"saved     {args.save}  (try: microgrid predict {args.save} 0.5 0.25)")
    return 0 if steps == args.steps else 130


def _check_writable(path: str, option: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise CommandError(f"{option} {path}: is a folder; give a file name")


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _save(mlp: MLP, path: str, metadata: dict) -> None:
    from .io import save_mlp

    try:
        save_mlp(mlp, path, metadata=metadata)
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or e}") from None


def _plot(path: str, mlp: MLP, objective: Objective, X: list, y: list, history: list,
          args: argparse.Namespace) -> None:
    """Loss and accuracy per step (left) and the decision regions with the data (right)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, no display needed
    import matplotlib.pyplot as plt
    import numpy as np

    losses = [h[0] for h in history]
    accs = [h[1] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    steps = range(1, len(history) + 1)
    ax1.plot(steps, losses, color="tab:blue", label="loss")
    ax1.set_xlabel("step")
    ax1.set_ylabel(f"{args.loss} loss", color="tab:blue")
    ax1.set_ylim(bottom=0)
    acc_ax = ax1.twinx()
    acc_ax.plot(steps, accs, color="tab:orange", label="batch accuracy")
    acc_ax.set_ylabel("batch accuracy", color="tab:orange")
    acc_ax.set_ylim(0, 1.02)
    ax1.set_title("training")

    # The network on a grid, in numpy: the same weights, without building a graph per point.
    pts = np.array(X)
    pad = 0.5
    (x_lo, y_lo), (x_hi, y_hi) = pts.min(axis=0) - pad, pts.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, 200), np.linspace(y_lo, y_hi, 200))
    out = _numpy_forward(mlp, np.c_[gx.ravel(), gy.ravel()])
    if out.shape[1] == 1:
        regions = (out[:, 0] > 0).astype(int)
    else:
        regions = out.argmax(axis=1)
    n_classes = max(y) + 1
    # one colour per class, the same for its region and its points
    cmap, vmax = (plt.get_cmap("coolwarm"), 1) if n_classes == 2 else (plt.get_cmap("tab10"), 9)
    levels = np.arange(n_classes + 1) - 0.5
    ax2.contourf(gx, gy, regions.reshape(gx.shape), levels=levels, cmap=cmap, alpha=0.3,
                 vmin=0, vmax=vmax)
    ax2.scatter(pts[:, 0], pts[:, 1], c=y, cmap=cmap, edgecolors="k", s=25, vmin=0, vmax=vmax)
    correct = sum(objective.predict(mlp(x)) == c for x, c in zip(X, y, strict=True))
    ax2.set_title(f"decision regions: {args.dataset}, accuracy {correct / len(X):.1%}")
    ax2.set_xlabel("x1")
    ax2.set_ylabel("x2")
    sizes = "-".join(str(s) for s in [2, *args.hidden, objective.n_outputs])
    fig.suptitle(f"microgrid MLP {sizes} ({args.activation}), {args.loss} loss, "
                 f"{args.optimizer}, {len(history)} steps")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=90)
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)


def _numpy_forward(mlp: MLP, points):  # noqa: ANN001, ANN202 - numpy arrays in and out
    import numpy as np

    f = {
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500))),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0),
        "linear": lambda z: z,
    }
    a = points
    acts = [mlp.activation] * (len(mlp.layers) - 1) + [mlp.output_activation]
    for w, b, act in zip(mlp.weights(), mlp.biases(), acts, strict=True):
        a = f[act](a @ np.array(w).T + np.array(b))  # z^l = w^l a^{l-1} + b^l, a^l = σ(z^l)
    return a


# ================================================================================ predict
def run_predict(args: argparse.Namespace) -> int:
    from .io import load_mlp_and_metadata

    try:
        mlp, meta = load_mlp_and_metadata(args.model)
    except FileNotFoundError:
        raise CommandError(f"no such model file: {args.model}") from None
    except IsADirectoryError:
        raise CommandError(f"{args.model} is a folder, not a model file") from None
    except OSError as e:
        raise CommandError(f"cannot read {args.model}: {e.strerror or e}") from None
    except ValueError as e:
        raise CommandError(f"not a valid model file: {e}") from None
    if len(args.inputs) != mlp.nin:
        names = " ".join(f"x{k}" for k in range(1, mlp.nin + 1))
        raise CommandError(
            f"the model in {args.model} takes {mlp.nin} inputs ({names}), got {len(args.inputs)}"
        )
    out = mlp(args.inputs)
    values = [out.data] if isinstance(out, Value) else [v.data for v in out]
    L = len(mlp.layers) + 1
    print("output  " + "  ".join(f"a^{L}_{j} = {v:.6g}" for j, v in enumerate(values, 1)))
    print("class   " + _class_of(values, mlp.output_activation, meta.get("loss")))
    return 0


def _class_of(values: list[float], output_activation: str, loss: object) -> str:
    """The class an output stands for: the trained loss (from the file's metadata) says how to
    read it; without it, a single sigmoid output is a probability and any other a signed score."""
    if len(values) > 1:
        best = max(range(len(values)), key=values.__getitem__)
        return f"{best}  (the largest output, classes counted from 0)"
    s = values[0]
    if loss == "bce":
        p = 1.0 / (1.0 + math.exp(-s)) if s >= 0 else math.exp(s) / (1.0 + math.exp(s))
        return f"{int(s > 0)}  (probability of class 1: σ(output) = {p:.4f})"
    threshold = 0.5 if loss is None and output_activation == "sigmoid" else 0.0
    return f"{int(s > threshold)}  (1 when the output is > {threshold:g}, else 0)"


# ================================================================================ parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="microgrid",
        description="A scalar autograd engine that makes backpropagation visible.",
        epilog="Run 'microgrid COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"microgrid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="one forward and backward pass, checked against BP1–BP4, and its graph",
        description=(
            f"Push one example through a small {'-'.join(map(str, DEMO_SIZES))} sigmoid network "
            "with the quadratic cost C = ½ Σ_j (y_j − a^L_j)², backpropagate with the engine, "
            "and print, layer by layer, δ, ∂C/∂b and ∂C/∂w next to the closed form of BP1–BP4 "
            "with their largest difference. The computation graph is written to --out."
        ),
    )
    demo.add_argument("--out", default="microgrid-demo.svg", metavar="PATH",
                      help="where to draw the graph: .svg, .png, .pdf, or .dot for the DOT source "
                           "(default: %(default)s)")
    demo.set_defaults(run=run_demo)

    explore = sub.add_parser(
        "explore", help="the demo's forward and backward pass as a page to step through",
        description="Write the demo network's pass as one self-contained HTML page (open it "
                    "in a browser; → / ← step through it) and print its path.")
    explore.add_argument("--out", default="microgrid-explorer.html", metavar="FILE",
                         help="the page to write (default: %(default)s)")
    explore.set_defaults(run=run_explore)

    train = sub.add_parser(
        "train",
        help="train an MLP on a 2-D dataset, with progress, a plot and a model file",
        description=(
            "Train an MLP (2 inputs, hidden layers, a linear output) on a small 2-D dataset, "
            "showing the loss and accuracy as it goes; then print a summary, draw the loss "
            "curve and the decision regions, and optionally save the model as JSON."
        ),
    )
    train.add_argument("--dataset", choices=DATASETS, default="moons",
                       help="the data (default: %(default)s)")
    train.add_argument("--samples", type=_positive_int, default=100, metavar="N",
                       help="number of points (default: %(default)s)")
    train.add_argument("--noise", type=_non_negative_float, default=None, metavar="SD",
                       help="standard deviation of the noise (default: the dataset's own)")
    train.add_argument("--classes", type=_positive_int, default=3, metavar="K",
                       help="number of classes, blobs only (default: %(default)s)")
    train.add_argument("--hidden", type=_layer_sizes, default="16,16", metavar="SIZES",
                       help="hidden layer sizes, comma-separated, or 'none' for no hidden layer "
                            "(default: %(default)s)")
    train.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "linear"],
                       default="relu",
                       help="activation of the hidden layers (default: %(default)s)")
    train.add_argument("--loss", choices=list(LOSSES), default="hinge",
                       help="; ".join(f"{k}: {v}" for k, v in LOSSES.items())
                       + " (default: %(default)s)")
    train.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                       help="Adam, or SGD with momentum 0.9 (default: %(default)s)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate η (default: 0.01 for adam, 0.1 for sgd)")
    train.add_argument("--steps", type=_positive_int, default=200,
                       help="optimizer steps (default: %(default)s)")
    train.add_argument("--batch-size", type=_positive_int, default=None, metavar="B",
                       help="points per step, drawn at random (default: all of them)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the data, the initial weights and the batches "
                            "(default: %(default)s)")
    train.add_argument("--plot", default="train.png", metavar="PATH",
                       help="PNG of the loss curve and the decision regions, needs matplotlib "
                            "(default: %(default)s)")
    train.add_argument("--no-plot", action="store_true", help="draw no plot")
    train.add_argument("--save", default=None, metavar="PATH",
                       help="save the trained model as JSON (load it with MLP.load or predict)")
    train.set_defaults(run=run_train)

    predict = sub.add_parser(
        "predict",
        help="run a saved model on one input",
        description=(
            "Load a model saved by 'microgrid train --save' (or mlp.save) and print its output "
            "for the input x1 x2 ..., and the class it stands for."
        ),
    )
    predict.add_argument("model", metavar="MODEL.json", help="the model file")
    predict.add_argument("inputs", nargs="+", type=_float, metavar="x",
                         help="the input numbers, one per input of the model")
    predict.set_defaults(run=run_predict)
    return parser


def _numbers_as_positionals(argv: Sequence[str]) -> list[str]:
    """``predict model.json -1e-3 2``: argparse would read ``-1e-3`` as an option (it only
    recognises plain negative numbers such as -1 or -0.5), so put ``--`` before it."""
    argv = list(argv)
    if argv[:1] != ["predict"] or "--" in argv:
        return argv
    for i, a in enumerate(argv[1:], 1):
        if a.startswith("-") and a not in ("-h", "--help"):
            try:
                float(a)
            except ValueError:
                continue
            return [*argv[:i], "--", *argv[i:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # The notation (δ, ∂, Σ) must not crash a console that cannot show it (old Windows).
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(_numbers_as_positionals(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except CommandError as e:
        print(f"microgrid {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"microgrid {args.command}: interrupted", file=sys.stderr)
        return 130
