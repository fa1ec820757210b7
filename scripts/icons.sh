#!/usr/bin/env bash
# Regenerates every packaged icon size (src-tauri/icons, ui/icon.png) from the one source, icons/icon.svg.
# Needs the Tauri CLI: `cargo tauri`, or the npm package @tauri-apps/cli (TAURI_CLI=path/to/tauri).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tauri-cli.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tauri_cli icon icons/icon.svg -o "$out"
# Desktop sizes only (no Android/iOS/Windows-Store tiles).
for f in 32x32.png 64x64.png 128x128.png 128x128@2x.png icon.png icon.icns icon.ico; do
  cp "$out/$f" "src-tauri/icons/$f"
done
cp "$out/64x64.png" ui/icon.png
cp "$out/64x64.png" icons/icon.png
ls -l src-tauri/icons
