"""Where microgrid's W1 step spends its time.

    python -m bench.profile_w1            # stage split (uninstrumented) + cProfile top functions
    python -m bench.profile_w1 --with-torch   # the same with torch imported (a bigger heap)
    python -m bench.profile_w1 --loop 300 # just run 300 steps, for a sampling profiler:
    py-spy record -r 500 -f raw -o w1.txt -- python -m bench.profile_w1 --loop 300
    python -m bench.profile_w1 --pyspy w1.txt   # its samples by category and by line

The stage split times zero_grad / forward / backward / SGD of the same step as `w1_step` with
perf_counter and no profiler attached, and counts the garbage collector's time in each stage
and per generation through ``gc.callbacks`` (observed, not changed).  cProfile then names the
functions; its per-call overhead inflates small hot functions, so read its shares as a ranking.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time

from .data import initial_weights, two_moons
from .timing import GcClock
from .w1_step import ALPHA, LR, Microgrid


def staged_step(eng: Microgrid, clock: GcClock) -> dict[str, tuple[float, float]]:
    """One W1 step, stage by stage: stage → (seconds, of which in gc)."""
    mg, model, params = eng.mg, eng.model, eng.params
    out = {}

    def stage(name, fn):
        g0, t0 = clock.total, time.perf_counter()
        r = fn()
        out[name] = (time.perf_counter() - t0, clock.total - g0)
        return r

    stage("zero_grad", model.zero_grad)
    scores = stage("forward: model(x) ×100", lambda: [model(x) for x in eng.X])

    def loss_nodes():
        losses = [(1 - y * s).relu() for s, y in zip(scores, eng.Y, strict=True)]
        reg = ALPHA * mg.sum([p * p for p in params])
        return mg.sum(losses) * (1.0 / len(losses)) + reg

    loss = stage("forward: hinge + L2 nodes", loss_nodes)
    stage("backward", loss.backward)

    def sgd():
        for p in params:
            p.data -= LR * p.grad

    stage("SGD update", sgd)
    return out


class GcByGeneration:
    """Collections and seconds per generation while installed (observes ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            g = info["generation"]
            self.count[g] += 1
            self.seconds[g] += time.perf_counter() - self._t0


def stage_split(steps: int = 60) -> str:
    """Mean time per stage over ``steps`` consecutive steps (a mean, not a median, so the
    occasional full collection is counted at its long-run rate)."""
    X, Y = two_moons()
    W, B = initial_weights()
    eng = Microgrid(W, B, X, Y)
    for _ in range(3):
        eng.step()  # warm up
    per: dict[str, list[tuple[float, float]]] = {}
    gens = GcByGeneration()
    gc.collect()
    gc.callbacks.append(gens)
    try:
        with GcClock() as clock:
            for _ in range(steps):
                for name, tg in staged_step(eng, clock).items():
                    per.setdefault(name, []).append(tg)
    finally:
        gc.callbacks.remove(gens)
    mean = {
        k: (statistics.fmean(t for t, _ in v), statistics.fmean(g for _, g in v))
        for k, v in per.items()
    }
    total = sum(t for t, _ in mean.values())
    lines = [
        f"microgrid W1 step, mean of {steps} (uninstrumented): {total * 1e3:.1f} ms; "
        f"the interpreter tracks {len(gc.get_objects()):,} objects"
        + (" (torch loaded)" if "torch" in sys.modules else ""),
        f"{'stage':28} {'ms':>8} {'share':>6} {'of which gc, ms':>16}",
    ]
    for k, (t, g) in mean.items():
        lines.append(f"{k:28} {t * 1e3:8.2f} {t / total:6.0%} {g * 1e3:16.2f}")
    lines.append(
        "gc per step: "
        + ", ".join(
            f"generation {g}: {gens.count[g] / steps:.2f} collections, "
            f"{gens.seconds[g] / steps * 1e3:.2f} ms"
            for g in range(3)
        )
    )
    return "\n".join(lines)


def cprofile_top(steps: int = 20, top: int = 18) -> str:
    X, Y = two_moons()
    W, B = initial_weights()
    eng = Microgrid(W, B, X, Y)
    eng.step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        eng.step()
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(top)
    return s.getvalue()


def _backward_split_line() -> int:
    """First source line of ``Value.backward``'s chain-rule pass (after the topological one)."""
    import inspect

    from microgrid.engine import Value

    lines, start = inspect.getsourcelines(Value.backward)
    for i, line in enumerate(lines):
        if "Pass 2" in line or "reversed(" in line or "chain_rule(" in line:
            return start + i
    return start + len(lines)


def summarize_pyspy(path: str, top: int = 15) -> str:
    """Categories and hottest lines of a ``py-spy record -f raw`` file of ``--loop``."""
    import collections
    import re

    split = _backward_split_line()
    frame = re.compile(r"(.+) \((.+):(\d+)\)$")
    cats: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            n = int(count)
            frames = [frame.match(fr).groups() for fr in stack.split(";") if frame.match(fr)]
            if not any(fn == "Microgrid.step" for fn, _, _ in frames):
                continue  # start-up, imports
            total += n
            fn, file, lineno = frames[-1]
            leaves[f"{fn} ({file.split('/')[-1]}:{lineno})"] += n
            names = [(fn, file.split("/")[-1], int(ln)) for fn, file, ln in frames]
            if any(f == "Value.backward" for f, _, _ in names):
                ln = next(ln for f, _, ln in names if f == "Value.backward")
                cats["backward: topological pass" if ln < split else "backward: chain rule"] += n
            elif any(f in ("dot", "_dot") and file == "engine.py" for f, file, _ in names):
                cats["forward: dot (z nodes)"] += n
            elif any(file == "engine.py" for _, file, _ in names):
                cats["forward: other ops (relu, *, -, Σ, Const, _node)"] += n
            elif any(file == "nn.py" for _, file, _ in names):
                cats["forward: nn.py glue (MLP/Layer/Neuron, inputs)"] += n
            else:
                cats["step glue (loss list, SGD loop, zero_grad)"] += n
    out = [f"py-spy samples in the step: {total}", "by category:"]
    out += [f"  {k:52} {v / total:6.1%}" for k, v in cats.most_common()]
    out.append("hottest lines (self time):")
    out += [f"  {k:52} {v / total:6.1%}" for k, v in leaves.most_common(top)]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_w1")
    ap.add_argument("--loop", type=int, default=0, help="only run this many steps (for py-spy)")
    ap.add_argument("--pyspy", metavar="RAW", help="summarize a py-spy raw file instead")
    ap.add_argument(
        "--with-torch",
        action="store_true",
        help="import torch first: a big heap, as in bench.run, makes full collections costly",
    )
    args = ap.parse_args()
    if args.with_torch:
        import torch  # noqa: F401
    if args.pyspy:
        print(summarize_pyspy(args.pyspy))
        return
    if args.loop:
        X, Y = two_moons()
        W, B = initial_weights()
        eng = Microgrid(W, B, X, Y)
        for _ in range(args.loop):
            eng.step()
        return
    print(stage_split())
    print()
    print(cprofile_top())


if __name__ == "__main__":
    main()
