"""What one summation for Σ costs the interpreter: `microgrid.ops.add_up` (a strict left fold,
``functools.reduce`` over ``+``) against built-in ``sum()`` on a neuron's products.

    python -m bench.summation

Built-in ``sum()`` of floats compensates rounding from Python 3.12, so the engine does not use
it (docs/backprop.md writes Σ left to right, and so does the compiled code).  This times the
two on ``map(mul, w, a)`` for a W1 neuron's 2 and 16 inputs, and multiplies the difference by
the dot products of one W1 step (100 points × 33 neurons) to give its share of the step.
"""

from __future__ import annotations

import sys
import timeit
from operator import mul

from microgrid import ops

# a W1 step's neurons, per point: 16 with 2 inputs, 16 + 1 with 16
DOTS = {2: 100 * 16, 16: 100 * 17}
DOTS_PER_W1_STEP = sum(DOTS.values())


def measure(n: int, repeat: int = 7, number: int = 20_000) -> tuple[float, float]:
    """Seconds per call of add_up and of sum() on n products (the best of ``repeat``)."""
    w = [0.1 * k for k in range(n)]
    a = [1.0 - 0.05 * k for k in range(n)]
    left = min(timeit.repeat(lambda: ops.add_up(map(mul, w, a)), repeat=repeat, number=number))
    builtin = min(timeit.repeat(lambda: sum(map(mul, w, a)), repeat=repeat, number=number))
    return left / number, builtin / number


def run() -> tuple[str, str]:
    rows, extra = [], 0.0
    for n in (2, 16):
        left, builtin = measure(n)
        extra += (left - builtin) * DOTS[n]
        rows.append(f"| {n} | {left * 1e9:.0f} ns | {builtin * 1e9:.0f} ns | "
                    f"{(left - builtin) * 1e9:+.0f} ns |")
    v = sys.version_info
    text = (f"### One summation for Σ — its cost to the interpreter (Python {v.major}.{v.minor}, "
            "`python -m bench.summation`)\n\n"
            "Σ_k w_k a_k of one neuron: `ops.add_up` (left to right, the same float on every "
            "Python) against built-in `sum()` (compensated from 3.12).  Best of 7.\n\n"
            "| inputs | add_up | sum() | difference |\n|---|---|---|---|\n" + "\n".join(rows))
    verdict = (f"one summation for Σ (Python {v.major}.{v.minor}): about {extra * 1e3:+.2f} ms "
               f"per W1 interpreter step ({DOTS_PER_W1_STEP:,} dot products) against built-in "
               "sum()")
    return text, verdict


if __name__ == "__main__":
    text, verdict = run()
    print(text + "\n\n- " + verdict)
