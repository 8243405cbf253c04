// The training playground (train-playground.md): microgrid trains in the page, in the site's
// in-page Python (assets/live/runtime.js: window.MicrogridRuntime, Pyodide in a worker), and the
// recorded pages' player (assets/recording/player.js) draws it live.  Python does every step
// (microgrid.recording.Stepper: fit's steps, compiled); this script only asks for the next few
// and hands each answer to the player.
(function () {
  "use strict";
  var root = document.querySelector("[data-role=train-playground]");
  if (!root) { return; }
  var $ = function (role) { return root.querySelector("[data-role=" + role + "]"); };
  var form = $("settings"), status = $("status"), playerBox = $("player");
  var buttons = {train: $("train"), pause: $("pause"), step: $("step"), resume: $("resume"),
                 explore: $("explore")};
  var RUNTIME = new URL("live/runtime.js", document.currentScript.src).href;
  var PYTHON = [
    "from microgrid.recording import Stepper",
    "",
    "def new_run(settings):",
    "    global run",
    "    try:",
    "        run = Stepper(**settings)",
    "    except ValueError as e:  # a setting out of range: one line naming it",
    "        return {'error': str(e)}",
    "    return run.start()",
    "",
    "def advance(n):",
    "    return run.advance(n)",
    "",
    "def explore_step(index):",
    "    try:",
    "        return {'html': run.explore_html(index), 'step': run.step}",
    "    except ValueError as e:",
    "        return {'error': str(e)}",
  ].join("\n");
  var R = null, player = null, defined = false;
  var run = {id: 0, paused: false, busy: 0, mark: 0, done: true, steps: 0, seconds: 0, chunk: 2,
             compiled: false, total: 0};

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("mg-train-error", !!isError);
  }
  function enable(state) {
    buttons.pause.disabled = !(state === "running");
    buttons.resume.disabled = !(state === "paused");
    buttons.step.disabled = !(state === "paused");
    buttons.explore.disabled = !(state === "paused" || state === "done" || state === "running");
  }

  // ---- the runtime: from the site (assets/live/), only over HTTP
  function runtime() {
    if (window.MicrogridRuntime) { return Promise.resolve(window.MicrogridRuntime); }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = RUNTIME;
      s.onload = function () { resolve(window.MicrogridRuntime); };
      s.onerror = function () {
        reject(new Error("this build of the site has no in-page Python (assets/live/runtime.js);" +
                         " record a run on your machine instead: microgrid train --record run.html"));
      };
      document.head.appendChild(s);
    });
  }
  function python() {
    return runtime().then(function (rt) {
      R = rt;
      if (!rt.supported()) { throw new Error(rt.HTTP_HINT); }
      return rt.ready({onProgress: function (p) {
        if (p.fraction < 1) { say("Loading Python: " + p.text + " (" + Math.round(100 * p.fraction) + "%)"); }
      }});
    }).then(function () {
      if (defined) { return null; }
      return R.run(PYTHON, {scope: "train"}).then(function (r) {
        if (!r.ok) { throw new Error(r.error); }
        defined = true;
      });
    });
  }
  function call(name, args) {
    return R.call("train", name, args).then(function (r) {
      if (!r.ok) {
        if (r.restarted) { defined = false; }
        throw new Error(r.error);
      }
      return r.value;
    });
  }

  // ---- the settings, as Stepper takes them; Python checks every range
  function settings() {
    var f = form.elements, hidden = f.hidden.value.trim();
    var sizes = hidden === "" || hidden === "none" ? [] : hidden.split(",").map(function (t) {
      t = t.trim();
      if (!/^\d+$/.test(t)) {
        throw new Error("hidden sizes must be whole numbers separated by commas, such as 16,16," +
                        " or 'none'; got '" + f.hidden.value + "'");
      }
      return +t;
    });
    var num = function (el) { return el.value.trim() === "" ? null : Number(el.value); };
    return {dataset: f.dataset.value, samples: num(f.samples), hidden: sizes,
            activation: f.activation.value, loss: f.loss.value, optimizer: f.optimizer.value,
            lr: num(f.lr), steps: num(f.steps)};
  }

  function rate() {
    return run.seconds > 0 ? (run.steps / run.seconds).toFixed(1) + " steps/s" : "";
  }
  function report() {
    root.setAttribute("data-steps-per-second", run.seconds > 0 ? (run.steps / run.seconds).toFixed(2) : "0");
    root.setAttribute("data-step", String(run.total));
    root.setAttribute("data-python-steps-per-second",
                      run.pythonSeconds > 0 ? (run.pythonSteps / run.pythonSeconds).toFixed(2) : "0");
  }

  // ---- training: ask Python for a few steps at a time, about 5 answers a second, and keep
  // one request ahead: while the page draws one answer, Python runs the next steps
  function request(id, n) {
    var t0 = performance.now();
    run.busy += 1;
    return call("advance", [n]).then(function (update) {
      run.busy -= 1;
      var ms = Math.max(performance.now() - t0, 1);
      run.chunk = Math.max(1, Math.min(200, Math.round(n * 200 / ms)));
      run.pythonSteps += update.loss.length;  // Python's own rate, without the drawing
      run.pythonSeconds += ms / 1000;
      return update;
    }, function (e) { run.busy -= 1; throw e; });
  }
  function apply(id, update) {
    if (id !== run.id) { return false; }  // a new run was started meanwhile
    run.total = update.frame.step;
    run.done = update.done;
    player.push(update);
    // steps per second as the learner sees them: Python's steps and their drawing, together
    var now = performance.now();
    run.steps += update.loss.length;
    run.seconds += (now - run.mark) / 1000;
    run.mark = now;
    report();
    return true;
  }
  function finished() {
    var f = player.frame();
    say("Done: " + run.total + " steps, final loss " + (f.loss === null ? "overflowed" :
        f.loss.toFixed(4)) + " on all points · " + rate() + " (" +
        (run.compiled ? "compiled" : "graph rebuilt each step") + ")");
    enable("done");
  }
  function loop(id) {
    if (id !== run.id || run.paused || run.done) { return; }
    run.mark = performance.now();
    (function take(pending) {
      pending.then(function (update) {
        var more = !update.done && !run.paused && id === run.id ? request(id, run.chunk) : null;
        if (!apply(id, update)) { return; }
        if (run.done) { finished(); return; }
        if (!more) { paused(); return; }  // Pause came while these steps were running
        say("Training: step " + run.total + " · " + rate());
        take(more);
      }).catch(failed);
    })(request(id, run.chunk));
  }
  function failed(e) {
    run.paused = true;
    say(String(e.message || e).trim().split("\n").pop(), true);
    enable("paused");
  }

  buttons.train.addEventListener("click", function () {
    var s;
    try { s = settings(); } catch (e) { say(e.message, true); return; }
    var id = ++run.id;
    run.paused = false;
    run.done = false;
    enable("none");
    say("Starting…");
    python().then(function () {
      say("Building the loss's graph and compiling it…");
      return call("new_run", [s]);
    }).then(function (data) {
      if (id !== run.id) { return; }
      if (data.error) { say(data.error, true); enable("none"); run.done = true; return; }
      run.steps = 0; run.seconds = 0; run.chunk = 2; run.total = 0;
      run.pythonSteps = 0; run.pythonSeconds = 0;
      run.compiled = data.compiled;
      if (player) { player.setup(data); } else {
        player = MicrogridPlayer.mount(playerBox, data, {live: true});
      }
      $("example").max = String(data.points.length - 1);
      enable("running");
      loop(id);
    }).catch(function (e) { say(String(e.message || e).trim().split("\n").pop(), true); enable("none"); });
  });
  function paused() {
    enable("paused");
    say("Paused at step " + run.total + ": Step goes one step on, Resume goes on training.");
  }
  buttons.pause.addEventListener("click", function () {
    run.paused = true;
    enable("none");  // until the steps Python is running now are drawn: then paused()
    if (!run.busy) { paused(); }
  });
  buttons.resume.addEventListener("click", function () {
    if (run.done) { return; }
    run.paused = false;
    enable("running");
    loop(run.id);
  });
  buttons.step.addEventListener("click", function () {
    if (run.busy || run.done) { return; }
    enable("none");
    var id = run.id;
    run.mark = performance.now();
    request(id, 1).then(function (update) {
      if (!apply(id, update)) { return; }
      if (run.done) { finished(); return; }
      say("Paused at step " + run.total + " (one step on).");
      enable("paused");
    }).catch(failed);
  });
  buttons.explore.addEventListener("click", function () {
    var i = Number($("example").value);
    say("Exploring example " + i + " at step " + run.total + "…");
    call("explore_step", [i]).then(function (r) {
      if (r.error) { say(r.error, true); return; }
      $("explorer").srcdoc = r.html;
      $("explorer-title").textContent = "The explorer: example " + i + " at step " + r.step +
        " (its forward pass, then the δ wave: BP1, BP3/BP4, BP2 a layer down)";
      $("explorer-box").hidden = false;
      $("explorer-box").scrollIntoView({behavior: "smooth", block: "start"});
      say("The explorer below shows example " + i + " at step " + r.step + ".");
    }).catch(failed);
  });
  $("explorer-close").addEventListener("click", function () { $("explorer-box").hidden = true; });

  if (location.protocol === "file:") {
    // the player still works (from a file); Python in the page does not
    runtime().then(function (rt) { say(rt.HTTP_HINT, true); },
                   function (e) { say(e.message, true); });
  }
})();
