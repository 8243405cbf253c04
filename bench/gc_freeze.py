"""What `gc.freeze()` after your imports does to a W1 step in a process that has torch loaded.

microgrid never touches the garbage collector itself (that would change the user's
interpreter); this measures the standard remedy a user can choose: freezing the objects that
exist after the imports, so full collections stop re-scanning them.

    python -m bench.gc_freeze        # prints two lines: mean ms per step, before and after
"""

from __future__ import annotations

import gc
import time

import torch  # noqa: F401  (the point: a process full of a big library's objects)

from .data import initial_weights, two_moons
from .w1_step import Microgrid


def mean_step_ms(engine: Microgrid, steps: int = 40) -> float:
    for _ in range(3):
        engine.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        engine.step()
    return (time.perf_counter() - t0) / steps * 1e3


def main() -> None:
    X, Y = two_moons()
    W, B = initial_weights()
    engine = Microgrid(W, B, X, Y)
    print(
        f"torch loaded, {len(gc.get_objects()):,} tracked objects: "
        f"{mean_step_ms(engine):.1f} ms per W1 step"
    )
    gc.freeze()
    try:
        print(f"after gc.freeze():                      {mean_step_ms(engine):.1f} ms per W1 step")
    finally:
        gc.unfreeze()


if __name__ == "__main__":
    main()
