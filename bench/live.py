"""How long the site's pages take to run microgrid (its budget), measured in Chromium.

    python -m bench.live                                    # site/ (./dev.sh docs builds it)
    python -m bench.live --site site --markdown bench/live_results.md

The built site is served on 127.0.0.1 by Python's http.server (as `./dev.sh serve` does) and Get
started is opened in the system's Chromium. One round: load the page, press the first example's
Run and wait until its output shows the README's first number (so: Pyodide downloaded and
started, microgrid and graphviz installed from the site's wheels, Graphviz's wasm loaded, the
example run).

* cold: a new browser profile (empty HTTP cache, no compiled WebAssembly kept);
* warm: the same profile, the page opened again (the files come from the HTTP cache).

Reported: the median of the rounds, and the bytes the server sent for one cold and one warm
round, next to the size of the whole site. Targets: cold ≤ 10 s, warm ≤ 3 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def machine(browser_version: str, site: Path) -> str:
    """One line: the machine (shared: its load), Chromium's and Pyodide's versions."""
    import os
    import platform
    import re

    core = site / "assets" / "live" / "pyodide" / "pyodide.mjs"  # the Pyodide the site serves
    found = re.search(r'"(\d+\.\d+\.\d+)"', core.read_text(encoding="utf-8")) \
        if core.is_file() else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}; Chromium "
            f"{browser_version}; Pyodide {found.group(1) if found else '?'}")

TARGET_COLD_SECONDS = 10.0
TARGET_WARM_SECONDS = 3.0
FIRST_OUTPUT = "y = 0.8173"  # the README example's first printed number


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class Counting(Quiet):
    sent = 0  # bytes of response bodies, across the run (one request at a time is enough)

    def copyfile(self, source, outputfile) -> None:
        data = source.read()
        Counting.sent += len(data)
        outputfile.write(data)


def serve(site: Path, handler: type[Quiet] = Quiet) -> tuple[http.server.ThreadingHTTPServer,
                                                              str]:
    """The built site on 127.0.0.1 (a free port), as `./dev.sh serve` serves it: (server, URL).
    The benchmarks and the tests' ``served`` fixture all serve it this way."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def first_run(context, url: str) -> float:
    """Seconds from opening Get started to the first example's output (Run pressed at load)."""
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: r.url.startswith("http://127.0.0.1") or outside.append(r.url))
    start = time.perf_counter()
    page.goto(url + "index.html", wait_until="load")
    page.click("article .mg-live-run >> nth=0", timeout=60_000)
    page.locator(f"article .mg-live-output >> text={FIRST_OUTPUT}").first.wait_for(timeout=120_000)
    seconds = time.perf_counter() - start
    page.close()
    if outside:
        raise SystemExit(f"the page loaded from outside the site: {outside}")
    return seconds


def measure(site: Path, rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    server, url = serve(site, Counting)
    cold, warm, cold_bytes, warm_bytes = [], [], [], []
    version = "?"
    with sync_playwright() as p:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as profile:
                context = p.chromium.launch_persistent_context(
                    profile, executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                version = context.browser.version if context.browser else version
                Counting.sent = 0
                cold.append(first_run(context, url))
                cold_bytes.append(Counting.sent)
                Counting.sent = 0
                warm.append(first_run(context, url))
                warm_bytes.append(Counting.sent)
                context.close()
    server.shutdown()
    site_bytes = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    live_bytes = sum(f.stat().st_size for f in (site / "assets" / "live").rglob("*")
                     if f.is_file())
    return {"cold": cold, "warm": warm, "cold_bytes": max(cold_bytes),
            "warm_bytes": max(warm_bytes), "site_bytes": site_bytes, "live_bytes": live_bytes,
            "machine": machine(version, site)}


def markdown(r: dict, rounds: int) -> str:
    cold, warm = statistics.median(r["cold"]), statistics.median(r["warm"])
    mb = 1e6

    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    return "\n".join([
        f"Get started's first Run in Chromium, served from 127.0.0.1 (median of {rounds} "
        f"rounds; {r['machine']}):",
        "",
        "| | seconds to the first output | bytes the server sent |",
        "|---|---|---|",
        f"| cold (new profile) | {cold:.1f} (rounds: "
        f"{', '.join(f'{s:.1f}' for s in r['cold'])}) | {r['cold_bytes'] / mb:.1f} MB |",
        f"| warm (page opened again) | {warm:.1f} (rounds: "
        f"{', '.join(f'{s:.1f}' for s in r['warm'])}) | {r['warm_bytes'] / mb:.2f} MB |",
        "",
        f"- {mark(cold <= TARGET_COLD_SECONDS)} cold start to the first Run's output "
        f"{cold:.1f} s (target ≤ {TARGET_COLD_SECONDS:.0f} s)",
        f"- {mark(warm <= TARGET_WARM_SECONDS)} warm {warm:.1f} s "
        f"(target ≤ {TARGET_WARM_SECONDS:.0f} s)",
        f"- the whole site: {r['site_bytes'] / mb:.1f} MB, of which the in-page Python "
        f"(assets/live/: Pyodide's core, Graphviz's wasm, the two wheels, the lock file, the "
        f"scripts) {r['live_bytes'] / mb:.1f} MB",
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--site", default="site", help="the built site (./dev.sh docs)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", help="also write the results to this Markdown file")
    args = parser.parse_args(argv)
    site = Path(args.site)
    if not (site / "assets" / "live" / "pyodide" / "pyodide-lock.json").is_file():
        raise SystemExit(f"{site}/ has no in-page Python: build the site with ./dev.sh docs")
    if args.rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    text = markdown(measure(site, args.rounds), args.rounds)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
