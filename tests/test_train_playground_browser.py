"""The training playground (docs/train-playground.md) in Chromium, on the built site served on
127.0.0.1: microgrid trains in the page (the site's in-page Python, assets/live/runtime.js)
and the player draws it.  Every test fails on a request that leaves the site and on any error
the page logs.

Building the site takes a minute or two; MICROGRID_SITE=path reads a site already built there
(`./dev.sh docs` writes site/) instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180_000  # ms: a cold Python on a loaded 2-core machine, with room to spare
STEP = "+document.querySelector('[data-role=train-playground]').getAttribute('data-step')"


@pytest.fixture
def playground(browser, served):
    tab = browser.new_page(viewport={"width": 1280, "height": 720})
    outside, errors = [], []
    tab.on("request", lambda r: outside.append(r.url) if not r.url.startswith(served) else 0)
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(served + "train-playground.html", wait_until="load")
    yield tab
    tab.close()
    assert outside == [], f"requests outside the site: {outside}"
    assert errors == [], errors


def set_field(tab, name: str, value: str) -> None:
    tab.fill(f"[data-role=settings] [name={name}]", value)


def step_now(tab) -> int:
    return tab.evaluate(STEP)


def loss_curve(tab) -> list[tuple[float, float]]:
    points = tab.get_attribute("svg[data-role=curves] polyline.mgp-loss-line", "points") or ""
    return [tuple(map(float, p.split(","))) for p in points.split()]


def test_the_playground_trains_and_its_curves_move(playground):
    set_field(playground, "steps", "400")
    playground.click("[data-role=train]")
    playground.wait_for_function(f"{STEP} >= 20", timeout=TIMEOUT)
    early = loss_curve(playground)
    playground.wait_for_function(f"{STEP} >= 400", timeout=TIMEOUT)
    late = loss_curve(playground)
    assert len(late) > len(early) >= 2
    assert late[-1][0] > early[-1][0]  # the curve reaches further right
    assert late[-1][1] > late[0][1]  # and lower: a larger y is a smaller loss on screen
    assert playground.inner_text("[data-role=status]").startswith("Done: 400 steps, final loss")


def test_pause_stops_step_goes_one_step_and_resume_goes_on(playground):
    set_field(playground, "steps", "100000")
    playground.click("[data-role=train]")
    playground.wait_for_function(f"{STEP} >= 5", timeout=TIMEOUT)
    playground.click("[data-role=pause]")
    playground.wait_for_function("!document.querySelector('[data-role=step]').disabled")
    paused = step_now(playground)
    playground.wait_for_timeout(1000)
    assert step_now(playground) == paused
    playground.click("[data-role=step]")
    playground.wait_for_function(f"{STEP} === {paused + 1}", timeout=TIMEOUT)
    playground.click("[data-role=resume]")
    playground.wait_for_function(f"{STEP} > {paused + 5}", timeout=TIMEOUT)
    playground.click("[data-role=pause]")


@pytest.mark.parametrize("field, value, message", [
    ("steps", "0", "steps must be a whole number from 1 to 100000, got 0"),
    ("lr", "50", "learning rate must be a number from 1e-05 to 10, got 50"),
    ("hidden", "16,x", "hidden sizes must be whole numbers separated by commas"),
    ("samples", "1000", "samples must be a whole number from 4 to 400, got 1000"),
], ids=["steps", "lr", "hidden", "samples"])
def test_an_out_of_range_setting_is_refused_with_one_line(playground, field, value, message):
    set_field(playground, field, value)
    playground.click("[data-role=train]")
    status = playground.locator("[data-role=status].mg-train-error")
    status.wait_for(timeout=TIMEOUT)
    text = status.inner_text()
    assert message in text and "\n" not in text.strip(), text
    assert playground.get_attribute("[data-role=train-playground]", "data-step") is None


def test_explore_this_step_opens_the_explorer_at_the_current_weights(playground):
    set_field(playground, "hidden", "4")
    set_field(playground, "steps", "100000")
    playground.click("[data-role=train]")
    playground.wait_for_function(f"{STEP} >= 3", timeout=TIMEOUT)
    playground.click("[data-role=pause]")
    playground.fill("[data-role=example]", "7")
    playground.click("[data-role=explore]")
    playground.locator("[data-role=explorer-box]").wait_for(state="visible", timeout=TIMEOUT)
    step = step_now(playground)
    assert f"example 7 at step {step}" in playground.inner_text("[data-role=explorer-title]")
    frame = playground.frame_locator("iframe[data-role=explorer]")
    frame.locator("#counter").wait_for(timeout=TIMEOUT)  # the explorer, playing
    assert frame.locator("svg g.mg-value").count() > 10  # the graph, drawn in the page
