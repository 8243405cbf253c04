"""W4, wide: one loss over 100,000 products, L = Σ_i w_i·x_i, forward + backward.

w_i are leaves (parameters), x_i plain numbers (data).  ∂L/∂w_i = x_i is checked for every
engine before timing.  Variants:

    microgrid        mg.sum([w * x for w, x in zip(ws, xs)])   (n mul nodes, n Const leaves for
                                                                the x_i, one n-ary Σ node)
    microgrid.dot    mg.dot(ws, xs)                            (one fused node)
    microgrid compiled  the first graph built once, `microgrid.compile`d, replayed (refused
                     over `microgrid.compiler.MAX_STRAIGHT`, as it is at n = 100,000)
    micrograd        sum(w * x for w, x in zip(ws, xs))        (builtin sum: a chain of n adds,
                                                                so its backward recurses n deep)
    PyTorch scalars  torch.stack([w * x ...]).sum()            (0-dim tensors, one n-ary sum)
    PyTorch tensor   w @ x on two 1-d tensors                  (context)

Creating the leaves w_i is not timed (it happens before the clock, fresh for every call).
"""

from __future__ import annotations

import random
import time

from .timing import interleaved


def make_data(n: int, seed: int = 3) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def engines(w0: list[float], xs: list[float]) -> dict[str, tuple]:
    """name → (setup() → leaves, run(leaves) → leaves after backward)."""
    import microgrid as mg

    out: dict[str, tuple] = {}

    def mg_leaves():
        return [mg.Value(w) for w in w0]

    def mg_products(ws):
        mg.sum([w * x for w, x in zip(ws, xs, strict=True)]).backward()
        return ws

    def mg_dot(ws):
        mg.dot(ws, xs).backward()
        return ws

    out["microgrid (mul nodes + sum)"] = (mg_leaves, mg_products)
    out["microgrid.dot (fused)"] = (mg_leaves, mg_dot)

    cws = mg_leaves()
    try:
        cstep = mg.compile(mg.sum([w * x for w, x in zip(cws, xs, strict=True)]))
    except ValueError as e:  # over MAX_STRAIGHT: reported, not timed
        out["microgrid compiled (mul nodes + sum)"] = (None, f"refused: {str(e).split(';')[0]}")
    else:

        def c_setup():
            for w in cws:
                w.grad = 0.0
            return cws

        def c_run(ws):
            cstep()
            return ws

        out["microgrid compiled (mul nodes + sum)"] = (c_setup, c_run)

    try:
        from micrograd.engine import Value as MValue

        def mgrad_run(ws):
            sum(w * x for w, x in zip(ws, xs, strict=True)).backward()
            return ws

        out["micrograd (builtin sum)"] = (lambda: [MValue(w) for w in w0], mgrad_run)
    except ImportError:
        pass

    try:
        import torch

        f64 = torch.float64

        def t_run(ws):
            torch.stack([w * x for w, x in zip(ws, xs, strict=True)]).sum().backward()
            return ws

        xv = torch.tensor(xs, dtype=f64)

        def tv_run(w):
            (w @ xv).backward()
            return w

        out["PyTorch scalars (stack + sum)"] = (
            lambda: [torch.tensor(w, dtype=f64, requires_grad=True) for w in w0],
            t_run,
        )
        out["PyTorch tensor (context)"] = (
            lambda: torch.tensor(w0, dtype=f64, requires_grad=True),
            tv_run,
        )
    except ImportError:
        pass
    return out


def leaf_grads(leaves) -> list[float]:
    if isinstance(leaves, list):
        return [float(w.grad.item() if hasattr(w.grad, "item") else w.grad) for w in leaves]
    return leaves.grad.tolist()  # one torch tensor


def measure(n: int = 100_000, rounds: int = 5) -> dict[str, dict]:
    w0, xs = make_data(n)
    results: dict[str, dict] = {}
    fns, setups = {}, {}
    for name, (setup, run) in engines(w0, xs).items():
        if setup is None:
            results[name] = {"status": run}
            continue
        leaves = setup()
        t0 = time.perf_counter()
        try:
            run(leaves)
        except RecursionError:
            failed_after = time.perf_counter() - t0
            results[name] = {"status": "RecursionError in backward", "once": failed_after}
            continue
        g = leaf_grads(leaves)
        bad = [i for i, (a, b) in enumerate(zip(g, xs, strict=True)) if abs(a - b) > 1e-12]
        if len(g) != n or bad:
            raise AssertionError(f"W4 {name}: ∂L/∂w_i ≠ x_i (first bad: {bad[:1]}, {len(g)} grads)")
        fns[name], setups[name] = run, setup
    for name, t in interleaved(fns, rounds, setups).items():
        results[name] = {"status": "ok", "total": t}
    return results
