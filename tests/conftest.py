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
* torch and the browser: torch is the oracle of the files that import it (torch==2.13.0, whose
  CPU wheel is for Python 3.11 only), Playwright drives Chromium for the tests that take the
  ``browser`` fixture.  Where one is not installed (CI's runs on 3.12 and 3.13: the extra
  test-core) those tests are not collected at all — not skipped — and the header says which.
  ``MICROGRID_SUITE=full`` (CI's 3.11 run) makes a missing one an error, so the run that must
  hold them does.
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
PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
_USES_TORCH = re.compile(r"^(import torch|from torch|(import|from) microgrid\.torch_bridge)\b",
                         re.M)
#: the test files torch is the oracle of, left out of the collection where torch is missing
collect_ignore = [] if TORCH else sorted(
    p.name for p in Path(__file__).parent.glob("test_*.py")
    if _USES_TORCH.search(p.read_text(encoding="utf-8")))


def pytest_configure(config):
    missing = [name for name, ok in (("torch", TORCH), ("playwright", PLAYWRIGHT)) if not ok]
    if missing and os.environ.get("MICROGRID_SUITE", "") == "full":
        raise pytest.UsageError(f"MICROGRID_SUITE=full, but {' and '.join(missing)} not "
                                "installed: their tests would not run (pip install -e '.[test]')")


def pytest_collection_modifyitems(config, items):
    if PLAYWRIGHT:
        return
    browser = [item for item in items if "browser" in getattr(item, "fixturenames", ())]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if item not in set(browser)]


def pytest_report_header(config):
    lines = []
    if collect_ignore:
        lines.append(f"torch is not installed: {len(collect_ignore)} files of torch-oracle tests "
                     f"are not collected ({', '.join(collect_ignore)})")
    if not PLAYWRIGHT:
        lines.append("playwright is not installed: the tests in Chromium are not collected")
    return lines


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


# ------------------------------------------------------------------------------ the site
ROOT = Path(__file__).resolve().parent.parent


def _site_inputs() -> str | None:
    """A key of everything a build of the site reads: the checkout's files (the tests aside), the
    npm packages and the Python with its installed packages.  None outside a git checkout."""
    import hashlib
    import subprocess
    import sys
    from importlib import metadata

    try:
        names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"], cwd=ROOT, capture_output=True,
                               check=True).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        return None
    h = hashlib.sha256()
    for name in sorted(n for n in names if n and not n.startswith(b"tests/")):
        path = ROOT / name.decode()
        h.update(name + b"\0" + (path.read_bytes() if path.is_file() else b"(gone)") + b"\0")
    npm = ROOT / "node_modules" / ".package-lock.json"
    h.update(npm.read_bytes() if npm.is_file() else b"(no npm packages)")
    h.update(sys.version.encode())
    h.update(" ".join(sorted(f"{d.metadata['Name']}=={d.version}"
                             for d in metadata.distributions())).encode())
    return h.hexdigest()[:20]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The documentation site, built strictly once for the whole run: every test file and every
    worker of ``-n`` reads the same build (a lock makes the first to ask build it).  A build is
    kept in .cache/test-site/ under a key of all it reads (_site_inputs), so the next run of an
    unchanged checkout reads it instead of building it again; any change to the docs, the
    package, the notebooks or the tools makes a new build.  With ``MICROGRID_SITE`` set, the
    site built there just before (CI builds it with ./dev.sh docs first).  Building needs the
    npm packages (KaTeX, Pyodide, Graphviz in WebAssembly)."""
    built = os.environ.get("MICROGRID_SITE")
    if built:
        assert (Path(built) / "index.html").is_file(), f"MICROGRID_SITE={built}: no site there"
        return Path(built).resolve()
    pytest.importorskip("mkdocs", reason="the site needs the docs tools: ./dev.sh docs installs "
                        "them (pip install -e '.[docs]')")
    needed = [ROOT / "node_modules" / "katex" / "dist" / "katex.min.js",
              ROOT / "node_modules" / "pyodide" / "pyodide.asm.wasm"]
    if not all(p.is_file() for p in needed):
        pytest.skip("building the site needs KaTeX and Pyodide from npm: ./dev.sh docs "
                    "installs them (npm ci)")
    import fcntl
    import subprocess
    import sys

    key = _site_inputs()
    if key is None:  # not a checkout: this run's own folder, which xdist's workers share
        base = tmp_path_factory.getbasetemp()
        shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    else:
        shared = ROOT / ".cache" / "test-site"
        shared.mkdir(parents=True, exist_ok=True)
    out = shared / (key or "site")
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "index.html").is_file():
            partial = shared / "building"  # renamed once whole: a stopped build is never read
            shutil.rmtree(partial, ignore_errors=True)
            p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                                "--site-dir", str(partial)], cwd=ROOT, capture_output=True,
                               text=True, timeout=900,
                               env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
            assert p.returncode == 0, p.stderr[-4000:]
            if key is not None:
                for old in shared.iterdir():  # one build kept: the checkout's current one
                    if old.is_dir() and old.name != "building":
                        shutil.rmtree(old, ignore_errors=True)
            partial.rename(out)
    return out


@pytest.fixture(scope="session")
def served(site):
    """The site on 127.0.0.1, as ``./dev.sh serve`` serves it (the live parts need HTTP)."""
    from bench.live import serve

    server, url = serve(site)
    yield url
    server.shutdown()
