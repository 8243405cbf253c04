"""``microgrid train`` and ``microgrid predict``: train an MLP on a small 2-D dataset with a
progress line, a plot and a model file; run a saved model on one input.

The commands are thin: the training loop is `microgrid.train` and the picture `microgrid.plot`,
which a notebook can use too.  Every option, path and file is checked before training starts
(exit status 2, one line naming the problem); a run that diverges exits with status 1
(`microgrid.cli.args` has the rule).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from typing import TextIO

from ..backprop import sigma
from ..idioms import no_grad
from ..nn import MLP
from ..notation import ACTIVATIONS
from ..plot import PLOT_HINT, check_image_path, require_matplotlib, training_figure
from ..train import OBJECTIVES, Objective, TrainingError, evaluate, fit, layer_sizes, output_numbers
from .args import (
    ArgumentError,
    CommandError,
    check_writable,
    file_name,
    finite_float,
    hidden_sizes,
    load_model,
    non_negative_float,
    positive_float,
    positive_int,
    write,
)

__all__ = ["run_train", "run_predict", "add_parsers", "Progress"]


# ================================================================================ train
DATASETS = ("moons", "circles", "xor", "blobs")
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}
DEFAULT_PLOT = "train.png"


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
    if args.record is not None:  # checked here like the others: nothing trains for a bad page
        if not args.record.lower().endswith(".html"):
            raise ArgumentError(f"argument --record: {args.record!r} is not an .html file; the "
                                "recording is a web page: give a name ending in .html")
        try:
            check_writable(args.record, "--record")
        except CommandError as e:
            raise ArgumentError(f"argument --record: {e}") from None
        for option, other in (("--save", args.save), ("--plot", args.plot)):
            if other and os.path.abspath(other) == os.path.abspath(args.record):
                raise ArgumentError(f"argument --record: {args.record} is also the {option} "
                                    "file; the page would overwrite it")
    if args.plot and args.save and os.path.abspath(args.plot) == os.path.abspath(args.save):
        raise ArgumentError(f"argument --save: {args.save} is also the --plot file; the plot "
                            "would overwrite the model")


def _plot_path(args: argparse.Namespace) -> str | None:
    """Where to draw the plot, None for none; checked before training so a trained model is
    never lost to a bad path (exit status 2, as every problem found before work starts)."""
    if args.save:
        check_writable(args.save, "--save")
    if args.no_plot:
        return None
    path = args.plot or DEFAULT_PLOT
    check_writable(path, "--plot")
    try:
        require_matplotlib()
    except ImportError:
        if args.plot:  # asked for by name: do not train for an hour without it
            raise ArgumentError(f"--plot {path} needs matplotlib; {PLOT_HINT} "
                                "(or give --no-plot)") from None
        print(f"note: no plot will be drawn: matplotlib is not installed; {PLOT_HINT}",
              file=sys.stderr)
        return None
    return path



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
    from .. import data
    from ..optim import SGD, Adam

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

    if args.compile and batch == len(X):
        # building the loss's graph and compiling it takes a second or so before step 1
        print("compile   building the loss's graph and compiling it …", end=" ", flush=True)

    def compiled(seconds: float, ok: bool) -> None:
        print(f"{seconds:.1f} s" if ok else
              f"{seconds:.1f} s; not compiled (too big): the graph is rebuilt each step",
              flush=True)

    progress = Progress(args.steps)
    on_step, recorder = progress.update, None
    if args.record:
        from ..recording import Recorder

        recorder = Recorder(mlp, X, y, objective, args.steps, about=(
            f"{args.dataset}: {len(X)} points · MLP {layer_sizes(mlp)} ({hidden}) · "
            f"{args.loss} loss · {args.optimizer} lr {lr:g} · {args.steps} steps"),
            curve_label="loss" if batch == len(X) else "batch loss")

        def on_step(step: int, loss: float, accuracy: float) -> None:
            recorder(step, loss, accuracy)
            progress.update(step, loss, accuracy)
    try:
        history = fit(mlp, X, y, objective, opt, args.steps, batch_size=batch, seed=args.seed,
                      on_step=on_step, compiled=args.compile, on_compile=compiled)
    except TrainingError as e:
        raise CommandError(f"training diverged: {e}; nothing was saved. {_try_instead(lr)}"
                           ) from None
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
    took = f"{history.seconds:.1f}" if history.seconds >= 1 else f"{history.seconds:.2g}"
    print(f"time      {took} s ({ms:.3g} ms/step, {how})")
    diverged = _diverged(history.loss[0], result.loss)
    if args.save:  # first: whatever happens to the plot, the trained model is kept
        # what `predict` needs to name the class: the loss says how an output reads
        meta = {"trained_by": "microgrid train", "dataset": args.dataset, "loss": args.loss,
                "classes": objective.n_classes, "training_accuracy": result.accuracy}
        try:
            mlp.save(args.save, metadata=meta)
        except OSError as e:
            raise CommandError(f"cannot write {args.save}: {e.strerror or e}") from None
        print(f"saved     {args.save}  (try: microgrid predict {args.save} 0.5 0.25)")
    if recorder is not None:  # the page's last step is `result`: the same evaluate, weights
        try:
            recorder.finish(history).save(args.record)
        except OSError as e:
            raise CommandError(f"cannot write {args.record}: {e.strerror or e}") from None
        print(f"recorded  {args.record}  (open it in a browser: Play, or drag the scrubber)")
    if plot_path:
        saved = f" (the model is saved in {args.save})" if args.save else ""
        try:
            fig = training_figure(mlp, X, y, objective, history, evaluation=result)
            write(plot_path, lambda tmp: fig.savefig(tmp, dpi=90))
        except CommandError as e:
            raise CommandError(f"{e}{saved}") from None
        except Exception as e:  # matplotlib's own errors: still say where the model is
            raise CommandError(f"the plot failed: {type(e).__name__}: {e}{saved}") from None
        print(f"plot      {plot_path}")
    if diverged:  # after saving and plotting (the model is kept, as always), then fail
        saved = f"; the model is saved in {args.save} all the same" if args.save else ""
        raise CommandError(f"training diverged: {diverged}{saved}. {_try_instead(lr)}")
    return 130 if history.interrupted else 0


# A loss this many times the first step's, and above DIVERGED_FLOOR, means the steps made it
# worse by orders of magnitude: the usual cause is a learning rate far too large.  (The floor
# keeps a near-zero first loss that grows a little from being called a divergence.)
DIVERGED_RATIO = 100.0
DIVERGED_FLOOR = 10.0


def _diverged(first: float, final: float) -> str | None:
    """What went wrong, if the final loss says training diverged; None if it did not."""
    if not math.isfinite(final):
        return f"the final loss is {final} (it overflowed)"
    if final > DIVERGED_FLOOR and final > DIVERGED_RATIO * first:
        return (f"the loss grew from {first:.4g} at step 1 to {final:.4g} "
                f"({final / first:.2g} times as much)")
    return None


def _try_instead(lr: float) -> str:
    return (f"Try a smaller --lr than {lr:g}, e.g. {lr / 100:g}, or the default "
            "(0.01 for adam, 0.1 for sgd)")


# ================================================================================ predict
def run_predict(args: argparse.Namespace) -> int:
    mlp, meta = load_model(args.model)
    if len(args.inputs) != mlp.nin:
        names = " ".join(f"x{k}" for k in range(1, mlp.nin + 1))
        raise ArgumentError(
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



# ================================================================================ parsers
def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The ``train`` and ``predict`` subcommands, added to the parser of `microgrid.cli`."""
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
    train.add_argument("--samples", type=positive_int, default=100, metavar="N",
                       help="number of points, at least 2 (default: %(default)s)")
    train.add_argument("--noise", type=non_negative_float, default=None, metavar="SD",
                       help="standard deviation of the noise (default: the dataset's own)")
    train.add_argument("--classes", type=positive_int, default=None, metavar="K",
                       help="number of classes, blobs only (default: 3)")
    train.add_argument("--hidden", type=hidden_sizes, default="16,16", metavar="SIZES",
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
    train.add_argument("--lr", type=positive_float, default=None,
                       help="learning rate η (default: 0.01 for adam, 0.1 for sgd)")
    train.add_argument("--steps", type=positive_int, default=200,
                       help="optimizer steps (default: %(default)s)")
    train.add_argument("--batch-size", type=positive_int, default=None, metavar="B",
                       help="points per step, drawn at random, at most --samples (default: all)")
    train.add_argument("--no-compile", dest="compile", action="store_false",
                       help="rebuild the graph every step instead of replaying it compiled "
                            "(microgrid.compile; used only when every step takes all points)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of the data, the initial weights and the batches "
                            "(default: %(default)s)")
    plot = train.add_mutually_exclusive_group()
    plot.add_argument("--plot", type=file_name, default=None, metavar="PATH",
                      help="image of the loss curve and the decision regions (.png, .svg, .pdf, "
                           f"…), needs matplotlib (default: {DEFAULT_PLOT})")
    plot.add_argument("--no-plot", action="store_true", help="draw no plot")
    train.add_argument("--save", type=file_name, default=None, metavar="PATH",
                       help="save the trained model as JSON (load it with MLP.load or predict)")
    train.add_argument("--record", type=file_name, default=None, metavar="RUN.html",
                       help="also write one self-contained page that plays the run back: a "
                            "scrubber and Play, the loss and accuracy curves, the decision "
                            "regions and every weight at the recorded steps (opens from file://)")
    train.set_defaults(run=run_train, parser=train)

    predict = sub.add_parser(
        "predict",
        help="run a saved model on one input",
        description=(
            "Load a model saved by 'microgrid train --save' (or mlp.save) and print its output "
            "for the input x1 x2 ..., and the class it stands for."
        ),
    )
    predict.add_argument("model", type=file_name, metavar="MODEL.json",
                         help="the model file")
    predict.add_argument("inputs", nargs="+", type=finite_float, metavar="x",
                         help="the input numbers, one per input of the model")
    predict.set_defaults(run=run_predict, parser=predict)
