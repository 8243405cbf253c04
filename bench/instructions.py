"""W1 in instructions instead of seconds: what one step costs, counted by valgrind's callgrind.

On a shared machine the same step takes 15 ms or 30 ms depending on the neighbours; the number
of machine instructions it executes does not move.  It is not time (a cache miss costs more
than an add, and the garbage collector misses the cache a lot), but it shows, to the tenth of a
percent, whether a change to the engine made a step do more or less work, and where:

    python -m bench.instructions                 # microgrid, compiled, floor (a few minutes)
    python -m bench.instructions --parts         # microgrid's step split into its passes

Each figure is the difference between a run of 13 steps and a run of 3 (so start-up, imports and
building the engines cancel out), divided by 10.  Needs `valgrind` (apt-get install valgrind).
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import subprocess
import sys

from .data import initial_weights, two_moons
from .w1_step import FloorEngine, Microgrid, MicrogridCompiled

ENGINES = {"microgrid": Microgrid, "microgrid compiled": MicrogridCompiled, "floor": FloorEngine}
# microgrid's step, pass by pass: each part runs everything before it too
PARTS = ("forward, gc off", "forward", "forward + order", "forward + backward")


def _child(what: str, steps: int) -> None:
    """Run ``steps`` steps of one engine (or one part of microgrid's step), nothing else."""
    X, Y = two_moons()
    W, B = initial_weights()
    if what in ENGINES:
        engine = ENGINES[what](W, B, X, Y)
        for _ in range(steps):
            engine.step()
        return
    from microgrid.engine import topological

    engine = Microgrid(W, B, X, Y)
    if what == "forward, gc off":
        gc.disable()
    for _ in range(steps):
        engine.model.zero_grad()
        root = engine.build()
        if what == "forward + order":
            topological(root)
        elif what == "forward + backward":
            root.backward()


def _instructions(what: str, steps: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-m", "bench.instructions", "--child", what, str(steps)],
        capture_output=True, text=True, check=True,
    )
    m = re.search(r"Collected : (\d+)", out.stderr)
    if m is None:
        raise RuntimeError(f"callgrind printed no count for {what}:\n{out.stderr[-2000:]}")
    return int(m.group(1))


def per_step(what: str) -> float:
    """Instructions one step of ``what`` executes (13 steps minus 3 steps, over 10)."""
    return (_instructions(what, 13) - _instructions(what, 3)) / 10


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.instructions")
    ap.add_argument("--parts", action="store_true", help="microgrid's step pass by pass")
    ap.add_argument("--child", nargs=2, metavar=("WHAT", "STEPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench.instructions needs valgrind: apt-get install valgrind")
    whats = PARTS if args.parts else tuple(ENGINES)
    counts = {}
    for what in whats:
        counts[what] = per_step(what)
        print(f"{what:22s} {counts[what] / 1e6:8.1f} M instructions per step", flush=True)
    if not args.parts:
        base = counts["floor"]
        for what in ENGINES:
            print(f"{what:22s} {counts[what] / base:8.2f}× the floor's instructions")


if __name__ == "__main__":
    main()
