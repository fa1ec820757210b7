#!/usr/bin/env bash
# Benchmarks (not part of the test suite): builds the release binaries, installs strace (and
# Xvfb for --tray) idempotently, optionally the Python fast-mcp-telegram 0.46.1 for a
# side-by-side, runs crates/bench against the fake Telegram DC, prints a table and writes
# target/bench/results.json.
#
# Usage: scripts/bench.sh [--quick] [--tray] [--no-python] [fmt-bench options…]
#   --quick      small counts: a smoke run of every part (a minute or two)
#   --tray       also build the tray app (heavy) and measure its memory under Xvfb: first start, and
#                (tests/gui/footprint.mjs) window open / closed / idle with 3 clients / reopened
#                (FOOTPRINT_IDLE_MINUTES, default 10), written to target/bench/tray-footprint.json;
#                and WebKitGTK's own floor, none of our code (tests/gui/webkit_floor.py, python3-gi),
#                written to target/bench/webkit-floor.json
#   --no-python  skip the Python reference even when it can be installed
# Other options go to fmt-bench (see target/release/fmt-bench --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Where cargo puts the binaries (CARGO_TARGET_DIR, e.g. one per worktree, else ./target).
target="${CARGO_TARGET_DIR:-target}"
step() { printf '\n==== %s (%ss)\n' "$*" "$SECONDS"; }

tray=0; python=1; args=()
for a in "$@"; do
  case "$a" in
    --tray) tray=1; args+=("$a");;
    --no-python) python=0;;
    *) args+=("$a");;
  esac
done

step "install tools (idempotent)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v strace >/dev/null || need+=(strace)
[ $tray -eq 1 ] && { command -v Xvfb >/dev/null || need+=(xvfb xauth); }
[ $tray -eq 1 ] && { /usr/bin/python3 -c 'import gi' 2>/dev/null || need+=(python3-gi gir1.2-webkit2-4.1); }
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || \
    echo "warning: could not install ${need[*]}; the parts that need them are skipped or fail" >&2
fi
[ $tray -eq 1 ] && scripts/install-deps.sh gui

step "build release binaries"
cargo build --release -p fast-mcp-telegram -p fake-tg-dc -p fmt-bench
[ $tray -eq 1 ] && cargo build --release -p fast-mcp-telegram-tray --features fast-mcp-telegram-tray/custom-protocol

if [ $python -eq 1 ]; then
  step "Python reference (fast-mcp-telegram 0.46.1, optional)"
  venv=target/bench/pyref
  if [ ! -x "$venv/bin/fast-mcp-telegram" ]; then
    # 0.46.1 needs Python >= 3.12 (pydantic TypedDict); take the first one found.
    py=""
    for c in python3.13 python3.12 python3; do
      if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py="$c"; break; fi
    done
    if [ -n "$py" ] && "$py" -m venv "$venv" 2>/dev/null && \
       "$venv/bin/pip" install -q --disable-pip-version-check fast-mcp-telegram==0.46.1; then
      echo "installed into $venv"
    else
      echo "skipped: no Python >= 3.12 or fast-mcp-telegram 0.46.1 is not installable here"
      rm -rf "$venv"
    fi
  fi
  [ -x "$venv/bin/fast-mcp-telegram" ] && args+=(--python-server "$PWD/$venv/bin/fast-mcp-telegram")
fi

step "run (machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$target/release/fmt-bench" "${args[@]}"

if [ $tray -eq 1 ]; then
  step "tray app footprint: window open, closed, idle with 3 clients, reopened"
  command -v tauri-driver >/dev/null || cargo install tauri-driver --version '^2' --locked
  xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- scripts/with-secret-service.sh node tests/gui/footprint.mjs
  step "WebKitGTK's own floor: a bare web view on about:blank and on our page, none of our code"
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- /usr/bin/python3 tests/gui/webkit_floor.py
fi
