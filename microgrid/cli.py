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
import shutil
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from . import __version__
from .backprop import sigma
from .engine import Value
from .idioms import no_grad
from .nn import MLP
from .notation import ACTIVATIONS
from .plot import PLOT_HINT, check_image_path, require_matplotlib, training_figure
from .train import OBJECTIVES, Objective, TrainingError, evaluate, fit, layer_sizes, output_numbers

__all__ = ["main", "build_parser"]


class CommandError(Exception):
    """A failure to report as ``microgrid <command>: error: <message>`` with exit status 1."""


class ArgumentError(Exception):
    """A wrong argument, found after parsing: usage and the message, exit status 2."""


# ================================================================================ demo
# Room for w^3_{24}, the example of docs/backprop.md §1: layer 2 has four neurons, layer 3 two.
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

    _check_graph_path(args.out)

    nin, *nouts = DEMO_SIZES
    mlp = MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED)
    L = len(nouts) + 1  # layers 1 … L as in docs/backprop.md §1; the input is layer 1
    sizes = "-".join(map(str, DEMO_SIZES))
    print(f"microgrid demo: one example through a {sizes} sigmoid network (seed {DEMO_SEED})")
    print(f"cost C = ½ Σ_j (y_j − a^{L}_j)², the quadratic cost (docs/backprop.md §3)\n")

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

    print("\nA few of them as docs/backprop.md §7 writes them (BP4: ∂C/∂w = a_in × δ_out; BP3):")
    for l, j, k in DEMO_EXPLAIN:
        print("  " + explain(r, l, j, k))

    _write_graph(C, args.out)
    return 0 if worst < 1e-10 else 1


def _check_graph_path(out: str) -> None:
    from graphviz import FORMATS

    suffix = os.path.splitext(out)[1].lstrip(".").lower()
    if suffix and suffix != "dot" and suffix not in FORMATS:
        raise ArgumentError(f"argument --out: Graphviz cannot draw a .{suffix} file; "
                            "use .svg, .png, .pdf or .dot (the DOT source)")


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
    """The demo's network and example, or a saved model on the input x with target y, as an
    explorer page (microgrid.explore).  A bad argument is one line and exit status 2, and
    nothing is written."""
    from .explore import explore

    try:
        mlp, x, y = _explore_example(args)
        C = _explore_cost(mlp(x), y, args.cost)
    except ArgumentError as e:
        print(f"microgrid explore: error: {e}", file=sys.stderr)
        return 2
    C.label = "C"
    page = explore(C, mlp=mlp, x=x, y=y, cost=args.cost)
    try:
        print(page.save(args.out))
    except OSError as e:
        raise CommandError(f"cannot write {args.out}: {e.strerror or e}") from None
    return 0


def _explore_example(args: argparse.Namespace) -> tuple[MLP, list[float], list[float]]:
    """The network and the example to explore, every argument checked (ArgumentError)."""
    if not args.out.lower().endswith(".html"):
        raise ArgumentError(f"--out {args.out}: the page is HTML; give a file name ending in .html")
    if args.model is None:
        if args.y is not None:
            raise ArgumentError("--y is the target of a saved model: give MODEL.json x1 x2 … too")
        nin, *nouts = DEMO_SIZES
        return MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED), [*DEMO_X], [*DEMO_Y]
    try:
        mlp, _ = _load_model(args.model)
    except CommandError as e:  # here a bad file is a bad argument: nothing is written yet
        raise ArgumentError(str(e)) from None
    names = " ".join(f"x{k}" for k in range(1, mlp.nin + 1))
    if len(args.inputs) != mlp.nin:
        raise ArgumentError(f"the model in {args.model} takes {mlp.nin} inputs ({names}), "
                            f"got {len(args.inputs)}")
    x = [_explore_number(t, "input") for t in args.inputs]
    nout = len(mlp.layers[-1].neurons)
    if args.y is None or len(args.y) != nout:
        got = "none" if args.y is None else len(args.y)
        raise ArgumentError(f"the model in {args.model} has {nout} output"
                            f"{'s' if nout > 1 else ''}: give --y with {nout} target"
                            f"{'s' if nout > 1 else ''}, got {got}")
    y = [_explore_number(t, "--y") for t in args.y]
    if args.cost == "cross_entropy" and (mlp.output_activation != "sigmoid" or
                                         any(not 0.0 <= t <= 1.0 for t in y)):
        raise ArgumentError("--cost cross_entropy needs sigmoid outputs and targets in [0, 1]; "
                            f"this model's outputs are {mlp.output_activation}")
    return mlp, x, y


def _explore_number(text: str, what: str) -> float:
    try:
        return _float(text)
    except argparse.ArgumentTypeError as e:
        raise ArgumentError(f"{what} {text.strip()!r}: {e}") from None


def _explore_cost(a: object, y: list[float], cost: str) -> Value:
    """C as docs/backprop.md §3 writes it: ½ Σ_j (y_j − a_j)², or −Σ_j [y_j ln a_j + (1 − y_j)
    ln(1 − a_j)] (the cross-entropy of §9, summed as microgrid.backprop sums it)."""
    from .losses import quadratic

    outputs = a if isinstance(a, list) else [a]
    if cost == "quadratic":
        return quadratic(outputs, y)
    terms = [t * o.log() + (1 - t) * (1 - o).log() for o, t in zip(outputs, y)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return -total


# ================================================================================ train
DATASETS = ("moons", "circles", "xor", "blobs")
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}
DEFAULT_PLOT = "train.png"


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


def _file_name(text: str) -> str:
    if not text.strip():  # '' would mean "no file" to the code and "this folder" to the OS
        raise argparse.ArgumentTypeError(f"expected a file name, got {text!r}")
    return text


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


def _check_train_arguments(args: argparse.Namespace) -> None:
    """Every mistake that needs two options to see, before anything runs (exit status 2)."""
    if args.samples < 2:
        raise ArgumentError(f"argument --samples: a dataset needs at least 2 points, "
                            f"got {args.samples}")
    if args.dataset != "blobs" and args.classes is not None:
        raise ArgumentError(f"argument --classes: only --dataset blobs has a number of "
                            f"classes; {args.dataset} always has 2")
    if args.dataset == "blobs":
        args.classes = 3 if args.classes is None else args.classes
        if not 2 <= args.classes <= args.samples:
            raise ArgumentError(f"argument --classes: expected 2 to --samples "
                                f"({args.samples}) classes, got {args.classes}")
    n_classes = args.classes if args.dataset == "blobs" else 2
    if n_classes > 2 and args.loss != "softmax":
        raise ArgumentError(f"argument --loss: the {args.loss} loss separates two classes, but "
                            f"--classes is {n_classes}; use --loss softmax")
    if args.batch_size is not None and args.batch_size > args.samples:
        raise ArgumentError(f"argument --batch-size: {args.batch_size} is more than the "
                            f"{args.samples} points (--samples)")
    if not args.hidden and args.activation is not None:
        raise ArgumentError("argument --activation: with --hidden none there is no hidden "
                            "layer to apply it to (the output layer is always linear)")
    if args.plot is not None:
        try:
            check_image_path(args.plot)
        except ImportError:
            pass  # said below, as a failure to run rather than a wrong argument
        except ValueError as e:
            raise ArgumentError(f"argument --plot: {e}") from None
    if args.plot and args.save and os.path.abspath(args.plot) == os.path.abspath(args.save):
        raise ArgumentError(f"argument --save: {args.save} is also the --plot file; the plot "
                            "would overwrite the model")


def _plot_path(args: argparse.Namespace) -> str | None:
    """Where to draw the plot, None for none; checked before training so a trained model is
    never lost to a bad path (exit status 1 for what is wrong with the machine, not the
    arguments)."""
    if args.save:
        _check_writable(args.save, "--save")
    if args.no_plot:
        return None
    path = args.plot or DEFAULT_PLOT
    _check_writable(path, "--plot")
    try:
        require_matplotlib()
    except ImportError:
        if args.plot:  # asked for by name: do not train for an hour without it
            raise CommandError(f"--plot {path} needs matplotlib; {PLOT_HINT} "
                               "(or give --no-plot)") from None
        print(f"note: no plot will be drawn: matplotlib is not installed; {PLOT_HINT}",
              file=sys.stderr)
        return None
    return path


def _check_writable(path: str, option: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise CommandError(f"{option} {path}: cannot write in the folder {folder}")


class Progress:
    """A text progress bar on ``stream``: redrawn in place on a terminal, within its width
    (``columns``, default: the terminal's), otherwise a plain line every tenth of the run
    (so logs and CI output stay readable)."""

    BAR = 30  # the bar's width when the terminal has room for it

    def __init__(self, total: int, stream: TextIO | None = None,
                 columns: int | None = None) -> None:
        # sys.stderr when called, not when defined: it may have been replaced since (pytest)
        self.total, self.stream = total, stream or sys.stderr
        self.tty = self.stream.isatty()
        self.columns = columns or shutil.get_terminal_size().columns
        self.every = max(1, total // 10)
        self.start = time.perf_counter()
        self.drawn = 0  # length of the line on screen, to blank what a shorter one leaves

    def update(self, step: int, loss: float, accuracy: float) -> None:
        elapsed = time.perf_counter() - self.start
        digits = len(str(self.total))
        text = (f"step {step:>{digits}}/{self.total}  batch loss {loss:.4f}  "
                f"batch acc {accuracy:6.1%}")
        if self.tty:
            eta = elapsed / step * (self.total - step)
            text += f"  {elapsed:.1f}s eta {eta:.1f}s"
            # Never write into the last column: a full line wraps, and \r then redraws only
            # the wrapped part.
            room = max(self.columns - 1, 1)
            width = min(self.BAR, room - len(text) - 3)
            if width >= 5:
                filled = round(width * step / self.total)
                text = "[" + "█" * filled + "·" * (width - filled) + "] " + text
            text = text[:room]
            self.stream.write("\r" + text.ljust(self.drawn))
            self.drawn = len(text)
            if step == self.total:
                self.stream.write("\n")
        elif step % self.every == 0 or step == self.total or step == 1:
            self.stream.write(f"{text}  {elapsed:.1f}s\n")
        self.stream.flush()


def run_train(args: argparse.Namespace) -> int:
    from . import data
    from .optim import SGD, Adam

    _check_train_arguments(args)
    plot_path = _plot_path(args)

    noise = {} if args.noise is None else {"noise": args.noise}
    classes = {"k": args.classes} if args.dataset == "blobs" else {}
    X, y = getattr(data, f"make_{args.dataset}")(n=args.samples, seed=args.seed, **noise,
                                                  **classes)
    objective = Objective(args.loss, n_classes=max(y) + 1)
    activation = args.activation or "relu"
    mlp = MLP(2, [*args.hidden, objective.n_outputs], activation=activation,
              output_activation="linear", seed=args.seed)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    params = mlp.parameters()
    opt = Adam(params, lr=lr) if args.optimizer == "adam" else SGD(params, lr=lr, momentum=0.9)
    batch = args.batch_size or len(X)

    n_hidden = len(args.hidden)
    hidden = ("no hidden layer (a linear model)" if n_hidden == 0 else
              f"{activation} hidden layer{'s' if n_hidden > 1 else ''}")
    print(f"dataset   {args.dataset}: {len(X)} points, {objective.n_classes} classes "
          f"({'' if args.noise is None else f'noise {args.noise}, '}seed {args.seed})")
    print(f"model     MLP {layer_sizes(mlp)}, {hidden}, linear output "
          f"({len(params)} parameters)")
    print(f"training  {args.loss} loss, {args.optimizer} (lr {lr:g}), {args.steps} steps, "
          f"batch {batch}{' (all points)' if batch == len(X) else ''}", flush=True)

    progress = Progress(args.steps)
    try:
        history = fit(mlp, X, y, objective, opt, args.steps, batch_size=batch, seed=args.seed,
                      on_step=progress.update, compiled=args.compile)
    except TrainingError as e:
        raise CommandError(str(e)) from None
    if history.interrupted:
        if progress.tty:
            sys.stderr.write("\n")
        print(f"interrupted after {len(history)} steps", file=sys.stderr)
        if not history.loss:
            return 130

    result = evaluate(mlp, X, y, objective)
    ms = 1000 * history.seconds / len(history)
    print(f"result    final model on all {len(X)} points: {result}")
    how = ("compiled step" if history.compiled_steps == len(history) else
           "graph rebuilt each step" if not history.compiled_steps else
           f"compiled for {history.compiled_steps} steps, then rebuilt")
    print(f"time      {history.seconds:.1f} s ({ms:.0f} ms/step, {how})")
    if args.save:  # first: whatever happens to the plot, the trained model is kept
        # what `predict` needs to name the class: the loss says how an output reads
        meta = {"trained_by": "microgrid train", "dataset": args.dataset, "loss": args.loss,
                "classes": objective.n_classes, "training_accuracy": result.accuracy}
        try:
            mlp.save(args.save, metadata=meta)
        except OSError as e:
            raise CommandError(f"cannot write {args.save}: {e.strerror or e}") from None
        print(f"saved     {args.save}  (try: microgrid predict {args.save} 0.5 0.25)")
    if plot_path:
        saved = f" (the model is saved in {args.save})" if args.save else ""
        try:
            fig = training_figure(mlp, X, y, objective, history, evaluation=result)
            fig.savefig(plot_path, dpi=90)
        except OSError as e:
            raise CommandError(f"cannot write {plot_path}: {e.strerror or e}{saved}") from None
        except Exception as e:  # matplotlib's own errors: still say where the model is
            raise CommandError(f"the plot failed: {type(e).__name__}: {e}{saved}") from None
        print(f"plot      {plot_path}")
    return 130 if history.interrupted else 0


# ================================================================================ predict
def _load_model(path: str) -> tuple[MLP, dict]:
    """A saved model and its metadata; a missing or malformed file is a CommandError naming
    it (predict and explore both read models)."""
    from .io import read_model

    try:
        model, meta = read_model(path)
        return MLP.from_dict(model), meta
    except FileNotFoundError:
        raise CommandError(f"no such model file: {path}") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a folder, not a model file") from None
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:  # it names the file and what is wrong with it
        raise CommandError(str(e)) from None


def run_predict(args: argparse.Namespace) -> int:
    mlp, meta = _load_model(args.model)
    if len(args.inputs) != mlp.nin:
        names = " ".join(f"x{k}" for k in range(1, mlp.nin + 1))
        raise CommandError(
            f"the model in {args.model} takes {mlp.nin} inputs ({names}), got {len(args.inputs)}"
        )
    with no_grad():  # a prediction records no graph
        values = output_numbers(mlp(args.inputs))
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
        p = sigma(s, "sigmoid")
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
    demo.add_argument("--out", type=_file_name, default="microgrid-demo.svg", metavar="PATH",
                      help="where to draw the graph: .svg, .png, .pdf, or .dot for the DOT source "
                           "(default: %(default)s)")
    demo.set_defaults(run=run_demo, parser=demo)

    explore = sub.add_parser(
        "explore", help="a forward and backward pass as a page to step through (the demo's, "
                        "or a saved model's on one example)",
        description="Write one forward and backward pass as a self-contained HTML page (open "
                    "it in a browser; → / ← step through it) and print its path: the demo "
                    "network's, or that of a model saved by 'microgrid train --save' on the "
                    "input x1 x2 … with the target --y.")
    explore.add_argument("model", nargs="?", type=_file_name, default=None, metavar="MODEL.json",
                         help="a saved model (default: the demo network)")
    explore.add_argument("inputs", nargs="*", metavar="x",
                         help="the input numbers, one per input of the model")
    explore.add_argument("--y", nargs="+", default=None, metavar="Y",
                         help="the target, one number per output of the model")
    explore.add_argument("--cost", choices=["quadratic", "cross_entropy"], default="quadratic",
                         help="the cost C of the example (docs/backprop.md §3, §9; "
                              "default: %(default)s)")
    explore.add_argument("--out", type=_file_name, default="microgrid-explorer.html",
                         metavar="FILE.html", help="the page to write (default: %(default)s)")
    explore.set_defaults(run=run_explore, parser=explore)

    train = sub.add_parser(
        "train",
        help="train an MLP on a 2-D dataset, with progress, a plot and a model file",
        description=(
            "Train an MLP (2 inputs, hidden layers, a linear output) on a small 2-D dataset, "
            "showing each step's batch loss and accuracy as it goes; then print the final model's "
            "loss and accuracy on all points, optionally save it as JSON, and draw the loss "
            "curve and the decision regions. Every option is checked before training starts."
        ),
    )
    train.add_argument("--dataset", choices=DATASETS, default="moons",
                       help="the data (default: %(default)s)")
    train.add_argument("--samples", type=_positive_int, default=100, metavar="N",
                       help="number of points, at least 2 (default: %(default)s)")
    train.add_argument("--noise", type=_non_negative_float, default=None, metavar="SD",
                       help="standard deviation of the noise (default: the dataset's own)")
    train.add_argument("--classes", type=_positive_int, default=None, metavar="K",
                       help="number of classes, blobs only (default: 3)")
    train.add_argument("--hidden", type=_layer_sizes, default="16,16", metavar="SIZES",
                       help="hidden layer sizes, comma-separated, or 'none' for no hidden layer "
                            "(default: %(default)s)")
    train.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "linear"],
                       default=None,
                       help="activation of the hidden layers (default: relu)")
    train.add_argument("--loss", choices=list(OBJECTIVES), default="hinge",
                       help="; ".join(f"{k}: {v}" for k, v in OBJECTIVES.items())
                       + " (default: %(default)s)")
    train.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                       help="Adam, or SGD with momentum 0.9 (default: %(default)s)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate η (default: 0.01 for adam, 0.1 for sgd)")
    train.add_argument("--steps", type=_positive_int, default=200,
                       help="optimizer steps (default: %(default)s)")
    train.add_argument("--batch-size", type=_positive_int, default=None, metavar="B",
                       help="points per step, drawn at random, at most --samples (default: all)")
    train.add_argument("--no-compile", dest="compile", action="store_false",
                       help="rebuild the graph every step instead of replaying it compiled "
                            "(microgrid.compile; used only when every step takes all points)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the data, the initial weights and the batches "
                            "(default: %(default)s)")
    plot = train.add_mutually_exclusive_group()
    plot.add_argument("--plot", type=_file_name, default=None, metavar="PATH",
                      help="image of the loss curve and the decision regions (.png, .svg, .pdf, "
                           f"…), needs matplotlib (default: {DEFAULT_PLOT})")
    plot.add_argument("--no-plot", action="store_true", help="draw no plot")
    train.add_argument("--save", type=_file_name, default=None, metavar="PATH",
                       help="save the trained model as JSON (load it with MLP.load or predict)")
    train.set_defaults(run=run_train, parser=train)

    predict = sub.add_parser(
        "predict",
        help="run a saved model on one input",
        description=(
            "Load a model saved by 'microgrid train --save' (or mlp.save) and print its output "
            "for the input x1 x2 ..., and the class it stands for."
        ),
    )
    predict.add_argument("model", type=_file_name, metavar="MODEL.json",
                         help="the model file")
    predict.add_argument("inputs", nargs="+", type=_float, metavar="x",
                         help="the input numbers, one per input of the model")
    predict.set_defaults(run=run_predict, parser=predict)
    return parser


def _numbers_as_positionals(argv: Sequence[str]) -> list[str]:
    """``predict model.json -1e-3 2``: argparse would read ``-1e-3`` as an option (it only
    recognises plain negative numbers such as -1 or -0.5), so put ``--`` before it (explore:
    see below)."""
    argv = list(argv)
    if argv[:1] == ["explore"] and "--" not in argv:
        # explore has options after its numbers (--y), so no "--" can go before them; a
        # leading space makes argparse take "-1e-3" as a value, and float() ignores it
        return [f" {a}" if a.startswith("-") and _is_number(a) else a for a in argv]
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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
    except ArgumentError as e:
        args.parser.error(str(e))  # usage, the message, exit status 2
    except CommandError as e:
        print(f"microgrid {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"microgrid {args.command}: interrupted", file=sys.stderr)
        return 130
