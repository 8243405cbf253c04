"""How `microgrid.compile`'s time grows with the graph: W1's loss (bench/w1_step.py) on 100,
1,000 and 10,000 two-moons points, i.e. W1's graph and graphs 10× and 100× larger, written
both ways a user writes it: with ``microgrid.sum`` (one Σ node) and with Python's own ``sum``
(a left-fold chain of +, as micrograd's users write it).

    python -m bench.compile_time            # the three sizes, a minute or so
    python -m bench.compile_time --quick    # 100 and 1,000 points

For each size and form: nodes in the graph, CPU seconds of ``compile(loss)`` (this process only: the
machine is shared), microseconds per node (constant if compile time grows linearly), the
lines of generated source, and a check that one compiled step gives the interpreter's loss
and gradients bit for bit.
"""

from __future__ import annotations

import argparse
import gc
import time

from .data import initial_weights, two_moons
from .w1_step import Microgrid

POINTS = (100, 1_000, 10_000)
FORMS = ("microgrid.sum", "Python's sum")


def measure(points: int, form: str = FORMS[0]) -> dict:
    """Build W1's loss on ``points`` points (written with ``form``), compile it, check one
    step against backward()."""
    import microgrid as mg
    from microgrid.engine import topological

    X, Y = two_moons(points)
    W, B = initial_weights()
    engine = Microgrid(W, B, X, Y)
    build = engine.build if form == FORMS[0] else engine.build_python_sum
    loss = build()
    nodes = len(topological(loss))
    gc.collect()
    c0 = time.process_time()
    step = mg.compile(loss)
    seconds = time.process_time() - c0
    for p in engine.params:
        p.grad = 0.0
    value = step()
    grads = [p.grad for p in engine.params]
    for p in engine.params:
        p.grad = 0.0
    again = build()
    again.backward()
    want = (again.data, [p.grad for p in engine.params])
    return {
        "points": points,
        "form": form,
        "nodes": nodes,
        "seconds": seconds,
        "us_per_node": seconds / nodes * 1e6,
        "lines": step.source.count("\n"),
        "equal": (value, grads) == want,
    }


def table(rows: list[dict]) -> str:
    lines = ["| points | loss written with | nodes | compile (CPU) | µs per node | source lines "
             "| = backward() |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['points']:,} | `{r['form']}` | {r['nodes']:,} | {r['seconds']:.2f} s | "
                     f"{r['us_per_node']:.2f} | {r['lines']:,} | "
                     f"{'bit for bit' if r['equal'] else 'DIFFERS'} |")
    return "\n".join(lines)


def run(points: tuple[int, ...] = POINTS) -> tuple[str, list[dict]]:
    rows = [measure(n, form) for n in points for form in FORMS]
    text = ("### Compile time — W1's loss on more points (`python -m bench.compile_time`)\n\n"
            "CPU seconds of `microgrid.compile(loss)`; linear growth keeps µs per node "
            "constant.\n\n" + table(rows))
    return text, rows


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.compile_time")
    ap.add_argument("--quick", action="store_true", help="100 and 1,000 points only")
    args = ap.parse_args()
    text, rows = run(POINTS[:2] if args.quick else POINTS)
    print(text)
    if not all(r["equal"] for r in rows):
        raise SystemExit("a compiled step differs from backward()")


if __name__ == "__main__":
    main()
