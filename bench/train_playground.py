"""Steps per second of the site's training playground, in Chromium (issue 26's budget: ≥ 20
for a 2-16-16-1 on 100 moons).

    ./dev.sh docs && python -m bench.train_playground            # the built site in site/
    python -m bench.train_playground --site other/site --steps 1000 --runs 3

The built site is served on 127.0.0.1 (as README's serve command does), the playground trains
with its defaults (moons, 100 points, 16,16 relu, hinge, Adam 0.01) for ``--steps`` steps, and
the page's own counters are read: steps per second on the wall clock (Python's steps and their
drawing, which overlap: the page asks for the next steps while it draws) and Python's alone.
Loading Python is not counted.  The load average is printed beside them: on a shared machine
it moves the numbers a lot.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(site: Path, steps: int, width: int = 1280, height: int = 720) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from bench.live import serve

    server, base = serve(site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(base + "train-playground.html")
            page.fill("[data-role=settings] [name=steps]", str(steps))
            page.click("[data-role=train]")
            page.wait_for_function("document.querySelector('[data-role=status]').textContent"
                                   ".startsWith('Done')", timeout=900_000)
            root = page.locator("[data-role=train-playground]")
            result = {"wall": float(root.get_attribute("data-steps-per-second")),
                      "python": float(root.get_attribute("data-python-steps-per-second"))}
            browser.close()
    finally:
        server.shutdown()
    return result


TARGET_STEPS_PER_SECOND = 20.0


def main() -> None:
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--markdown", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if not (args.site / "train-playground.html").is_file():
        parser.error(f"no built site in {args.site}: run ./dev.sh docs first")
    if args.runs < 1 or args.steps < 1:
        parser.error("--runs and --steps must be at least 1")
    lines, walls = [], []
    for run in range(1, args.runs + 1):
        r = measure(args.site, args.steps)
        load = os.getloadavg()[0]
        walls.append(r["wall"])
        lines.append(f"- run {run}: {r['wall']:.1f} steps/s in the page ({r['python']:.1f} in "
                     f"Python alone), load average {load:.1f} on {os.cpu_count()} cores")
        print(lines[-1][2:])
    wall = statistics.median(walls)
    mark = "✓" if wall >= TARGET_STEPS_PER_SECOND else "✗"
    text = "\n".join([
        f"The training playground, {args.steps} steps of 2-16-16-1 on 100 moons (its defaults: "
        f"relu, hinge, Adam 0.01), in Chromium, served from 127.0.0.1 (`python -m "
        f"bench.train_playground --runs {args.runs} --steps {args.steps}`):", "", *lines, "",
        f"- {mark} median {wall:.1f} steps/s (target ≥ {TARGET_STEPS_PER_SECOND:.0f})", ""])
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
