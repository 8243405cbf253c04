"""tools/mutation-results.md from a mutation run: mutmut's results and tools/mutate_table.py's
(the Reliability page, docs/reliability.md, includes it).

    python tools/mutation_report.py mutants/results.txt mutants/table.json \
        > tools/mutation-results.md

``results.txt`` is ``mutmut results --all true``: one ``name: status`` line a mutant.  The
survivors judged equivalent (no test can tell them from the code: the same behaviour) are
listed with their reason in tools/mutation_equivalents.txt, one ``name<TAB>reason`` line each;
the score "excluding equivalents" leaves them out.  Every other survivor is a gap a test
should close.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("engine", "ops", "nn", "backprop")
COUNTED = ("killed", "survived", "timeout", "no tests", "suspicious", "segfault")
# mutmut's mutants of the functions that run only while microgrid.ops is imported (they build
# the table, before any mutant is switched on): never active, so they say nothing about the
# tests; tools/mutate_table.py mutates that code instead (the table's row)
IMPORT_TIME = tuple(f"microgrid.ops.x_{f}__mutmut_" for f in ("_entry", "_torch"))


def equivalents() -> dict[str, str]:
    path = ROOT / "tools" / "mutation_equivalents.txt"
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition("\t")
            out[name] = reason.strip()
    return out


def read_results(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            out[name] = status
    return out


def _row(name: str, counts: Counter, equivalent: int) -> str:
    tested = sum(counts[s] for s in COUNTED)
    if not tested:
        return f"| {name} | not run | | | | | | |"
    if counts["not checked"]:  # a run stopped before its end
        name += f" ({tested} of {tested + counts['not checked']} mutants run)"
    killed = counts["killed"] + counts["timeout"]
    score = 100 * killed / tested if tested else 0.0
    rest = tested - equivalent
    excl = 100 * killed / rest if rest else 0.0
    return (f"| {name} | {tested} | {killed} | {counts['survived']} | {counts['no tests']} | "
            f"{equivalent} | {score:.1f} % | {excl:.1f} % |")


def report(results: dict[str, str], table: list[dict], note: str = "") -> str:
    known = equivalents()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    lines = [
        f"Written by `./dev.sh mutate` (tools/mutation_report.py) on commit {commit}: mutmut 3",
        "mutates every function of `microgrid/engine.py`, `ops.py`, `nn.py` and `backprop.py`",
        "and runs the core tests on each mutant (no browser, site or notebook test);",
        "`tools/mutate_table.py` mutates the op table's entries, the module-level code mutmut",
        "skips.  Every survivor of mutmut is run again on the whole selection",
        "(`tools/mutmut_recheck.py`).  A survivor left is either a gap a test should close or",
        "*equivalent*: it behaves as the code does, so no test can tell them apart (each with its",
        "reason in `tools/mutation_equivalents.txt`).",
        "",
        "| module | mutants | killed | survived | no tests | equivalent | score "
        "| excluding equivalents |",
        "|---|---|---|---|---|---|---|---|",
    ]
    if note:  # its own paragraph, after the first
        i = lines.index("")
        lines[i:i] = ["", note]
    survivors = []
    for module in MODULES:
        prefix = f"microgrid.{module}."
        mine = {n: s for n, s in results.items() if n.startswith(prefix)}
        if not mine:
            lines.append(f"| {module}.py | not run | | | | | | |")
            continue
        import_time = [n for n in mine if n.startswith(IMPORT_TIME)]
        for n in import_time:
            del mine[n]
        counts = Counter(mine.values())
        bad = [n for n, s in mine.items() if s in ("survived", "no tests")]
        equivalent = sum(n in known for n in bad)
        label = f"{module}.py" + (f" (without its {len(import_time)} import-time mutants)"
                                  if import_time else "")
        lines.append(_row(label, counts, equivalent))
        survivors += [(n, mine[n]) for n in sorted(bad)]
    if table:
        counts = Counter(r["status"] for r in table)
        bad = [f"table: {r['where']}: {r['mutation']}" for r in table if r["status"] != "killed"]
        lines.append(_row("ops.py (the table's entries)", counts, sum(b in known for b in bad)))
        survivors += [(b, "survived") for b in bad]
    lines += ["", "Survivors:", ""]
    if not survivors:
        lines.append("None.")
    for name, status in survivors:
        reason = known.get(name)
        lines.append(f"- `{name}` ({status}): " + (f"equivalent: {reason}" if reason
                                                    else "**not yet killed**"))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    note = ""
    if "--note" in argv:  # a sentence about this run (what was left out, and why)
        i = argv.index("--note")
        note, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    results = read_results(Path(argv[0]))
    table = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if len(argv) > 1 else []
    sys.stdout.write(report(results, table, note))


if __name__ == "__main__":
    main(sys.argv[1:])
