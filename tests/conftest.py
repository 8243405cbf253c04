"""Test-run policy: hypothesis profiles, and no silent skips in CI.

* Hypothesis: with the environment variable ``CI`` set (CI runs with ``CI=true``) the "ci"
  profile is loaded: derandomized (the same examples on every run, so the gate never depends on
  luck), no example database, no deadline.  Otherwise the "default" profile: random examples
  (exploration), still no deadline and no too-slow health check, so a loaded machine never
  fails a test for being slow.  ``pytest -m slow`` runs the long property tests (thousands of
  examples), ``--hypothesis-profile=ci`` reproduces CI's examples locally.
* Skips: a test may skip for a user whose machine lacks something optional (Graphviz's `dot`,
  a `chromium` for the `browser` fixture below).
  In CI everything is installed, so a skip can only hide a broken set-up: with ``CI`` set every
  skip is reported as a failure naming its reason.
* torch: the oracle of the files that import it (torch==2.13.0, whose CPU wheel is for Python
  3.11 only).  Where torch is not installed (CI's runs on 3.12 and 3.13) those files are not
  collected at all — not skipped — and the header says which.  ``MICROGRID_TORCH=required``
  (CI's 3.11 run) makes a missing torch an error, so the run that must hold them does.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


CI = _ci()

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if CI else "default")


def _fail_if_skipped(report, when: str) -> None:
    if not CI or not report.skipped or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr
    report.outcome = "failed"
    report.longrepr = (
        f"skipped during {when}, and CI (CI={os.environ['CI']!r}) allows no skips: {reason}"
    )


TORCH = importlib.util.find_spec("torch") is not None
_USES_TORCH = re.compile(r"^(import torch|from torch|(import|from) microgrid\.torch_bridge)\b",
                         re.M)
#: the test files torch is the oracle of, left out of the collection where torch is missing
collect_ignore = [] if TORCH else sorted(
    p.name for p in Path(__file__).parent.glob("test_*.py")
    if _USES_TORCH.search(p.read_text(encoding="utf-8")))


def pytest_configure(config):
    if not TORCH and os.environ.get("MICROGRID_TORCH", "") == "required":
        raise pytest.UsageError("MICROGRID_TORCH=required, but torch is not installed: the "
                                "torch-oracle tests would not run (pip install -e '.[test]')")


def pytest_report_header(config):
    if collect_ignore:
        return (f"torch is not installed: {len(collect_ignore)} files of torch-oracle tests are "
                f"not collected ({', '.join(collect_ignore)})")
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_if_skipped(outcome.get_result(), call.when)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_if_skipped(outcome.get_result(), "collection")


@pytest.fixture(scope="module")
def browser():
    """The system's Chromium (Debian's `chromium`), driven by Playwright: Playwright's own
    browser download is not needed.  Without one on PATH the test is skipped with the install
    hint, which CI reports as a failure (above)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("the browser tests need Chromium: apt-get install chromium "
                    "(./dev.sh test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()
