"""Run the benchmark of issue 6 and print (or write as Markdown) its tables.

    python -m bench.run                       # the full run, a few minutes on 2 cores
    python -m bench.run --quick               # a smoke run, seconds; smaller sizes
    python -m bench.run --markdown bench/results.md

Every workload checks gradients before it times anything (W1: every engine's loss and all 337
gradients equal to the hand-written floor's to 1e-9; W2: ∂y/∂x of every chain against a float
loop; W4: ∂L/∂w_i = x_i).  Times are medians of interleaved rounds (see `bench.timing`).
The garbage collector stays on (the interpreter's default) except for the one line that says
"gc off", which switches it off around that call only.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from . import (
    compile_time,
    no_grad_eval,
    pythons,
    summation,
    w1_step,
    w2_chain,
    w3_memory,
    w4_wide,
)
from .timing import machine, median_ratio, medians, steps_in_rounds, without_gc

# The interpreter's floors (issue 27: engine.py is the chain rule a learner reads, a node plain
# slots, and speed lives in compile): ≥ 20× micrograd on the W1 step, in the process with all
# peers and in the lean one, and ≤ 300 bytes a node on W3's chain.  Its time against the
# hand-written floor is reported, with no target.
TARGET_W1_VS_MICROGRAD = 20.0
TARGET_W2_SECONDS = 3.0
TARGET_W3_BYTES = 300.0
# microgrid.compile's replay (issue 20): ≥ 300× micrograd, ≤ 0.4× the floor, compile ≤ 0.5 s
TARGET_COMPILED_VS_MICROGRAD = 300.0
TARGET_COMPILED_VS_FLOOR = 0.4
TARGET_COMPILE_SECONDS = 0.5


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def fmt_time(s: float) -> str:
    if s >= 1.0:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- W1
def run_w1(rounds: int, call_seconds: float) -> tuple[str, list[str], dict]:
    engines = w1_step.build()
    worst = w1_step.check_equal(engines)
    gc.collect()
    tracked = len(gc.get_objects())
    steps = {name: e.step for name, e in engines.items()}
    if "micrograd" in steps:
        steps["micrograd, gc off"] = without_gc(engines["micrograd"].step)
    runs, reps = steps_in_rounds(steps, rounds, call_seconds)
    med = medians(runs)
    w1_step.check_equal(engines)  # every engine timed the same step from the same weights

    def ratio(a: str, b: str) -> float:  # time of a ÷ time of b, median over rounds
        return median_ratio(runs[a], runs[b])
    before = w1_step.MicrogridBefore.name
    order = [
        "microgrid",
        "microgrid compiled",
        before,
        "micrograd",
        "micrograd, gc off",
        "PyTorch scalars",
        "hand-written floor",
        "PyTorch batched",
        "numpy batched",
    ]
    rows = []
    for name in order:
        if name in med:
            t = med[name]
            rows.append(
                [name, fmt_time(t), f"{ratio(name, 'microgrid'):.3g}×", f"{reps[name]}×{rounds}"]
            )
    text = (
        "### W1 — one SGD step, MLP 2-16-16-1 (ReLU, linear out), 100 two-moons points, "
        "hinge + L2\n\n"
        "\"microgrid compiled\" builds the loss graph once and replays it with "
        "`microgrid.compile` (zero grads + step() + SGD; the one-off compile is under Targets).  "
        f"Loss and all gradients equal across engines before timing (largest relative difference "
        f"{worst:.1e}).  Median time per step; ratio = time ÷ microgrid's time in the same "
        "round, median over rounds.  This process "
        f"has torch loaded and the garbage collector tracks {tracked:,} objects.\n\n"
        + table(["engine", "time per step", "÷ microgrid", "steps × rounds"], rows)
    )
    verdict = []
    if "micrograd" in med:
        s = ratio("micrograd", "microgrid")
        verdict.append(
            f"W1 microgrid vs micrograd (gc on): {s:.1f}× faster "
            f"(target ≥ {TARGET_W1_VS_MICROGRAD:g}×) {mark(s >= TARGET_W1_VS_MICROGRAD)}"
        )
    f = ratio("microgrid", "hand-written floor")
    verdict.append(
        f"W1 microgrid vs hand-written floor: {f:.2f}× the floor's time (no target)"
    )
    if before in med:
        verdict.append(before_after(ratio, before, "hand-written floor", "", "micrograd" in med))
    if "microgrid compiled" in med:
        c = engines["microgrid compiled"]
        verdict += compiled_verdicts(
            runs, (c.compile_seconds, c.compile_wall_seconds), "", "hand-written floor"
        )
    lean = run_w1_lean(rounds, call_seconds)
    if lean is not None:
        s, lean_runs = lean["seconds"], lean["runs"]
        r = median_ratio(lean_runs["microgrid"], lean_runs["floor"])
        lean_rows = [
            [name, fmt_time(s[key]), f"{median_ratio(lean_runs[key], lean_runs['microgrid']):.3g}×"]
            for name, key in (
                ("microgrid", "microgrid"),
                ("microgrid compiled", "microgrid compiled"),
                (before, "microgrid before"),
                ("micrograd", "micrograd"),
                ("hand-written floor", "floor"),
            )
            if key in s
        ]
        text += (
            "\n\nThe same step in a fresh process that has not imported torch or numpy "
            f"(`python -m bench.w1_lean`; {lean['tracked_objects']:,} tracked objects):\n\n"
            + table(["engine", "time per step", "÷ microgrid"], lean_rows)
        )
        if "micrograd" in s:
            m = median_ratio(lean_runs["micrograd"], lean_runs["microgrid"])
            verdict.append(
                f"W1 microgrid vs micrograd (gc on), lean process: {m:.1f}× faster "
                f"(target ≥ {TARGET_W1_VS_MICROGRAD:g}×) {mark(m >= TARGET_W1_VS_MICROGRAD)}"
            )
        verdict.append(
            f"W1 microgrid vs hand-written floor, lean process: {r:.2f}× the floor's time "
            "(no target)"
        )
        if "microgrid before" in s:
            verdict.append(before_after(lambda a, b: median_ratio(lean_runs[a], lean_runs[b]),
                                        "microgrid before", "floor", ", lean process",
                                        "micrograd" in s))
        if "microgrid compiled" in s:
            times = (lean["compile_seconds"], lean["compile_wall_seconds"])
            verdict += compiled_verdicts(lean_runs, times, ", lean process", "floor")
    return text, verdict, med


def before_after(ratio, before: str, floor: str, where: str, micrograd: bool) -> str:
    """Issue 20's before/after: the interpreter before the op table and now, in the same
    rounds (``ratio(a, b)``: time of a ÷ time of b, median over rounds)."""
    def line(key: str) -> str:
        vs = f", {ratio('micrograd', key):.1f}× faster than micrograd" if micrograd else ""
        return f"{ratio(key, floor):.2f}× the floor's time{vs}"
    return (f"W1 interpreter before → after the op table{where}: {w1_step.before.COMMIT} "
            f"{line(before)} → now {line('microgrid')}")


def compiled_verdicts(
    runs: dict, compile_s: tuple[float, float], where: str, floor: str
) -> list[str]:
    """The targets of the compiled replay, from {engine: seconds per step in each round} and
    the compile's (CPU, wall) seconds."""
    t = runs["microgrid compiled"]
    out = []
    if "micrograd" in runs:
        m = median_ratio(runs["micrograd"], t)
        out.append(
            f"W1 microgrid compiled vs micrograd (gc on){where}: {m:.0f}× faster "
            f"(target ≥ {TARGET_COMPILED_VS_MICROGRAD:g}×) "
            f"{mark(m >= TARGET_COMPILED_VS_MICROGRAD)}"
        )
    f = median_ratio(t, runs[floor])
    out.append(
        f"W1 microgrid compiled vs hand-written floor{where}: {f:.2f}× the floor's time "
        f"(target ≤ {TARGET_COMPILED_VS_FLOOR:g}×) {mark(f <= TARGET_COMPILED_VS_FLOOR)}"
    )
    cpu, wall = compile_s
    out.append(
        f"W1 compile(loss){where}: {cpu:.2f} s of CPU time ({wall:.2f} s wall on the shared "
        f"machine) (target ≤ {TARGET_COMPILE_SECONDS:g} s) {mark(cpu <= TARGET_COMPILE_SECONDS)}"
    )
    return out


def run_w1_lean(rounds: int, call_seconds: float) -> dict | None:
    """`bench.w1_lean` in a child process (so torch is not loaded there); None if it failed."""
    import json
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "bench.w1_lean",
        "--rounds",
        str(rounds),
        "--call-seconds",
        str(call_seconds),
    ]
    try:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600, cwd=root)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as e:
        print(f"W1 lean process failed: {e}", file=sys.stderr)
        return None


# ---------------------------------------------------------------------------------- W2
def run_w2(sizes: list[int], max_rounds: int) -> tuple[str, list[str]]:
    plan = [
        ("microgrid", sizes),
        ("micrograd", [n for n in sizes if n <= 100_000]),
        ("PyTorch scalars", [n for n in sizes if n <= 100_000]),
    ]
    rows, verdict = [], []
    for engine, ns in plan:
        for op in w2_chain.OPS:
            cells = []
            for n in sizes:
                if n not in ns:
                    if any(c.startswith("RecursionError") for c in cells):
                        cells.append("not run (RecursionError at smaller N)")
                    elif cells and cells[-1].startswith("n/a"):
                        cells.append(cells[-1])
                    else:
                        cells.append("not run (too slow)")
                    continue
                # microgrid gets every round at every size (its 10⁶ target); the slow
                # engines' largest chains run once.
                rounds = max_rounds
                if engine != "microgrid":
                    rounds = max(1, min(max_rounds, round(1e5 / n)))
                r = w2_chain.measure(engine, op, n, rounds)
                if r["status"] != "ok":
                    cells.append(r["status"])
                    continue
                per = "step" if engine == "PyTorch scalars" else "node"
                cells.append(f"{fmt_time(r['total'])} ({r['total'] / n * 1e6:.2f} µs/{per})")
                if engine == "microgrid" and n >= 1_000_000:
                    ok = r["total"] < TARGET_W2_SECONDS
                    verdict.append(
                        f"W2 microgrid `{op}`, {n:,} nodes ({r['steps']:,} steps): forward "
                        f"{r['fwd']:.2f} s (of which gc {r['gc']:.2f} s) + backward "
                        f"{r['bwd']:.2f} s = {r['total']:.2f} s "
                        f"(target < {TARGET_W2_SECONDS:g} s) {mark(ok)}"
                    )
            per_step = w2_chain.nodes_per_step(engine, op)
            rows.append([engine, f"`{op}`", str(per_step), *cells])
            if engine == "microgrid":
                rows.append(["microgrid compiled", f"`{op}`", str(per_step),
                             *compiled_w2_cells(op, sizes, max_rounds)])
    text = (
        "### W2 — deep chain, forward + backward\n\n"
        "N = Value objects created: micrograd makes a node of a plain-number operand, so its "
        "`y * c` and `y + 1.0` make 2 nodes per step; microgrid folds the number into the "
        "operation (1 node per step).  \"microgrid compiled\" replays the chain with "
        "`microgrid.compile` (built and compiled once, compile time in brackets); it refuses "
        "more than `microgrid.compiler.MAX_STRAIGHT` nodes that do not repeat.  PyTorch does "
        "not make a tensor for a plain number, so its chains have N steps and its time is per "
        "step.  "
        "Median of rounds; gradient ∂y/∂x checked against a float loop.\n\n"
        + table(["engine", "chain", "nodes/step", *[f"N = {n:,}" for n in sizes]], rows)
    )
    return text, verdict


def compiled_w2_cells(op: str, sizes: list[int], rounds: int) -> list[str]:
    cells = []
    for n in sizes:
        r = w2_chain.measure_compiled(op, n, rounds)
        if r["status"] != "ok":
            cells.append(r["status"])
        else:
            cells.append(
                f"{fmt_time(r['total'])} ({r['total'] / n * 1e6:.2f} µs/node; "
                f"compile {fmt_time(r['compile'])})"
            )
    return cells


# ---------------------------------------------------------------------------------- W3
def run_w3(nodes: int) -> tuple[str, list[str]]:
    rows, worst = [], 0.0
    for engine in ("microgrid", "micrograd"):
        for op in w3_memory.MEMORY_OPS:
            r = w3_memory.measure(engine, op, nodes)
            per_step = w2_chain.nodes_per_step(engine, op)
            if r["status"] != "ok":
                rows.append([engine, f"`{op}`", str(per_step), r["status"], "", "", ""])
                continue

            def b(v):
                return "RecursionError" if v is None else f"{v:.0f}"

            rows.append(
                [
                    engine,
                    f"`{op}`",
                    str(per_step),
                    b(r["forward"]),
                    f"{r['forward'] * per_step:.0f}",
                    b(r["peak_backward"]),
                    b(r["after_backward"]),
                ]
            )
            if engine == "microgrid":
                worst = max(worst, r["forward"])
    text = (
        f"### W3 — memory, bytes per node (tracemalloc), {nodes:,}-node chain\n\n"
        "Per Value object (per step = per node × nodes per step).  Peak during backward counts its "
        "bookkeeping; after backward every node holds a gradient float.\n\n"
        + table(
            [
                "engine",
                "chain",
                "nodes/step",
                "bytes/node (graph alive)",
                "bytes/step",
                "peak in backward, /node",
                "after backward, /node",
            ],
            rows,
        )
    )
    target = w3_memory.target_chain(nodes)
    verdict = [
        f"W3 microgrid, chain `{w3_memory.TARGET_CHAIN}`: {target:.0f} bytes per node after "
        f"backward (target ≤ {TARGET_W3_BYTES:g}) {mark(target <= TARGET_W3_BYTES)}; worst chain "
        f"in the table: {worst:.0f} bytes per node with the forward graph alive"
    ]
    return text, verdict


# ---------------------------------------------------------------------------------- W4
def run_w4(n: int, rounds: int) -> str:
    res = w4_wide.measure(n, rounds)
    base = res["microgrid (mul nodes + sum)"]["total"]
    rows = []
    for name, r in res.items():
        if r["status"] == "ok":
            rows.append([name, fmt_time(r["total"]), f"{r['total'] / base:.3g}×"])
        else:
            after = f" (after {fmt_time(r['once'])})" if "once" in r else ""
            rows.append([name, f"{r['status']}{after}", ""])
    return (
        f"### W4 — wide: L = Σ w_i·x_i over {n:,} products, forward + backward\n\n"
        "∂L/∂w_i = x_i checked for every engine.  Median of interleaved rounds.\n\n"
        + table(["engine", "time", "÷ microgrid"], rows)
    )


# ---------------------------------------------------------------------------------- W5
def run_w5(points: int, rounds: int) -> str:
    r = no_grad_eval.measure(points, rounds)
    s = r["seconds"]
    rows = [
        [name, fmt_time(s[name]), fmt_time(s[f"{name}, no_grad"]), f"{r['speedup'][name]:.2f}×"]
        for name in ("accuracy", "predictions kept")
    ]
    peaks = r["peak_bytes"]
    return (
        f"### W5 — evaluation with and without `no_grad`: the W1 network on {points:,} "
        "two-moons points\n\n"
        "Same accuracy both ways (checked).  Median of interleaved rounds; speed-up = time "
        "without ÷ time with `no_grad`.\n\n"
        + table(["evaluation", "recording", "no_grad", "speed-up"], rows)
        + f"\n\nPeak memory with every prediction kept (tracemalloc): "
        f"{peaks['predictions kept'] / 1e6:.1f} MB recording, "
        f"{peaks['predictions kept, no_grad'] / 1e6:.2f} MB under `no_grad` "
        f"({r['memory_ratio']:.0f}× less)."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: smaller sizes, fewer rounds")
    ap.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    ap.add_argument(
        "--only", default="12345678",
        help="which workloads, e.g. --only 13 (default 12345678; 6 = compile time by graph size "
        "and loss form, 7 = the cost of one summation for Σ, 8 = W1 on every supported Python)"
    )
    args = ap.parse_args(argv)

    try:
        import torch

        # Scalar ops run on one thread anyway; for the batched lines, one thread avoids
        # oversubscribing a small shared machine (this process only).
        torch.set_num_threads(1)
    except ImportError:
        pass
    q = args.quick
    started = time.perf_counter()
    parts = [f"Machine: {machine()}."]
    verdicts: list[str] = []
    print(parts[0], flush=True)
    if "1" in args.only:
        text, v, _ = run_w1(rounds=1 if q else 7, call_seconds=0.02 if q else 0.4)
        parts.append(text)
        verdicts += v
        print(text + "\n", flush=True)
    if "2" in args.only:
        sizes = [1_000, 10_000] if q else [1_000, 10_000, 100_000, 1_000_000]
        text, v = run_w2(sizes, max_rounds=1 if q else 3)
        parts.append(text)
        verdicts += v
        print(text + "\n", flush=True)
    if "3" in args.only:
        text, v = run_w3(20_000 if q else 200_000)
        parts.append(text)
        verdicts += v
        print(text + "\n", flush=True)
    if "4" in args.only:
        text = run_w4(10_000 if q else 100_000, rounds=1 if q else 5)
        parts.append(text)
        print(text + "\n", flush=True)
    if "5" in args.only:
        text = run_w5(200 if q else 1000, rounds=1 if q else 7)
        parts.append(text)
        print(text + "\n", flush=True)
    if "6" in args.only:
        text, rows = compile_time.run(compile_time.POINTS[:2] if q else compile_time.POINTS)
        parts.append(text)
        one = [r for r in rows if r["form"] == compile_time.FORMS[0]]
        per_node = ", ".join(f"{r['us_per_node']:.1f}" for r in one)
        sizes = ", ".join(f"{r['nodes']:,}" for r in one)
        same = "all" if all(r["equal"] for r in rows) else "NOT all"
        verdicts.append(
            f"compile time by graph size: {per_node} µs per node for {sizes} nodes (linear: "
            f"about constant); replays {same} bit for bit"
        )
        w1 = {r["form"]: r["seconds"] for r in rows if r["points"] == 100}
        verdicts.append(
            "W1 compile(loss) by how the loss is written: " + ", ".join(
                f"`{form}` {s:.2f} s" for form, s in w1.items()) + " of CPU time (target ≤ "
            f"{TARGET_COMPILE_SECONDS:g} s each) "
            f"{mark(max(w1.values()) <= TARGET_COMPILE_SECONDS)}"
        )
        print(text + "\n", flush=True)
    if "7" in args.only:
        text, v = summation.run()
        parts.append(text)
        verdicts.append(v)
        print(text + "\n", flush=True)
    if "8" in args.only:
        text, v = pythons.run(rounds=1 if q else 7)
        parts.append(text)
        verdicts += v
        print(text + "\n", flush=True)
    if q:
        verdicts.append(
            "(--quick: smaller sizes and one short call per engine, too short to include the "
            "occasional full garbage collection: a smoke test, not a measurement; W2's 10⁶-node "
            "target is not measured)"
        )
    targets = "### Targets\n\n" + "\n".join(f"- {v}" for v in verdicts)
    parts.append(targets)
    print(targets)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n\n".join(parts) + "\n")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
