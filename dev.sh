#!/usr/bin/env bash
# All set-up and tasks for microgrid, from a fresh clone:
#   ./dev.sh demo    install (own virtualenv in .venv) and run the demo
#   ./dev.sh test    install everything the tests need and run the whole suite (+ notebooks, ruff)
#                    on every core; installing takes a few minutes the first time and makes a
#                    1.5 GB .venv/ (torch, mostly)
#   ./dev.sh bench   install the peers (micrograd, torch) and run the benchmark
#   ./dev.sh docs    install the docs tools (KaTeX, Pyodide, Graphviz-in-wasm with npm) and build
#                    the site into site/
#   ./dev.sh serve   serve site/ on http://127.0.0.1:8000/ (its pages run microgrid: that needs HTTP)
#   ./dev.sh mutate  mutation testing of engine, ops, nn and backprop (mutmut, then the op
#                    table's entries by tools/mutate_table.py); writes tools/mutation-results.md.
#                    Slow (hours on 2 cores), never in CI.  Arguments: mutmut's mutant names/globs
# Graphviz's `dot` program (and, for `test`, Chromium) is installed with apt-get when it is
# missing and we run as root; otherwise we print how to install it.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}  # .ci/run gives each Python its own
TEST_EXTRA=${TEST_EXTRA:-test}  # test-core: the suite without torch (.ci/run on 3.12, 3.13)

# ensure PROGRAM PACKAGE WHAT HINT...: install Debian's PACKAGE with apt-get when PROGRAM is
# missing and we are root; otherwise print HINT lines (what the user can do).
ensure() {
  local program=$1 package=$2 what=$3
  shift 3
  command -v "$program" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "dev.sh: installing $what with apt-get ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    printf 'dev.sh: %s\n' "$@" >&2
  fi
}

ensure_dot() {
  ensure dot graphviz "Graphviz (the dot program)" \
    "Graphviz's 'dot' program is missing: drawings are kept as DOT source only." \
    "Debian/Ubuntu: sudo apt-get install graphviz | macOS: brew install graphviz" \
    "conda: conda install -c conda-forge graphviz"
}

ensure_chromium() {  # the browser tests drive the system's Chromium through Playwright
  ensure chromium chromium "Chromium (for the explorer's browser tests)" \
    "'chromium' is missing: the browser tests will be skipped (and fail under CI)." \
    "Debian/Ubuntu: sudo apt-get install chromium"
}

ensure_katex() {  # the site's math: KaTeX from the npm registry, copied into site/ (no CDN)
  if [ ! -f node_modules/katex/dist/katex.min.js ] || [ ! -f node_modules/pyodide/pyodide.asm.wasm ] ||
     [ package.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "dev.sh: the docs need npm (for KaTeX): apt-get install npm" >&2
      exit 1
    fi
    echo "dev.sh: installing KaTeX with npm (package.json) ..." >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

ensure_venv() {  # $1: the pip extras to install, e.g. "plot" or "test"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "dev.sh: creating a virtualenv in $VENV/ ..." >&2
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      # Debian's system Python ships venv separately.
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        rm -rf "$VENV"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$PY" -m venv "$VENV"
      else
        echo "dev.sh: '$PY -m venv' failed; install python3-venv (sudo apt-get install python3-venv)" >&2
        exit 1
      fi
    fi
  fi
  local stamp="$VENV/.installed-$1"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # pip and setuptools talk a lot (setuptools warns about every editable install): keep
    # their output in a log, shown only if the installation fails.
    local log="$VENV/install-$1.log"
    echo "dev.sh: installing microgrid and its '$1' extra into $VENV/" \
         "(first run only; a minute or more) ..." >&2
    if ! { "$VENV/bin/python" -m pip install -q --upgrade pip &&
           "$VENV/bin/python" -m pip install -q -e ".[$1]"; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "dev.sh: installing into $VENV/ failed (the messages above are in $log)" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

task=${1:-help}
[ $# -gt 0 ] && shift
case "$task" in
  demo)
    ensure_dot
    ensure_venv plot
    "$VENV/bin/microgrid" demo "$@"
    ;;
  test)
    ensure_dot
    ensure_chromium
    ensure_katex  # tests/test_site.py builds the site
    ensure_venv "$TEST_EXTRA"
    "$VENV/bin/python" -m ruff check microgrid tests bench
    # a worker per core; each test file runs in one worker (its module fixtures, e.g. the
    # site's one build, are made once)
    "$VENV/bin/python" -m pytest -n auto --dist loadfile "$@"
    ;;
  bench)
    ensure_venv bench
    "$VENV/bin/python" -m bench.run "$@"
    ;;
  docs)
    ensure_dot
    ensure_katex
    ensure_venv docs
    # strict (mkdocs.yml): a broken link, a missing page or API name, or a notebook cell that
    # raises fails the build; docs/hooks.py also refuses anything loaded from outside the site.
    # (NO_MKDOCS_2_WARNING: mkdocs-material's banner about a future MkDocs, not about this site)
    NO_MKDOCS_2_WARNING=1 "$VENV/bin/python" -m mkdocs build --strict "$@"
    echo "dev.sh: the site is in site/ (open site/index.html; ./dev.sh serve to run Python in it)" >&2
    ;;
  serve)
    # The live parts (Run buttons, notebooks, the Playground: Pyodide in a Web Worker) need HTTP:
    # from file:// Chromium refuses module workers and WebAssembly. Only this machine can connect.
    [ -f site/index.html ] || { echo "dev.sh: no site/ yet: run ./dev.sh docs first" >&2; exit 1; }
    echo "dev.sh: serving site/ on http://127.0.0.1:${1:-8000}/ (Ctrl+C stops)" >&2
    exec "$PY" -m http.server -d site -b 127.0.0.1 "${1:-8000}"
    ;;
  mutate)
    ensure_venv mutate
    rm -rf mutants  # a fresh copy: mutmut's cache does not see a changed test
    # CI=true: hypothesis derandomized, so a survivor is the same on every run.
    # OMP_NUM_THREADS=1: mutmut forks its workers from a process that has run torch, and a
    # forked child whose parent started torch's OpenMP threads hangs in its first torch call
    CI=true OMP_NUM_THREADS=1 "$VENV/bin/mutmut" run --max-children "${MUTATE_JOBS:-2}" "$@" || true
    "$VENV/bin/mutmut" results --all true >mutants/results.txt
    "$VENV/bin/python" tools/mutmut_recheck.py mutants/results.txt  # survivors on every test
    "$VENV/bin/python" tools/mutate_table.py --json mutants/table.json
    "$VENV/bin/python" tools/mutation_report.py mutants/results.txt mutants/table.json \
      >tools/mutation-results.md
    echo "dev.sh: the report is tools/mutation-results.md (on the Reliability page)" >&2
    ;;
  help|-h|--help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d'  # the comment at the top, without the code after it
    ;;
  *)
    echo "dev.sh: unknown task '$task'; the tasks are:" >&2
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
