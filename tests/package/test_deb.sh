#!/usr/bin/env bash
# Install test of the built .deb: unpacks it into a scratch root (dpkg -x), checks its files, runs the
# installed headless binary (--version, token new, client add in a temp HOME), then starts the installed
# tray app under Xvfb until its window is mapped, and checks that a second launch exits and hands over
# to the first (single instance). Usage: tests/package/test_deb.sh [path/to/package.deb]
# Build the package first with scripts/package.sh. Needs dpkg, xvfb-run, dbus-run-session, xwininfo.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=${1:-$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || { echo "no .deb found: run scripts/package.sh first" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
scratch=$(mktemp -d /tmp/fmt-deb-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
failures=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}" >/dev/null 2>&1; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}

echo "== $deb"
dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/  \1:/p'
check "package version is the workspace version ($version)" test "$(dpkg-deb -f "$deb" Version)" = "$version"
dpkg -x "$deb" "$root"

echo "== files"
check "tray binary /usr/bin/fast-mcp-telegram-tray" test -x "$root/usr/bin/fast-mcp-telegram-tray"
check "headless binary /usr/bin/fast-mcp-telegram" test -x "$root/usr/bin/fast-mcp-telegram"
check "window binary /usr/bin/fast-mcp-telegram-window" test -x "$root/usr/bin/fast-mcp-telegram-window"
desktop=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -1)
check "desktop entry" test -f "$desktop"
check "desktop entry starts the tray" grep -q '^Exec=fast-mcp-telegram-tray' "$desktop"
check "desktop entry names an icon" grep -q '^Icon=' "$desktop"
for size in 32x32 128x128 256x256@2; do
  check "icon $size" sh -c "ls '$root'/usr/share/icons/hicolor/$size/apps/*.png"
done
check "licence" sh -c "ls '$root'/usr/share/doc/*/LICENSE"
check "licence is MIT" grep -q "MIT License" "$root/usr/share/doc/fast-mcp-telegram/LICENSE"

echo "== installed headless binary"
cfg=$scratch/config home=$scratch/home
mkdir -p "$cfg" "$home"
run() { env -i PATH=/usr/bin:/bin HOME="$home" SESSION_DIR="$cfg" DBUS_SESSION_BUS_ADDRESS=disabled: "$@"; }
check "--version prints $version" sh -c "'$root/usr/bin/fast-mcp-telegram' --version | grep -qx 'fast-mcp-telegram $version'"
if run "$root/usr/bin/fast-mcp-telegram" token new --label package-test >"$scratch/token.out" 2>"$scratch/token.err"; then
  echo "ok   token new"
else
  echo "FAIL token new: $(cat "$scratch/token.err")"; failures=$((failures + 1))
fi
check "token new prints a token" test -s "$scratch/token.out"
check "token new made an owner-only config dir" test "$(stat -c %a "$cfg")" = 700
run "$root/usr/bin/fast-mcp-telegram" client add cursor >/dev/null 2>"$scratch/client.err" || cat "$scratch/client.err"
check "client add writes the installed binary's path" grep -q "\"$root/usr/bin/fast-mcp-telegram\"" "$home/.cursor/mcp.json"

echo "== installed tray app under Xvfb"
cat >"$scratch/tray.sh" <<SH
#!/usr/bin/env bash
# One display and one D-Bus session for both launches (single instance talks over D-Bus).
set -u
export HOME="$home" SESSION_DIR="$scratch/tray-config" PORT=0 NO_AT_BRIDGE=1
"$root/usr/bin/fast-mcp-telegram-tray" --show-window >"$scratch/tray1.log" 2>&1 &
first=\$!
# Bounded wait for the window (polling the X server; there is no event to wait on from a script).
for _ in \$(seq 1 300); do
  xwininfo -root -tree 2>/dev/null | grep -q '"fast-mcp-telegram"' && break
  kill -0 \$first 2>/dev/null || break
  sleep 0.2
done
xwininfo -root -tree | grep '"fast-mcp-telegram"' >"$scratch/window.txt" || true
# The window is the window process's; the tray app maps no web engine.
grep -c libwebkit /proc/\$first/maps >"$scratch/tray-webkit.count"
timeout 60 "$root/usr/bin/fast-mcp-telegram-tray" >"$scratch/tray2.log" 2>&1
echo \$? >"$scratch/second.rc"
kill -0 \$first 2>/dev/null && echo alive >"$scratch/first.alive"
kill \$first
wait \$first
SH
chmod +x "$scratch/tray.sh"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$scratch/tray.sh" || true
check "the tray app's window is mapped" test -s "$scratch/window.txt"
check "the tray app started its MCP server" grep -q '^LISTENING http://127.0.0.1:' "$scratch/tray1.log"
check "a second launch exits with 0" test "$(cat "$scratch/second.rc" 2>/dev/null)" = 0
check "the first app is still running after it" test -f "$scratch/first.alive"
check "the tray app loads no web engine" test "$(cat "$scratch/tray-webkit.count" 2>/dev/null)" = 0
check "the first app was asked to show its window (a second window process)" test "$(grep -c 'window process started' "$scratch/tray1.log")" -ge 2
if [ "$failures" -gt 0 ]; then
  echo "--- tray log"; tail -20 "$scratch/tray1.log"; echo "--- second launch"; tail -5 "$scratch/tray2.log"
  echo "$failures checks failed"; exit 1
fi
echo "all package checks passed"
