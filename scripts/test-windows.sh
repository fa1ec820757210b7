#!/usr/bin/env bash
# The Windows build, checked here and run under Wine: clippy for x86_64-pc-windows-gnu (with
# -D warnings; the tray app's two binaries too, not run: the window process needs WebView2, which
# Wine lacks, and the tray process alone is untried under Wine), the core unit tests (access
# lists, process checks; the access-list ones say they are not checked under Wine, which keeps no
# access lists) and the headless binary's
# integration tests, the owner's named pipe among them: background agent, stdio relays,
# revocations, a killed owner, two would-be owners. Not part of scripts/test.sh (a cold run
# builds every crate a second time and Wine's first start is slow); run it before changing
# owner/, fsutil.rs or winsec.rs. Idempotent set-up included.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
target=x86_64-pc-windows-gnu
step() { printf '\n==== %s (%ss)\n' "$*" "$SECONDS"; }

step "install dependencies (MinGW, Wine, the Windows target)"
scripts/install-deps.sh windows

step "clippy for Windows (the headless crates with their tests, and the tray app)"
cargo clippy --target "$target" -p tgmcp-core -p fast-mcp-telegram --all-targets -q -- -D warnings
cargo clippy --target "$target" -p fast-mcp-telegram-tray -q -- -D warnings

step "Wine prefix"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEPREFIX="${WINEPREFIX:-$PWD/target/wine}"
[ -d "$WINEPREFIX/drive_c/windows/system32" ] || wineboot -i >/dev/null 2>&1 || true
# Wine 8 (Debian 12) has no bcryptprimitives.dll, which Rust's std needs for randomness: a
# stand-in built from tests/windows/bcryptprimitives.c (Windows has the real one).
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ tests/windows/bcryptprimitives.c -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" tests/windows/bcryptprimitives.c -ladvapi32 -Wl,--kill-at
fi

step "build for Windows"
cargo build --target "$target" -p fast-mcp-telegram --bins -q
cargo test --target "$target" -p tgmcp-core -p fast-mcp-telegram --lib --test it --no-run -q

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
step "core unit tests under Wine"
cargo test --target "$target" -q -p tgmcp-core --lib

step "headless binary's integration tests under Wine (owner pipe, relays, CLI)"
cargo test --target "$target" -q -p fast-mcp-telegram --test it -- --test-threads=1

step "Windows tests passed"
