"""The second stage of `./dev.sh mutate`: every mutant mutmut left alive, run again on the
whole core test selection (pyproject's [tool.mutmut]), not only on the tests mutmut's
statistics tied to its function.

    python tools/mutmut_recheck.py mutants/results.txt   # rewrites the file's survivors

mutmut runs a mutant on the tests that called its function during its statistics run; a test
added since, or one that reaches the function through a path the statistics did not record,
is left out.  Here each survivor is activated the way mutmut does (the environment variable
MUTANT_UNDER_TEST) in the copy mutmut made (``mutants/``, whose tests are refreshed from
``tests/`` first) and the selection runs in a forked child, stopping at the first failure.
A survivor it kills is written ``killed`` in the results file; a mutant mutmut did not reach
(``not checked``, a stopped run) is run the same way.  ``--quick-only``: the quick files only
(the contract tests and the module's own), for a run short of time.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds a mutant's tests may take (the whole selection takes about 2 minutes)


def _pytest(args: list[str], mutant: str) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            signal.alarm(TIMEOUT)  # a mutant that loops is stopped: it counts as killed
            os.environ["MUTANT_UNDER_TEST"] = mutant
            import pytest

            os._exit(int(pytest.main(args)))
        except BaseException:
            os._exit(99)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def main(argv: list[str]) -> None:
    quick_only = "--quick-only" in argv  # a survivor of the quick files is left "survived"
    argv = [a for a in argv if a != "--quick-only"]
    results = Path(argv[0]).resolve()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    shutil.copytree(ROOT / "tests", ROOT / "mutants" / "tests", dirs_exist_ok=True)
    mutated = {f"{m}.py" for m in ("engine", "ops", "nn", "backprop")}  # mutmut's copies stay
    shutil.copytree(ROOT / "microgrid", ROOT / "mutants" / "microgrid", dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if n in mutated
                                             and Path(d) == ROOT / "microgrid"])
    args = ["-x", "-q", "--rootdir=.", *config["pytest_add_cli_args"],
            *config["pytest_add_cli_args_test_selection"]]
    import hypothesis  # noqa: F401 - imported once, here; the children inherit them
    import numpy  # noqa: F401
    import torch  # noqa: F401

    os.chdir(ROOT / "mutants")
    sys.path.insert(0, str(ROOT / "mutants"))
    os.environ["CI"] = "true"
    options = args[: -len(config["pytest_add_cli_args_test_selection"])]
    contract = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_contract_*"))
    if _pytest([*options, *contract], "") != 0:  # (the whole selection: mutmut's clean run)
        sys.exit("mutmut_recheck: the contract tests fail without a mutant")
    lines = results.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        name, sep, status = line.strip().rpartition(": ")
        if sep and status in ("survived", "no tests", "not checked"):
            # first the quick files that state the module's behaviour, then everything
            module = name.split(".")[1]
            quick = [*options, *contract, f"tests/test_{module}.py"]
            if _pytest(quick, name) != 0 or not quick_only and _pytest(args, name) != 0:
                status = "killed"
            else:
                status = "survived"
            print(f"{status:8} {name}", flush=True)
            line = f"    {name}: {status}"
        out.append(line)
    results.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
