"""W1 for microgrid (interpreted and compiled), micrograd and the floor, in a process that has
not imported torch or numpy.

Why a second process: microgrid's graph (≈ 7,000 nodes per step) lives long enough for the
garbage collector to promote it, and every so often that triggers a full collection, whose
cost grows with *every* object the interpreter holds — ≈ 170,000 once torch is imported,
≈ 13,000 without.  The main W1 table runs all engines in one process (so torch is loaded);
this line shows the same step where the interpreter holds little else.  Same data, same
weights, gradients checked equal, interleaved rounds, medians, gc on.

    python -m bench.w1_lean --rounds 7     # prints one JSON line
"""

from __future__ import annotations

import argparse
import gc
import json
import sys

from .data import initial_weights, two_moons
from .timing import medians, steps_in_rounds
from .w1_step import FloorEngine, Micrograd, Microgrid, MicrogridBefore, MicrogridCompiled


def measure(rounds: int, call_seconds: float) -> dict:
    X, Y = two_moons()
    W, B = initial_weights()
    compiled = MicrogridCompiled(W, B, X, Y)
    engines = {
        "microgrid": Microgrid(W, B, X, Y),
        "microgrid compiled": compiled,
        "floor": FloorEngine(W, B, X, Y),
    }
    for key, cls in (("microgrid before", MicrogridBefore), ("micrograd", Micrograd)):
        try:
            engines[key] = cls(W, B, X, Y)
        except ImportError as e:
            print(f"W1 lean: skipping {key}: {e}", file=sys.stderr)
    _check(engines)
    gc.collect()
    tracked = len(gc.get_objects())
    steps = {name: e.step for name, e in engines.items()}
    runs, reps = steps_in_rounds(steps, rounds, call_seconds)
    _check(engines)  # still the same step from the same weights
    return {
        "seconds": medians(runs),
        "runs": runs,
        "reps": reps,
        "tracked_objects": tracked,
        "compile_seconds": compiled.compile_seconds,
        "compile_wall_seconds": compiled.compile_wall_seconds,
        "torch_loaded": "torch" in sys.modules,
    }


def _check(engines: dict) -> None:
    loss, grads = engines["floor"].grads()
    for name, eng in engines.items():
        l2, g2 = eng.grads()
        pairs = zip([l2, *g2], [loss, *grads], strict=True)
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in pairs)
        if worst > 1e-9:
            raise AssertionError(f"W1 lean: {name} differs from the floor by {worst:.3g}")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.w1_lean")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--call-seconds", type=float, default=0.2)
    args = ap.parse_args()
    print(json.dumps(measure(args.rounds, args.call_seconds)))


if __name__ == "__main__":
    main()
