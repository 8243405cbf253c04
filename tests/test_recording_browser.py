"""A ``microgrid train --record`` page in a real browser (Debian's Chromium, Playwright), opened
from file:// as a learner opens it: End shows the loss the command printed, the scrubber moves
the decision regions, and the page requests nothing but itself (not even a file beside it)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from microgrid import MLP
from microgrid.data import make_moons
from microgrid.train import Objective, predict


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A page written by the command, and what the command printed."""
    cwd = tmp_path_factory.mktemp("record")
    p = subprocess.run([sys.executable, "-m", "microgrid", "train", "--samples", "60",
                        "--steps", "120", "--hidden", "8,8", "--no-plot", "--save", "m.json",
                        "--record", "run.html"], cwd=cwd, capture_output=True, text=True,
                       encoding="utf-8", timeout=300)
    assert p.returncode == 0, p.stderr
    return cwd, p.stdout


@pytest.fixture
def page(browser, recorded):
    """The recorded page, opened from file://; afterwards, every request it made must have
    been for the page itself, and nothing may have been logged as an error."""
    cwd, _ = recorded
    url = (cwd / "run.html").as_uri()
    tab = browser.new_page(viewport={"width": 1280, "height": 720})
    requests, errors = [], []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(url, wait_until="load")
    yield tab
    tab.close()
    assert requests == [url], f"the page requested more than itself: {requests}"
    assert errors == [], errors


def regions(tab) -> str:
    return tab.eval_on_selector("canvas[data-role=regions]", "c => c.toDataURL()")


def test_end_shows_the_final_loss_the_command_printed(page, recorded):
    printed = re.search(r"final model on all 60 points: loss (\d+\.\d{4})", recorded[1])[1]
    page.keyboard.press("End")
    assert page.inner_text("[data-role=loss]") == f"loss {printed}"
    assert page.inner_text("[data-role=step]") == "step 120 / 120"


def test_moving_the_scrubber_changes_the_decision_regions(page):
    page.keyboard.press("Home")
    start = regions(page)
    assert page.inner_text("[data-role=step]") == "step 0 / 120"
    scrubber = page.locator("input[data-role=scrubber]")
    middle = int(scrubber.get_attribute("max")) // 2
    scrubber.fill(str(middle))  # sets the value and fires 'input', as a drag does
    assert page.inner_text("[data-role=step]") != "step 0 / 120"
    assert regions(page) != start


def test_play_runs_the_steps_to_the_end(page):
    page.keyboard.press("Home")
    page.click("[data-role=play]")
    page.wait_for_function("document.querySelector('[data-role=step]').textContent"
                           " === 'step 120 / 120'", timeout=60_000)
    assert page.inner_text("[data-role=play]") == "▶ Play"


def test_the_regions_class_every_point_as_microgrid_does(page, recorded):
    # the player's forward pass (from the page's weights, 4 digits) against microgrid's
    # closed form (train.predict) with the saved model's full weights, on the data themselves
    cwd, _ = recorded
    mlp = MLP.load(str(cwd / "m.json"))
    X, _ = make_moons(n=60, seed=0)
    ours = predict(mlp, X, Objective("hinge"))
    page.keyboard.press("End")
    theirs = page.evaluate("""X => { const P = window.MicrogridPlayer,
        D = JSON.parse(document.getElementById('mg-recording').textContent),
        f = D.frames[D.frames.length - 1],
        acts = [Math.max.bind(null, 0), Math.max.bind(null, 0), z => z];
        return X.map(x => [P.classOf(P.scores(f, acts, x)), P.scores(f, acts, x)[0]]); }""", X)
    clear = [(o, t) for o, (t, s) in zip(ours, theirs) if abs(s) > 1e-3]
    assert len(clear) > 50 and all(o == t for o, t in clear)
