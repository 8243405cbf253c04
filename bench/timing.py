"""Interleaved timing: every engine runs once per round, rounds repeat, medians are reported
(ratios between engines: the median of the per-round ratios, see `median_ratio`).

Interleaving means a burst of load from other processes on this shared machine hits every
engine alike instead of one of them.  A full ``gc.collect()`` before each timed call (not
timed) makes each engine start from a clean heap and not pay for another engine's garbage.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable


def interleaved_runs(
    fns: dict[str, Callable[..., object]],
    rounds: int,
    setups: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``rounds`` interleaved rounds.

    The order rotates every round so no engine always runs right after the same one.  If
    ``setups[name]`` exists, its result is made (untimed) just before each call and passed in."""
    setups = setups or {}
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            args = (setups[name](),) if name in setups else ()
            gc.collect()
            t0 = time.perf_counter()
            fns[name](*args)
            times[name].append(time.perf_counter() - t0)
            del args
    return times


def steps_in_rounds(
    steps: dict[str, Callable[[], object]], rounds: int, call_seconds: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Seconds per step of each engine in each of ``rounds`` interleaved rounds, and how many
    steps each timed call ran: a fast engine runs k steps per call, so that one call lasts
    about ``call_seconds`` (long enough to include the occasional full garbage collection)."""
    fns, reps = {}, {}
    for name, step in steps.items():
        gc.collect()
        t0 = time.perf_counter()
        step()
        k = max(1, round(call_seconds / (time.perf_counter() - t0)))

        def many(step: Callable[[], object] = step, k: int = k) -> None:
            for _ in range(k):
                step()

        fns[name], reps[name] = many, k
    runs = interleaved_runs(fns, rounds)
    return {name: [t / reps[name] for t in ts] for name, ts in runs.items()}, reps


def interleaved(
    fns: dict[str, Callable[..., object]],
    rounds: int,
    setups: dict[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each function over ``rounds`` interleaved rounds."""
    return medians(interleaved_runs(fns, rounds, setups))


def medians(runs: dict[str, list[float]]) -> dict[str, float]:
    """Each engine's median over its rounds."""
    return {name: statistics.median(ts) for name, ts in runs.items()}


def median_ratio(a: list[float], b: list[float]) -> float:
    """The median over rounds of a[i] / b[i]: a ratio of two engines timed in the same round,
    seconds apart.  This machine's speed drifts by tens of percent over seconds (other tenants
    of the host), and a ratio taken within one round cancels most of that drift, where the
    ratio of two medians taken over the whole run does not."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


class GcClock:
    """Total seconds spent inside garbage collections while installed (a ``gc.callbacks``
    entry: it observes the collector, it does not change it)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.count = 0
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._t0
            self.count += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def without_gc(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with the cyclic garbage collector switched off for the call, then restored."""

    def call() -> object:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn()
        finally:
            if was_enabled:
                gc.enable()

    return call


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    """CPUs this process may run on (what `nproc` prints)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine() -> str:
    """One line: CPU, cores, Python, library versions, load (the machine is shared)."""
    versions = [f"Python {platform.python_version()} ({sys.implementation.name})"]
    for mod in ("torch", "numpy"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"{mod} not installed")
    try:
        from importlib.metadata import version

        versions.append(f"micrograd {version('micrograd')}")
    except Exception:
        versions.append("micrograd not installed")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, nproc={nproc()}, {', '.join(versions)}, load average {load:.2f} at start"
    )
