"""Mutants of the op table's entries: the module-level code of microgrid/ops.py that mutmut 3
skips (it mutates functions only).

Each ``_entry(...)`` call, the module's constants (``EXP_MAX``) and the two functions that
run only while the module is imported (``_entry``, ``_torch``) get the kinds of mutation
mutmut makes: an arithmetic operator swapped (+ −, × ÷, ** ×), a comparison moved across its
boundary (> ≥, < ≤, == !=), a unary minus dropped, a number changed by one, a string changed,
a boolean flipped.  Each mutant is written into a scratch copy of the project and the tests
that read the table are run on it, in a forked child (torch and pytest are imported once),
stopping at the first failure (killed) or passing (survived).

    python tools/mutate_table.py [--json out.json] [--tests tests/test_ops.py ...]

Exit status 0; the survivors are printed and written to the JSON file for tools/mutation_report.py.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds a mutant's tests may take (the whole selection takes about 2 minutes)
OPS = Path("microgrid/ops.py")
TESTS = [  # every core test that reads the table (no browser, site or notebook test), the
    # quick ones first: a mutant stops at its first failure
    "tests/test_contract_display.py", "tests/test_contract_engine.py",
    "tests/test_contract_ops.py", "tests/test_ops.py", "tests/test_engine.py",
    "tests/test_idioms.py", "tests/test_compile_table.py", "tests/test_explore.py",
    "tests/test_graph.py",
    "tests/test_torch_bridge.py", "tests/test_folding.py", "tests/test_catalogue.py",
]
DESELECT = "not chromium and not million and not deep_chain"

_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.Pow: ast.Mult}
_CMPOP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq,
          ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


# functions that run only while the module is imported (they build the table): mutmut's
# mutants of them are never active, since the table is built before any mutant is switched on
IMPORT_TIME = ("_entry", "_torch")


def _targets(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """(the entry or constant it belongs to, node) for every mutable node at module level."""
    out = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name in IMPORT_TIME:
            out += [(f"{stmt.name}()", node) for s in stmt.body for node in ast.walk(s)
                    if not isinstance(s, ast.Expr)]  # (not the docstring)
            continue
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            continue
        value = stmt.value
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        name = getattr(target, "id", "?")
        is_entry = (isinstance(value, ast.Call) and getattr(value.func, "id", "") == "_entry")
        if is_entry:
            name = f"{name} ({ast.literal_eval(value.args[0])!r})"
        elif not (isinstance(value, ast.Constant) and isinstance(value.value, (int, float))):
            continue
        out += [(name, node) for node in ast.walk(value)]
    return out


def _none(n: ast.AST) -> ast.AST:
    return ast.Constant(None)


def _mutations(node: ast.AST, in_function: bool) -> list[tuple[str, callable]]:
    """(what, how) pairs: ``how(node)`` mutates the node (a copy) in place, or returns a
    replacement node.  In a function also mutmut's statement mutations: an argument of a
    call, a value assigned or returned, replaced by None."""
    found = []
    if in_function and isinstance(node, ast.Call):
        for i in range(len(node.args)):
            def arg_none(n, i=i):
                n.args[i] = ast.Constant(None)
            found.append((f"argument {i + 1} of {ast.unparse(node.func)}() → None", arg_none))
        for k in node.keywords:
            def kw_none(n, name=k.arg):
                next(k for k in n.keywords if k.arg == name).value = ast.Constant(None)
            found.append((f"{k.arg}= of {ast.unparse(node.func)}() → None", kw_none))
    if (in_function and isinstance(node, (ast.Assign, ast.Return)) and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)):
        def value_none(n):
            n.value = ast.Constant(None)
        found.append((f"{type(node).__name__.lower()}ed value → None", value_none))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOP:
        new = _BINOP[type(node.op)]
        found.append((f"{type(node.op).__name__} → {new.__name__}",
                      lambda n, new=new: setattr(n, "op", new())))
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMPOP:
                new = _CMPOP[type(op)]

                def swap(n, i=i, new=new):
                    n.ops[i] = new()
                found.append((f"{type(op).__name__} → {new.__name__}", swap))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        found.append(("drop unary −", lambda n: n.operand))
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            found.append((f"{v} → {not v}", lambda n: setattr(n, "value", not n.value)))
        elif isinstance(v, (int, float)):
            found.append((f"{v!r} → {v + 1!r}", lambda n: setattr(n, "value", n.value + 1)))
        elif isinstance(v, str):
            found.append((f"{v!r} → 'XX…XX'",
                          lambda n: setattr(n, "value", f"XX{n.value}XX")))
    return found


def mutants(source: str) -> list[tuple[str, str, str]]:
    """(where, what, mutated source) for every mutant of the table's entries."""
    tree = ast.parse(source)
    out = []
    for index, (where, node) in enumerate(_targets(tree)):
        for what, how in _mutations(node, where.endswith("()")):
            mutated = copy.deepcopy(tree)
            target = _targets(mutated)[index][1]
            replacement = how(target)
            if replacement is not None:  # replace the node in its parent
                for parent in ast.walk(mutated):
                    for field, value in ast.iter_fields(parent):
                        if value is target:
                            setattr(parent, field, replacement)
                        elif isinstance(value, list) and any(v is target for v in value):
                            value[:] = [replacement if v is target else v for v in value]
            out.append((f"{where}, line {node.lineno}", what, ast.unparse(mutated)))
    return out


def _scratch() -> Path:
    """A copy of the project to mutate (without git, the site, node_modules, mutmut's)."""
    scratch = Path(tempfile.mkdtemp(prefix="microgrid-table-mutants-"))
    skip = shutil.ignore_patterns(".git", ".venv", "site", "node_modules", "mutants",
                                  ".cache", "__pycache__", ".hypothesis", "notebooks")
    shutil.copytree(ROOT, scratch / "p", ignore=skip)
    return scratch / "p"


def _pytest(project: Path, args: list[str]) -> int:
    """pytest's exit status on ``project``, in a forked child of this process (which has
    imported torch and pytest already: a mutant then costs its tests, not their imports)."""
    pid = os.fork()
    if pid == 0:  # the child: import the project's microgrid (mutated) afresh and test it
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            signal.alarm(TIMEOUT)  # a mutant that loops is stopped: it counts as killed
            os.chdir(project)
            sys.path.insert(0, str(project))
            import pytest

            os._exit(int(pytest.main(args)))
        except BaseException:
            os._exit(99)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def run(tests: list[str], where: str | None = None) -> list[dict]:
    # what every test run imports, imported once here (the children inherit it); microgrid not
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401

    project = _scratch()
    os.environ["CI"] = "true"  # hypothesis derandomized: the same examples for every mutant
    args = ["-x", "-q", "-p", "no:cacheprovider", "-k", DESELECT, *tests]
    original = (ROOT / OPS).read_text(encoding="utf-8")
    results = []
    try:
        if _pytest(project, args) != 0:
            sys.exit("mutate_table: the tests fail on the unmutated table")
        all_mutants = [m for m in mutants(original) if where is None or m[0].startswith(where)]
        for i, (where, what, source) in enumerate(all_mutants, 1):
            (project / OPS).write_text(source, encoding="utf-8")
            start = time.perf_counter()
            status = "survived" if _pytest(project, args) == 0 else "killed"
            results.append({"where": where, "mutation": what, "status": status,
                            "seconds": round(time.perf_counter() - start, 1)})
            print(f"[{i}/{len(all_mutants)}] {status:8} {where}: {what}", flush=True)
    finally:
        shutil.rmtree(project.parent, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--tests", nargs="+", default=TESTS)
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--where", help="only the mutants whose place starts with this")
    args = parser.parse_args(argv)
    if args.list:
        for place, what, _ in mutants((ROOT / OPS).read_text(encoding="utf-8")):
            if args.where is None or place.startswith(args.where):
                print(f"{place}: {what}")
        return
    results = run(args.tests, args.where)
    killed = sum(r["status"] == "killed" for r in results)
    print(f"op table: {killed} of {len(results)} mutants killed "
          f"({100 * killed / max(len(results), 1):.1f} %)")
    for r in results:
        if r["status"] == "survived":
            print(f"  survived: {r['where']}: {r['mutation']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
