"""microgrid as it was before issue 20 (one op table, a readable core), to time beside today's.

The package at commit `COMMIT` is taken from this repository's git history (``git archive``),
unpacked once into the temporary directory and imported under another name
(``microgrid_2304b9e``), so both versions run in one process on the same data.  Its modules
import each other relatively, which is what makes the rename work.  Without git or the history
(a tarball, a shallow clone) `load` raises ImportError and the benchmark leaves the line out,
saying why.
"""

from __future__ import annotations

import importlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

COMMIT = "2304b9e"  # main just before issue 20: the 1,078-line engine the issue measured
NAME = f"microgrid_{COMMIT}"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(tempfile.gettempdir(), "microgrid-bench-before")


def load() -> object:
    """The package ``microgrid`` at `COMMIT`, imported as `NAME`."""
    target = os.path.join(CACHE, NAME)
    if not os.path.isfile(os.path.join(target, "engine.py")):
        try:
            tar = subprocess.run(["git", "archive", COMMIT, "microgrid"], cwd=ROOT,
                                 capture_output=True, check=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError) as e:
            raise ImportError(f"microgrid at {COMMIT} is not in this checkout's git history "
                              f"({e})") from None
        unpacked = os.path.join(CACHE, "unpacking")
        shutil.rmtree(unpacked, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            t.extractall(unpacked, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(os.path.join(unpacked, "microgrid"), target)  # whole, or not at all
        shutil.rmtree(unpacked, ignore_errors=True)
    if CACHE not in sys.path:
        sys.path.insert(0, CACHE)
    return importlib.import_module(NAME)
