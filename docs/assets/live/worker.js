// microgrid's Python in a Web Worker (an ES module worker started by runtime.js; read that
// file's header for the API). Everything comes from the site's own folder: Pyodide's core and
// the lock file that lists only microgrid's and graphviz's wheels (pyodide/), and Graphviz in
// WebAssembly (viz.js). Python runs here, off the page's thread, so a runaway loop cannot
// freeze the page: runtime.js stops it by terminating this worker and starting another.
//
// Messages in:  {type: "run", id, code, scope}          run code (its last expression shown)
//               {type: "call", id, scope, name, args}   call scope's name(*args) (JSON in/out)
// Messages out: {type: "progress", step, steps, fraction, text}   while loading
//               {type: "ready"} | {type: "stdout"|"stderr", id, text}
//               {type: "display", id, mime, data}        "image/svg+xml", "text/html", "text/plain"
//               {type: "event", id, channel, data}       Python's emit(channel, data)
//               {type: "done", id, ok, value, error}     error: the Python traceback
//               {type: "fatal", id, message}             Python itself died (see runtime.js)

import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz.js";

const here = new URL(".", import.meta.url).href;
const STEPS = 5;
let current = null; // the id of the run whose output is being printed

function progress(step, text, part = 0) {
  postMessage({ type: "progress", step, steps: STEPS, fraction: (step - 1 + part) / STEPS, text });
}

// Pyodide fetches its big files itself; counting the bytes as they arrive tells the reader how
// far the download is.
const plainFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const response = await plainFetch(url, init);
  const total = Number(response.headers.get("content-length")) || 0;
  const name = String(url).split("/").pop();
  // Not the .wasm: a Response rebuilt around a stream has lost its link to the HTTP cache, and
  // Chromium then compiles Python's WebAssembly again on every visit instead of reusing it.
  if (name.endsWith(".wasm")) progress(1, `Downloading and compiling ${name} (${(total / 1e6).toFixed(1)} MB)`);
  if (!response.body || total < 500000 || name.endsWith(".wasm")) return response;
  let got = 0;
  let told = 0;
  const step = name.endsWith(".wasm") ? 1 : 2;
  const counted = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      got += chunk.byteLength;
      if (got - told > 250000 || got === total) {  // a message per quarter megabyte is enough
        told = got;
        progress(step, `Downloading ${name}: ${(got / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`,
                 got / total);
      }
      controller.enqueue(chunk);
    },
    flush() {
      progress(3, "Starting CPython, installing microgrid and graphviz (wheels from this site)");
    },
  }));
  return new Response(counted, { status: response.status, statusText: response.statusText,
                                 headers: response.headers });
};

// The Python side: one globals dict per scope; a run shows its last expression as Jupyter does.
const RUNNER = `
import ast, html, json, os, sys, traceback
import js

_scopes = {}

def _show(obj):
    """Send obj to the page as Jupyter would show it: HTML (explorers), SVG (drawings), text."""
    if obj is None:
        return
    html = getattr(obj, "_repr_html_", None)
    if callable(html) and (text := html()) is not None:
        js.microgridPost("display", "text/html", text)
        return
    bundle = getattr(obj, "_repr_mimebundle_", None)
    if callable(bundle):
        b = bundle()
        if "image/svg+xml" in b:
            js.microgridPost("display", "image/svg+xml", b["image/svg+xml"])
            return
    svg = getattr(obj, "_repr_svg_", None)
    if callable(svg):
        js.microgridPost("display", "image/svg+xml", svg())
        return
    js.microgridPost("display", "text/plain", repr(obj))

def _emit(channel, data=None):
    """Send JSON-able data to the page's onEvent(channel, data) (progress of a long run)."""
    js.microgridPost("event", str(channel), json.dumps(data))

def _scope(name):
    if name not in _scopes:
        _scopes[name] = {"__name__": "__main__", "display": _show, "emit": _emit}
    return _scopes[name]

def _traceback(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<example>":
        tb = tb.tb_next  # the runner's own frames are not the reader's
    return "".join(traceback.format_exception(type(e), e, tb))

def _pictures():
    """The drawings (.svg) and pages (.html, explorers) in the current folder, with their times."""
    found = {}
    for name in os.listdir("."):
        if name.endswith((".svg", ".html")):
            found[name] = os.stat(name).st_mtime_ns
    return found

def _show_written(before):
    """Show what the example wrote (render(C, "graph.svg"), page.save("pass.html")) under it."""
    for name, when in sorted(_pictures().items()):
        if before.get(name) == when:
            continue
        with open(name, encoding="utf-8") as f:
            text = f.read()
        js.microgridPost("display", "text/plain", f"{name}, as the example wrote it:")
        if name.endswith(".svg"):
            js.microgridPost("display", "image/svg+xml", text)
        else:
            js.microgridPost("display", "text/html",
                             f'<iframe class="microgrid-explorer" title="{html.escape(name)}" '
                             f'srcdoc="{html.escape(text, quote=True)}" style="width: 100%; '
                             'height: 760px; border: 1px solid #ccc;"></iframe>')

def _run(code, scope):
    g = _scope(scope)
    try:
        before = _pictures()
        tree = ast.parse(code, "<example>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<example>", "exec"), g)
        value = None
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<example>", "eval"), g)
            _show(value)
        _show_written(before)
        return json.dumps({"ok": True, "value": None if value is None else repr(value)})
    except BaseException as e:
        sys.stdout.flush()
        return json.dumps({"ok": False, "error": _traceback(e)})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()

def _call(scope, name, args):
    try:
        result = _scope(scope)[name](*json.loads(args))
        return json.dumps({"ok": True, "value": result})
    except BaseException as e:
        return json.dumps({"ok": False, "error": "".join(traceback.format_exception(e))})
`;

let pyodide = null;
let runPy = null;
let callPy = null;

async function start() {
  // Graphviz's WebAssembly compiles while Python starts (it is needed only by the first drawing,
  // but it is small, and then nothing waits for it later).
  const vizLoading = vizInstance();
  progress(1, "Starting Python (Pyodide, CPython in WebAssembly)");
  // packages: microgrid's and graphviz's wheels are fetched while Python starts, not after
  pyodide = await loadPyodide({ indexURL: here + "pyodide/", lockFileURL: here + "pyodide/pyodide-lock.json",
                                packageBaseUrl: here + "pyodide/", fullStdLib: false,
                                packages: ["microgrid"] });
  progress(4, "Loading Graphviz (WebAssembly) for the drawings");
  const viz = await vizLoading;
  // microgrid's renderer seam (microgrid/drawing/svg.py, page_renderer) calls this
  globalThis.microgridRenderDot = (source, format) => viz.renderString(source, { format, engine: "dot" });
  globalThis.microgridPost = (kind, a, b) => {
    if (kind === "display") postMessage({ type: "display", id: current, mime: a, data: b });
    else postMessage({ type: "event", id: current, channel: a, data: JSON.parse(b) });
  };
  pyodide.setStdout({ batched: (text) => postMessage({ type: "stdout", id: current, text: text + "\n" }) });
  pyodide.setStderr({ batched: (text) => postMessage({ type: "stderr", id: current, text: text + "\n" }) });
  progress(5, "Importing microgrid");
  pyodide.runPython(RUNNER + "\nimport microgrid\n");  // drawing and explorer load when first used
  runPy = pyodide.globals.get("_run");
  callPy = pyodide.globals.get("_call");
  postMessage({ type: "ready" });
}

const started = start().catch((e) => postMessage({ type: "fatal", id: null, message: `Python could not start: ${e}` }));

onmessage = async (event) => {
  const msg = event.data;
  await started;
  if (!runPy) return;
  current = msg.id;
  try {
    const out = msg.type === "call" ? callPy(msg.scope, msg.name, JSON.stringify(msg.args || []))
                                    : runPy(msg.code, msg.scope || "main");
    postMessage({ type: "done", id: msg.id, ...JSON.parse(out) });
  } catch (e) {
    // Not a Python exception (those come back as tracebacks): Python itself failed, e.g. the
    // browser's stack overflowed while CPython freed a very deep chain of Values.
    runPy = null;
    postMessage({ type: "fatal", id: msg.id, message: String(e && e.message || e) });
  }
};
