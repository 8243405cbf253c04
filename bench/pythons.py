"""W1 on every supported Python: the interpreted and the compiled step, and the hand-written
floor, in a lean process (`bench.w1_lean`) run by each Python that pyenv has here (3.11, 3.12,
3.13: pyproject's supported range).

    python -m bench.pythons

One summation for Σ (strictly left to right, `microgrid.ops.add_up`) lets `compile` write a
neuron's z inline, ``w2_11 * a1_1 + … + b2_1``, on every version; before, from 3.12 on (whose
built-in ``sum()`` compensates rounding) it called a function per neuron, ≈ 3× slower.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VERSIONS = ("3.11", "3.12", "3.13")
ROOT = Path(__file__).resolve().parent.parent


def interpreter(version: str) -> str | None:
    """The newest Python ``version``.x under pyenv, else ``python3.x`` on PATH."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob(f"{version}.*/bin/python"),
                   key=lambda p: [int(x) for x in p.parent.parent.name.split(".")
                                  if x.isdigit()])
    if found:
        return str(found[-1])
    from shutil import which

    return which(f"python{version}")


def measure(python: str, rounds: int, call_seconds: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this tree's microgrid, whatever is installed
    out = subprocess.run([python, "-m", "bench.w1_lean", "--rounds", str(rounds),
                          "--call-seconds", str(call_seconds)], capture_output=True, text=True,
                         check=True, timeout=900, cwd=ROOT, env=env)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["version"] = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                       capture_output=True, text=True).stdout.strip()
    return result


def fmt(s: float) -> str:
    return f"{s * 1e3:.3g} ms"


def run(rounds: int = 7, call_seconds: float = 0.2) -> tuple[str, list[str]]:
    rows, verdicts = [], []
    for v in VERSIONS:
        python = interpreter(v)
        if python is None:
            rows.append(f"| {v} | not installed | | | |")
            verdicts.append(f"W1 on Python {v}: not measured (no interpreter) ✗")
            continue
        r = measure(python, rounds, call_seconds)
        s = r["seconds"]
        rows.append(f"| {r['version']} | {fmt(s['microgrid compiled'])} | {fmt(s['microgrid'])} "
                    f"| {fmt(s['floor'])} | {r['compile_seconds']:.2f} s |")
        ratio = s["microgrid compiled"] / s["floor"]
        verdicts.append(f"W1 compiled step on Python {r['version']}: "
                        f"{fmt(s['microgrid compiled'])} ({ratio:.2f}× the floor)")
    text = ("### W1 on every supported Python (`python -m bench.pythons`)\n\n"
            "Median time per step in a lean process per Python (no torch, no numpy), "
            "interleaved rounds, gc on; gradients checked equal to the floor's first.\n\n"
            "| Python | compiled step | interpreted step | hand-written floor | compile (CPU) |\n"
            "|---|---|---|---|---|\n" + "\n".join(rows))
    return text, verdicts


if __name__ == "__main__":
    text, verdicts = run()
    print(text + "\n\n" + "\n".join(f"- {v}" for v in verdicts))
    sys.exit(0)
