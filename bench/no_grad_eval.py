"""W5: what `microgrid.no_grad()` saves when evaluating a model (no backward pass follows).

The W1 network (2-16-16-1, ReLU, linear output, W1's initial weights) classifies n two-moons
points, two ways a notebook does it:

* accuracy — one point at a time, only the sign of the output kept (each graph is garbage
  as soon as the next point starts);
* predictions kept — every output kept in a list first (a decision-boundary plot, a
  prediction table), so without no_grad every point's whole graph stays alive.

Each runs with and without ``no_grad``; the results are checked equal first.  Times are
medians of interleaved rounds (`bench.timing`), gc on; peak memory from tracemalloc.

    python -m bench.no_grad_eval --points 1000 --rounds 7     # prints one JSON line
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from collections.abc import Callable

from .data import SIZES, initial_weights, two_moons
from .timing import interleaved


def _model():
    from microgrid.nn import MLP

    W, B = initial_weights()
    mlp = MLP(SIZES[0], list(SIZES[1:]), activation="relu", output_activation="linear")
    mlp.load_weights(W, B)
    return mlp


def workloads(n: int) -> dict[str, Callable[[], float]]:
    import microgrid as mg

    mlp = _model()
    X, Y = two_moons(n, seed=3)

    def accuracy() -> float:
        return sum((mlp(x).data > 0.0) == (y > 0.0) for x, y in zip(X, Y, strict=True)) / n

    def kept() -> float:
        outputs = [mlp(x) for x in X]
        return sum((o.data > 0.0) == (y > 0.0) for o, y in zip(outputs, Y, strict=True)) / n

    def quiet(f: Callable[[], float]) -> Callable[[], float]:
        def run() -> float:
            with mg.no_grad():
                return f()

        return run

    return {
        "accuracy": accuracy,
        "accuracy, no_grad": quiet(accuracy),
        "predictions kept": kept,
        "predictions kept, no_grad": quiet(kept),
    }


def peak_bytes(f: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(n: int, rounds: int) -> dict:
    fns = workloads(n)
    results = {name: f() for name, f in fns.items()}
    if len(set(results.values())) != 1:
        raise AssertionError(f"no_grad changed the accuracy: {results}")
    seconds = interleaved(fns, rounds)
    kept = ("predictions kept", "predictions kept, no_grad")
    peaks = {name: peak_bytes(fns[name]) for name in kept}
    return {
        "points": n,
        "accuracy": results["accuracy"],
        "seconds": seconds,
        "speedup": {
            "accuracy": seconds["accuracy"] / seconds["accuracy, no_grad"],
            "predictions kept": seconds["predictions kept"] / seconds["predictions kept, no_grad"],
        },
        "peak_bytes": peaks,
        "memory_ratio": peaks["predictions kept"] / peaks["predictions kept, no_grad"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.no_grad_eval")
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    print(json.dumps(measure(args.points, args.rounds)))


if __name__ == "__main__":
    main()
