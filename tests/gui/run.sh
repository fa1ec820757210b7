#!/usr/bin/env bash
# Smoke test of the real Tauri tray window: builds the app, installs tauri-driver if needed, and runs
# the tests in tests/gui (one after the other) under one Xvfb display and one private D-Bus session (with an unlocked
# throwaway gnome-keyring, so the OS keyring path is exercised too). Screenshot: tests/artifacts/gui-smoke.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

cargo build -q -p fast-mcp-telegram-tray
cargo build -q -p fake-tg-dc --bin fake-tg-dc
if ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --version '^2' --locked
fi
for tool in WebKitWebDriver xvfb-run dbus-run-session gnome-keyring-daemon node; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps.sh gui test" >&2; exit 1; }
done
mkdir -p tests/artifacts

exec xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- scripts/with-secret-service.sh node --test --test-concurrency=1 tests/gui/smoke.test.mjs tests/gui/window.test.mjs tests/gui/tray_start.test.mjs tests/gui/tray_menu.test.mjs
