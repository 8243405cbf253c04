"""The command line: ``microgrid demo | explore | train | predict`` (``python -m microgrid``
works too).  This module has ``demo``, ``explore``, the parser and `main`; ``train`` and
``predict`` are in `microgrid.cli.training`, the argument checks they share in `microgrid.cli.args`.

    microgrid demo                      one example through a small sigmoid network: the engine's
                                        gradients next to BP1–BP4's closed form, and the graph
    microgrid explore                   the demo's pass as a page to step through
    microgrid train --dataset moons     train an MLP with a live progress bar, plot and save it
    microgrid predict model.json 0.5 -0.2
                                        load a saved model and run it on one input

One rule in every command (`microgrid.cli.args`): a problem found before work starts (a bad
option, a missing or malformed model file, a wrong number of inputs or targets, an unwritable
output path, a bad suffix) exits with status 2, a failure while running (a diverged training
run) with status 1, each with one line naming it; no file is left half-written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..engine import Value
from ..nn import MLP
from ..notation import COSTS
from . import training as cli_train
from .args import (
    BEFORE_WORK,
    WHILE_RUNNING,
    ArgumentError,
    CommandError,
    Parser,
    check_writable,
    finite_float,
    load_model,
    write,
)
from .args import file_name as _file_name  # the name the explore subparser uses

__all__ = ["main", "build_parser"]


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
    from ..backprop import backprop, explain
    from ..losses import quadratic

    _check_graph_path(args.out)
    check_writable(args.out, "--out")  # before the report, not after it (as train does)

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
    from ..drawing import GraphvizNotInstalled, draw_dot, render

    graph = draw_dot(root, color_grads=True)
    base, ext = os.path.splitext(out)
    if ext.lower() == ".dot":
        _write_text(out, graph.source)
        print(f"\ngraph: {out} (DOT source; render it with: dot -Tsvg {out} -o {base}.svg)")
        return
    try:
        write(out, lambda tmp: render(graph, tmp))
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
    print(f"\ngraph: {out} (every value with its data and grad; open it in a browser)")


def _write_text(path: str, text: str) -> None:
    def make(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    write(path, make)


# ================================================================================ explore
def run_explore(args: argparse.Namespace) -> int:
    """The demo's network and example, or a saved model on the input x with target y, as an
    explorer page (microgrid.explore).  A bad argument is one line and exit status 2, and
    nothing is written."""
    from ..explorer import explore

    mlp, x, y = _explore_example(args)
    C = _explore_cost(mlp(x), y, args.cost)
    C.label = "C"
    page = explore(C, mlp=mlp, x=x, y=y, cost=args.cost, predict=args.predict)
    write(args.out, page.save)
    print(args.out)
    return 0


def _explore_example(args: argparse.Namespace) -> tuple[MLP, list[float], list[float]]:
    """The network and the example to explore, every argument checked (ArgumentError)."""
    if not args.out.lower().endswith(".html"):
        raise ArgumentError(f"--out {args.out}: the page is HTML; give a file name ending in .html")
    check_writable(args.out, "--out")
    if args.model is None:
        if args.y is not None:
            raise ArgumentError("--y is the target of a saved model: give MODEL.json x1 x2 … too")
        nin, *nouts = DEMO_SIZES
        return MLP(nin, nouts, activation="sigmoid", seed=DEMO_SEED), [*DEMO_X], [*DEMO_Y]
    mlp, _ = load_model(args.model)
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
        return finite_float(text)
    except argparse.ArgumentTypeError as e:
        raise ArgumentError(f"{what} {text.strip()!r}: {e}") from None


def _explore_cost(a: object, y: list[float], cost: str) -> Value:
    """C as docs/backprop.md §3 writes it: ½ Σ_j (y_j − a_j)², or −Σ_j [y_j ln a_j + (1 − y_j)
    ln(1 − a_j)] (the cross-entropy of §9, summed as microgrid.backprop sums it)."""
    from ..losses import quadratic

    outputs = a if isinstance(a, list) else [a]
    if cost == "quadratic":
        return quadratic(outputs, y)
    terms = [t * o.log() + (1 - t) * (1 - o).log() for o, t in zip(outputs, y)]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return -total


# ================================================================================ parser
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    explore.add_argument("--cost", choices=COSTS, default="quadratic",
                         help="the cost C of the example (docs/backprop.md §3, §9; "
                              "default: %(default)s)")
    explore.add_argument("--predict", action="store_true",
                         help="open in predict mode: each backward step asks for its number "
                              "before showing it")
    explore.add_argument("--out", type=_file_name, default="microgrid-explorer.html",
                         metavar="FILE.html", help="the page to write (default: %(default)s)")
    explore.set_defaults(run=run_explore, parser=explore)

    cli_train.add_parsers(sub)
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
        if a.startswith("-") and a not in ("-h", "--help") and _is_number(a):
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
    args, extra = parser.parse_known_args(
        _numbers_as_positionals(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return BEFORE_WORK
    if extra:  # said by the command's own parser, which names the command
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.run(args)
    except ArgumentError as e:  # found before work starts: nothing done, nothing written
        print(f"microgrid {args.command}: error: {e}", file=sys.stderr)
        return BEFORE_WORK
    except CommandError as e:
        print(f"microgrid {args.command}: error: {e}", file=sys.stderr)
        return WHILE_RUNNING
    except KeyboardInterrupt:
        print(f"microgrid {args.command}: interrupted", file=sys.stderr)
        return 130
