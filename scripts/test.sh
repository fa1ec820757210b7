#!/usr/bin/env bash
# The whole test suite (what README's test command and .ci/run run). Idempotent set-up included.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# A cold run gains nothing from incremental data and it costs gigabytes of disk (CI ran out once).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step() { printf '\n==== %s (%ss)\n' "$*" "$SECONDS"; }

step "install dependencies"
scripts/install-deps.sh gui test

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -q -- -D warnings

step "build (one shared target dir)"
cargo build --bins
cargo test --no-run -q

step "cargo test (headless crates)"
cargo test -q

step "real Secret Service (gnome-keyring under dbus-run-session)"
dbus-run-session -- scripts/with-secret-service.sh cargo test -q -p tgmcp-core --test it secret_service -- --ignored

step "official MCP Python SDK against our server"
python3 -m pytest -q tests/python

if [ -f tests/ui/package.json ]; then
  step "UI in headless Chromium (playwright-core)"
  (cd tests/ui && npm test)
fi

if [ -x tests/gui/run.sh ]; then
  step "Tauri window smoke test under Xvfb"
  tests/gui/run.sh
fi

step "all tests passed"
