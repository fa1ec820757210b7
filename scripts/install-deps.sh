#!/usr/bin/env bash
# Idempotent set-up on Debian/Ubuntu. Usage: scripts/install-deps.sh [gui] [test] [windows]
#   gui     : libraries to build and run the Tauri tray app (WebKitGTK, appindicator)
#   test    : tools the test suite uses (Secret Service, Xvfb, Chromium, WebKitWebDriver, Python MCP SDK, Telethon, playwright-core)
#   windows : the Windows target, MinGW and Wine for scripts/test-windows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
want_gui=0; want_test=0; want_windows=0
for a in "$@"; do case "$a" in gui) want_gui=1;; test) want_test=1;; windows) want_windows=1;; *) echo "unknown option $a" >&2; exit 2;; esac; done

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(build-essential pkg-config ca-certificates curl)
[ $want_gui -eq 1 ] && pkgs+=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev file)
[ $want_windows -eq 1 ] && pkgs+=(gcc-mingw-w64-x86-64 wine wine64)
[ $want_test -eq 1 ] && pkgs+=(dbus dbus-x11 gnome-keyring libsecret-tools libglib2.0-bin xclip xvfb xauth at-spi2-core webkit2gtk-driver chromium python3-pip nodejs npm)

missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
# nodejs/npm/pip may come from elsewhere (nvm, pyenv): accept the commands.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    nodejs) command -v node >/dev/null || filtered+=("$p");;
    npm) command -v npm >/dev/null || filtered+=("$p");;
    python3-pip) python3 -m pip --version >/dev/null 2>&1 || filtered+=("$p");;
    *) filtered+=("$p");;
  esac
done
if [ ${#filtered[@]} -gt 0 ]; then
  echo "installing: ${filtered[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
fi

if [ $want_test -eq 1 ]; then
  python3 -c 'import mcp, pytest, telethon' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt
  if [ -f tests/ui/package.json ] && [ ! -d tests/ui/node_modules/playwright-core ]; then
    (cd tests/ui && npm install --no-audit --no-fund --silent)
  fi
fi

if [ $want_windows -eq 1 ]; then
  rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
fi
