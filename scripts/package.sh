#!/usr/bin/env bash
# Builds the Linux packages (.deb and .rpm; .AppImage with BUNDLES=deb,rpm,appimage, which downloads
# linuxdeploy) into target/release/bundle/, with the headless fast-mcp-telegram beside the tray app.
# Not part of scripts/test.sh (a release build takes long); test the result with tests/package/test_deb.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tauri-cli.sh
BUNDLES=${BUNDLES:-deb,rpm}
export CARGO_INCREMENTAL=0
renice -n 10 $$ >/dev/null # the builds below inherit it: a release build takes long and shares the machine
host=$(rustc -vV | sed -n 's/^host: //p')

echo "==== headless binary (release)"
cargo build --release --locked -p fast-mcp-telegram
# Tauri's sidecar convention: binaries/NAME-TRIPLE, installed as NAME beside the app's binary
# (/usr/bin on Linux), which is the path client configs then use.
mkdir -p src-tauri/binaries
cp target/release/fast-mcp-telegram "src-tauri/binaries/fast-mcp-telegram-$host"

echo "==== tray app and bundles: $BUNDLES"
tauri_cli build --ci --config src-tauri/tauri.packaging.conf.json --bundles "$BUNDLES" -- --locked

echo "==== packages"
find target/release/bundle -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.AppImage' \) -print
