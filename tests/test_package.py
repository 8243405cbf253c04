"""The package as a newcomer first meets it: ``import *``, names that mean one thing each."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import pytest

import microgrid


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (``import *`` and sys.modules shims must not leak)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_import_star_leaves_the_builtin_sum_alone():
    p = run_python(
        "from microgrid import *\n"
        "assert sum([]) == 0 and sum([1, 2, 3]) == 6, sum\n"
        "assert sum is __builtins__.sum\n"
        "print(Value(2.0) * 3)\n"
    )
    assert p.returncode == 0, p.stderr


def test_import_star_and_the_engine_work_without_graphviz():
    # sys.modules[name] = None makes `import graphviz` raise ImportError, as if not installed.
    p = run_python(
        "import sys\n"
        "sys.modules['graphviz'] = None\n"
        "from microgrid import *\n"
        "net = MLP(2, [3, 1], seed=0)\n"
        "loss = (1 - net([0.5, -1.0])) ** 2\n"
        "loss.backward()\n"
        "assert gradcheck(lambda x: (x * x).tanh(), [0.3])\n"
        "import microgrid\n"
        "try:\n"
        "    microgrid.draw_dot\n"
        "except ImportError:\n"
        "    print('draw_dot needs graphviz')\n"
    )
    assert p.returncode == 0, p.stderr
    assert "draw_dot needs graphviz" in p.stdout


def test_import_microgrid_leaves_the_compiler_the_explorer_and_graphviz_for_first_use():
    # They are most of the import time: a page of the site starts its Python sooner without them.
    p = run_python(
        "import sys, microgrid\n"
        "print(sorted(m for m in sys.modules if m.startswith(('microgrid.compiler', "
        "'microgrid.explorer', 'microgrid.drawing', 'graphviz'))))\n"
        "from microgrid import compile, explore, Explorer\n"
        "from microgrid.compiler import compile as c\n"
        "from microgrid.explorer import explore as e, Explorer as E\n"
        "assert (compile, explore, Explorer) == (c, e, E)\n"
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_no_public_name_shadows_a_builtin():
    shadowing = [name for name in microgrid.__all__ if hasattr(builtins, name)]
    assert shadowing == []


def test_every_name_in_all_exists():
    for name in microgrid.__all__:
        assert getattr(microgrid, name) is not None


def test_sum_and_draw_dot_are_still_importable_by_name():
    from microgrid import draw_dot, drawing, render, sum  # noqa: A004 - the point of the test
    from microgrid.engine import sum as engine_sum

    assert sum is engine_sum and sum([microgrid.Value(1.0), 2.0]).data == 3.0
    assert draw_dot is drawing.draw_dot and render is drawing.render


def test_microgrid_gradcheck_is_the_function_and_its_module_has_another_name():
    import microgrid.gradient_check as module

    assert callable(microgrid.gradcheck)
    assert microgrid.gradcheck is module.gradcheck
    assert module.numerical_grads(lambda x: x * x, [microgrid.Value(3.0)])[0] == \
        pytest.approx(6.0)
    # No module may share the function's name: `import microgrid.gradcheck as g` would then
    # give the function, not the module.  (Checked on the files: an editable install of another
    # checkout can still serve an old microgrid/gradcheck.py to the import system.)
    package = Path(microgrid.__file__).parent
    assert (package / "gradient_check.py").is_file()
    assert not (package / "gradcheck.py").exists()
    assert not (package / "gradcheck").exists()


def test_no_module_of_the_package_is_over_400_lines():
    """A module is read in one sitting."""
    package = Path(microgrid.__file__).parent
    lines = {path.relative_to(package).as_posix(): len(path.read_text("utf-8").splitlines())
             for path in package.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > 400} == {}


def test_the_engine_is_the_chain_rule_in_under_300_lines_and_backward_in_30():
    """engine.py is what a learner opens to see the chain rule: it stays short, and
    ``backward`` with the ``chain_rule`` it calls reads in one screen."""
    import inspect

    from microgrid import engine

    assert len(inspect.getsource(engine).splitlines()) <= 300
    lines = (len(inspect.getsource(engine.Value.backward).splitlines())
             + len(inspect.getsource(engine.chain_rule).splitlines()))
    assert lines <= 30, lines
