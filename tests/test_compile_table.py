"""microgrid.compile writes its code from the op table: every entry, and a user's own.

The reference is the interpreter itself (a fresh graph on the same numbers, then
``backward()``): a compiled replay must give the same floats, compared with ``==``, and raise
the same errors with the same messages.
"""

from __future__ import annotations

import math

import pytest

import microgrid
from microgrid import Value, ops

# a point inside every built-in op's domain (log, sqrt and x ** y need x > 0), and another
POINTS = ([0.7, 1.3, 0.4, 1.9, 0.6], [1.4, 0.35, 1.1, 0.8, 1.7])


def _operands(entry: ops.Op, data: list[float]) -> list[Value]:
    n = entry.arity or (5 if entry.name == "·+" else 4)
    return [Value(d, f"x{k}") for k, d in enumerate(data[:n])]


def _interpreted(entry: ops.Op, data: list[float]) -> tuple[float, list[float]]:
    xs = _operands(entry, data)
    out = microgrid.engine.apply(entry, xs) * 1.5
    out.backward()
    return out.data, [x.grad for x in xs]


# every built-in entry of the table: an entry added to the table later is compiled by the same
# code, so a compiler that knows ops by name fails here
@pytest.mark.parametrize("name", sorted(n for n, e in ops.table.items() if not e.user_defined))
def test_every_entry_of_the_op_table_compiles_to_the_interpreters_numbers(name):
    entry = ops.table[name]
    xs = _operands(entry, POINTS[0])
    step = microgrid.compile(microgrid.engine.apply(entry, xs) * 1.5)
    for x, d in zip(xs, POINTS[1], strict=False):
        x.data = d
    value, grads = _interpreted(entry, POINTS[1])
    assert step() == value
    assert [x.grad for x in xs] == grads


@pytest.mark.parametrize("n", [2.0, 3.0, -1.0, 0.5, 1.5, 1 / 3])
def test_the_power_family_compiles_to_the_interpreters_numbers(n):
    x = Value(0.8, "x")
    step = microgrid.compile(x**n * 2.0 + x)
    x.data = 1.7
    fresh = Value(1.7)
    want = fresh**n * 2.0 + fresh
    want.backward()
    assert step() == want.data and x.grad == fresh.grad


# ------------------------------------------------------------------ a user's op
@pytest.fixture(autouse=True)
def _users_ops_are_removed_afterwards():
    """Each test's own microgrid.op entries leave the (global) table when it ends, so no name
    clashes with another test's."""
    before = set(ops.table)
    yield
    for name in set(ops.table) - before:
        del ops.table[name]


def _atan_and_hypot():
    atan = microgrid.op("atan", derivative=lambda x, out: 1 / (1 + x * x))(math.atan)
    hypot = microgrid.op("hypot", derivative=lambda x, y, out: (x / out, y / out))(
        lambda x, y: math.hypot(x, y))  # math.hypot takes *coordinates: say it takes two
    return atan, hypot


def test_a_users_ops_compile_bit_for_bit_and_follow_new_data():
    atan, hypot = _atan_and_hypot()

    def _user_graph(a: Value, b: Value) -> Value:
        return atan(a * b) * hypot(a, b - 0.5) + hypot(atan(b), 2.0)

    a, b = Value(0.3, "a"), Value(-1.2, "b")
    root = _user_graph(a, b)
    step = microgrid.compile(root)
    # the rules are traced into the code; the forward passes (math's) are called
    assert "1 / (1 + " in step.source and "atan(" in step.source and "hypot(" in step.source
    for da, db in ((0.3, -1.2), (2.5, 0.75), (-4.0, 3.0)):
        a.data, b.data, a.grad, b.grad = da, db, 0.0, 0.0
        got = step()
        fa, fb = Value(da), Value(db)
        want = _user_graph(fa, fb)
        want.backward()
        assert got == want.data
        assert (a.grad, b.grad) == (fa.grad, fb.grad)
        # and grad(create_graph=True), which builds the same rules as Values, agrees
        ga, gb = Value(da), Value(db)
        first = microgrid.grad(_user_graph(ga, gb), [ga, gb], create_graph=True)
        assert [g.data for g in first] == [a.grad, b.grad]


def test_a_users_op_raises_its_own_error_in_a_replay():
    def checked_log(x: float) -> float:
        if x <= 0.0:
            raise ValueError(f"mylog: {x!r} is not > 0")
        return math.log(x)

    mylog = microgrid.op("mylog", derivative=lambda x, out: 1.0 / x)(checked_log)
    x = Value(2.0, "x")
    step = microgrid.compile(mylog(x) * 3.0)
    x.data = -1.0
    with pytest.raises(ValueError, match=r"mylog: -1\.0 is not > 0") as info:
        step()
    assert any("compiled step: at node" in n for n in info.value.__notes__)
    assert x.grad == 0.0


def test_a_users_rule_that_returns_a_non_finite_number_is_refused_as_the_interpreter_does():
    recip = microgrid.op("recip_c", derivative=lambda x, out: -out * out)(lambda x: 1.0 / x)
    x, y = Value(2.0, "x"), Value(2.0, "y")
    step = microgrid.compile(recip(x) * y.log())
    # out = 1e200, the rule gives -1e400 = -inf: refused when the node is made, before the
    # log of a negative number below it
    x.data, y.data = 1e-200, -1.0
    with pytest.raises(ValueError) as got:
        step()
    with pytest.raises(ValueError) as want:
        recip(Value(1e-200)) * Value(-1.0).log()
    assert str(got.value) == str(want.value) and "recip_c" in str(got.value)


def _step_rule(x: float, out: float) -> float:
    # a Python `if` on the operand: traced both ways (a comparison on the tracer's symbol)
    if x > 1.0:
        return 2.0 * x
    return 0.5


def _floor_rule(x: float, out: float) -> float:
    # an `if` on math.floor(x): not a comparison of the operand the tracer can follow, so the
    # rule is called as a function
    if math.floor(x) % 2 == 0:
        return 1.0
    return 1.0 + 0.0 * x


def _softstep(x: float) -> float:
    return x * x if x > 1.0 else 0.5 * x + 0.5


@pytest.mark.parametrize("forward,rule,called", [(_softstep, _step_rule, False),
                                                 (lambda x: x + 0.0 * math.floor(x),
                                                  _floor_rule, True)])
def test_a_rule_with_an_if_compiles_traced_or_called(forward, rule, called):
    f = microgrid.op("users_op", derivative=rule)(forward)
    x = Value(0.5, "x")
    step = microgrid.compile(f(x * 3.0) * x)
    assert ("_rule(" in step.source) is called
    for d in (0.5, 0.1, 2.0, -3.0):  # both sides of the branch
        x.data, x.grad = d, 0.0
        got = step()
        fresh = Value(d)
        want = f(fresh * 3.0) * fresh
        want.backward()
        assert got == want.data and x.grad == fresh.grad, d


def test_an_unknown_op_is_refused_at_compile_time_naming_it():
    x = Value(1.0)
    odd = x * 2.0
    odd.op = "cube"
    with pytest.raises(ValueError, match="unknown op 'cube'"):
        microgrid.compile(odd + 1.0)


def test_every_module_of_the_compiler_stays_within_400_lines():
    from pathlib import Path

    import microgrid.compiler

    folder = Path(microgrid.compiler.__file__).parent
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*.py")}
    assert len(sizes) >= 8 and max(sizes.values()) <= 400, sizes
