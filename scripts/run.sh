#!/usr/bin/env bash
# Run fast-mcp-telegram (what the README's "run" command does).
#   scripts/run.sh              install the GUI libraries (idempotent), build and start the tray app (release)
#   scripts/run.sh serve [ARGS] build and run the headless server instead, e.g.
#                               scripts/run.sh serve --transport http   (prints a SETUP link for the browser)
# Configuration: environment, .env in the current directory, and the settings saved by the app.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "serve" ]; then
  shift
  cargo build --release -p fast-mcp-telegram
  exec target/release/fast-mcp-telegram serve "$@"
fi

scripts/install-deps.sh gui
cargo build --release -p fast-mcp-telegram -p fast-mcp-telegram-tray --features fast-mcp-telegram-tray/custom-protocol
# The tray app opens its window when setup is incomplete; --show-window always opens it.
exec target/release/fast-mcp-telegram-tray "$@"
