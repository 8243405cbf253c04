"""W4, wide: one loss over 100,000 products, L = Σ_i w_i·x_i, forward + backward.

w_i are leaves (parameters), x_i plain numbers (data).  ∂L/∂w_i = x_i is checked for every
engine before timing.  Variants:

    microgrid        mg.sum([w * x for w, x in zip(ws, xs)])   (n mul nodes + one n-ary Σ node)
    microgrid.dot    mg.dot(ws, xs)                            (one fused node)
    micrograd        sum(w * x for w, x in zip(ws, xs))        (builtin sum: a chain of n adds,
                                                                so its backward recurses n deep)
    PyTorch scalars  torch.stack([w * x ...]).sum()            (0-dim tensors, one n-ary sum)
    PyTorch tensor   (w @ x) on two 1-d tensors                (context)
"""

from __future__ import annotations

import random

from .timing import interleaved


def make_data(n: int, seed: int = 3) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def engines(n: int) -> dict[str, tuple]:
    """name → (setup() → state, run(state) → leaf gradient list or None if backward failed)."""
    w0, xs = make_data(n)
    out: dict[str, tuple] = {}

    import microgrid as mg

    def mg_setup():
        return [mg.Value(w) for w in w0]

    def mg_products(ws):
        loss = mg.sum([w * x for w, x in zip(ws, xs)])
        loss.backward()
        return ws

    def mg_dot(ws):
        loss = mg.dot(ws, xs)
        loss.backward()
        return ws

    out["microgrid (mul nodes + sum)"] = (mg_setup, mg_products)
    out["microgrid.dot (fused)"] = (mg_setup, mg_dot)

    try:
        from micrograd.engine import Value as MValue

        def mgrad_setup():
            return [MValue(w) for w in w0]

        def mgrad_run(ws):
            loss = sum(w * x for w, x in zip(ws, xs))
            try:
                loss.backward()
            except RecursionError:
                return None
            return ws

        out["micrograd (builtin sum)"] = (mgrad_setup, mgrad_run)
    except ImportError:
        pass

    try:
        import torch

        def t_setup():
            return [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in w0]

        def t_run(ws):
            loss = torch.stack([w * x for w, x in zip(ws, xs)]).sum()
            loss.backward()
            return ws

        def tv_setup():
            return torch.tensor(w0, dtype=torch.float64, requires_grad=True)

        xv = torch.tensor(xs, dtype=torch.float64)

        def tv_run(w):
            loss = w @ xv
            loss.backward()
            return w

        out["PyTorch scalars (stack + sum)"] = (t_setup, t_run)
        out["PyTorch tensor (context)"] = (tv_setup, tv_run)
    except ImportError:
        pass
    return out


def grads_of(state) -> list[float]:
    if hasattr(state, "grad") and not isinstance(state, list):  # one torch tensor
        return state.grad.tolist()
    return [float(w.grad.item() if hasattr(w.grad, "item") else w.grad) for w in state]


def measure(n: int = 100_000, rounds: int = 5) -> dict[str, dict]:
    _, xs = make_data(n)
    results: dict[str, dict] = {}
    runnable = {}
    for name, (setup, run) in engines(n).items():
        state = run(setup())
        if state is None:
            results[name] = {"status": "RecursionError in backward"}
            continue
        g = grads_of(state)
        bad = [i for i, (a, b) in enumerate(zip(g, xs)) if abs(a - b) > 1e-12]
        if len(g) != n or bad:
            raise AssertionError(f"W4 {name}: ∂L/∂w_{bad[:1]} ≠ x (got {len(g)} gradients)")
        runnable[name] = (setup, run)

    # Setup (creating the leaves) is not timed: each timed call gets fresh leaves made just
    # before it, outside the clock.
    states: dict[str, object] = {}

    def timed(name):
        setup, run = runnable[name]

        def call():
            run(states.pop(name))

        return call

    class Fresh(dict):
        pass

    fns = {}
    for name in runnable:
        fns[name] = timed(name)
    # interleaved() collects garbage before each call; we prepare leaves before that too.
    medians = _interleaved_with_setup(runnable, states, fns, rounds)
    for name, t in medians.items():
        results[name] = {"status": "ok", "total": t}
    return results


def _interleaved_with_setup(runnable, states, fns, rounds):
    import gc
    import statistics
    import time

    names = list(fns)
    times = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            states[name] = runnable[name][0]()
            gc.collect()
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


__all__ = ["measure", "interleaved"]
