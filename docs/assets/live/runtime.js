/* MicrogridRuntime: microgrid running in the page (Pyodide, CPython in WebAssembly), in a Web
 * Worker (worker.js), with everything served from the site's own folder (no CDN).
 *
 * A classic script (pages load it with <script src=".../assets/live/runtime.js">), so it also
 * loads from file://; there the live parts cannot run (Chromium refuses module workers and
 * wasm from origin 'null'), and `supported()` is false.
 *
 * API (window.MicrogridRuntime):
 *   supported() -> boolean            false from file://; then show HTTP_HINT (one line)
 *   HTTP_HINT                         "… needs the site served over HTTP: …" (how to serve it)
 *   ready({onProgress}) -> Promise    resolves when Python and microgrid are loaded (the first
 *                                     call starts the worker). onProgress({step, steps, fraction,
 *                                     text}) while loading: what it is doing, how far (0..1).
 *   onProgress(fn)                    fn gets every loading progress (also after a restart)
 *   run(code, opts) -> Promise<{ok, value, error, restarted}>
 *       Runs Python code in the scope opts.scope (a name; default "main"; one globals dict per
 *       name, kept between runs). Runs are queued: one at a time. The last expression is shown
 *       as Jupyter shows it. opts callbacks (all optional):
 *         onStdout(text), onStderr(text)  printed text, as it is printed
 *         onSvg(svg)                      a drawing (draw_dot's Drawing as the last expression,
 *                                         or display(drawing))
 *         onHtml(html)                    an explorer (its _repr_html_: an iframe with srcdoc)
 *         onText(text)                    any other last expression's repr
 *         onEvent(channel, data)          Python's emit(channel, data) (data: JSON-able)
 *       ok=false: error is the Python traceback (the next run works), or, when Python itself
 *       died (restarted=true), why; a fresh Python is then started (scopes are lost).
 *       Inside the code: display(obj) shows obj; emit(channel, data) calls onEvent.
 *   call(scope, name, args, opts) -> Promise<{ok, value, error, restarted}>
 *       Calls name(*args) defined in scope (args and the result: JSON). opts as for run(); the
 *       function reports progress with emit("progress", {...}) → opts.onEvent.
 *   stop() -> Promise                 terminates the worker (ends a runaway loop: the run
 *                                     resolves {ok: false, error: "Stopped …", restarted: true})
 *                                     and starts a fresh Python (scopes are lost).
 *   state() -> "idle" | "loading" | "ready" | "running"
 *
 * Example:
 *   MicrogridRuntime.run("from microgrid import Value\nValue(2.0) * 3",
 *                        {onStdout: t => out.textContent += t, onText: t => out.textContent += t});
 */
(function () {
  "use strict";
  const script = document.currentScript;
  const base = new URL(".", script ? script.src : location.href).href;
  const HTTP_HINT = "Running Python here needs the site served over HTTP: run `./dev.sh serve` " +
    "(or `python -m http.server -d site -b 127.0.0.1 8000`) in the checkout and open " +
    "http://127.0.0.1:8000/ (the rest of the site works from file://).";
  const DEEP_CHAIN = "Python stopped: the browser's stack overflowed. This happens when CPython " +
    "frees a very deep graph at once (a chain of more than about 1,000 nested Values, whose " +
    "memory is released one Value inside the next). Python was restarted (your variables are " +
    "gone): build shallower graphs in the page, or run this on your machine.";

  let worker = null;
  let loading = null;        // Promise of the worker's "ready"
  let state = "idle";
  let queue = Promise.resolve();
  let nextId = 1;
  const pending = new Map(); // id -> {resolve, opts}
  const progressListeners = new Set();
  let lastProgress = null;

  function emitProgress(p) {
    lastProgress = p;
    for (const fn of progressListeners) fn(p);
  }

  function startWorker() {
    state = "loading";
    worker = new Worker(base + "worker.js", { type: "module" });
    let readyResolve, readyReject;
    loading = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
    const started = performance.now();
    worker.onmessage = (event) => {
      const m = event.data;
      const job = pending.get(m.id);
      if (m.type === "progress") emitProgress({ ...m, seconds: (performance.now() - started) / 1000 });
      else if (m.type === "ready") {
        state = "ready";
        emitProgress({ step: m.steps || 5, steps: 5, fraction: 1, text: "Python is ready",
                       seconds: (performance.now() - started) / 1000 });
        readyResolve();
      } else if (m.type === "stdout" && job) job.opts.onStdout && job.opts.onStdout(m.text);
      else if (m.type === "stderr" && job) (job.opts.onStderr || job.opts.onStdout || (() => 0))(m.text);
      else if (m.type === "event" && job) job.opts.onEvent && job.opts.onEvent(m.channel, m.data);
      else if (m.type === "display" && job) {
        const o = job.opts;
        if (m.mime === "image/svg+xml") o.onSvg && o.onSvg(m.data);
        else if (m.mime === "text/html") o.onHtml && o.onHtml(m.data);
        else o.onText && o.onText(m.data);
      } else if (m.type === "done" && job) {
        pending.delete(m.id);
        job.resolve({ ok: m.ok, value: m.value ?? null, error: m.error ?? null, restarted: false });
      } else if (m.type === "fatal") {
        const why = m.id === null ? m.message
          : /stack|RangeError|recursion/i.test(m.message) ? DEEP_CHAIN + " (" + m.message + ")"
          : "Python stopped (" + m.message + "); it was restarted: your variables are gone.";
        if (m.id === null) readyReject(new Error(why));
        restart(why);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault && e.preventDefault();
      readyReject(new Error("Python's worker failed to start: " + (e.message || "its script could not be loaded")));
    };
  }

  function restart(why) {
    if (worker) worker.terminate();
    worker = null;
    loading = null;
    state = "idle";
    for (const [id, job] of pending) {
      pending.delete(id);
      job.resolve({ ok: false, value: null, error: why, restarted: true });
    }
    ensure(); // a fresh Python, loading in the background
  }

  function ensure() {
    if (!worker) startWorker();
    return loading;
  }

  function submit(message, opts) {
    opts = opts || {};
    const job = queue.then(() => ensure()).then(() => new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, { resolve, opts });
      state = "running";
      worker.postMessage({ ...message, id });
    })).then((result) => {
      if (state === "running") state = "ready";
      return result;
    }, (error) => ({ ok: false, value: null, error: String(error.message || error), restarted: false }));
    queue = job.then(() => 0);
    return job;
  }

  window.MicrogridRuntime = {
    HTTP_HINT,
    supported: () => location.protocol === "http:" || location.protocol === "https:",
    ready(opts) {
      if (opts && opts.onProgress) {
        progressListeners.add(opts.onProgress);
        if (lastProgress) opts.onProgress(lastProgress);
      }
      return ensure();
    },
    onProgress(fn) {
      progressListeners.add(fn);
      if (lastProgress) fn(lastProgress);
    },
    run: (code, opts) => submit({ type: "run", code, scope: (opts && opts.scope) || "main" }, opts),
    call: (scope, name, args, opts) => submit({ type: "call", scope, name, args: args || [] }, opts),
    stop() {
      restart("Stopped: the run was ended with Stop, and a fresh Python was started " +
              "(your variables are gone).");
      return loading;
    },
    state: () => state,
  };
})();
