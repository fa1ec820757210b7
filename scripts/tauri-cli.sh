# Sourced by the packaging scripts: defines `tauri_cli ARGS…`, the Tauri CLI of the tauri version in Cargo.lock.
# Uses $TAURI_CLI, else `cargo tauri`, else installs the npm package @tauri-apps/cli (prebuilt) into target/.
tauri_version=$(awk '/^name = "tauri"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
tauri_cli() {
  if [ -n "${TAURI_CLI:-}" ]; then
    "$TAURI_CLI" "$@"
  elif cargo tauri --version >/dev/null 2>&1; then
    cargo tauri "$@"
  else
    local dir=target/tauri-cli
    if [ ! -x "$dir/node_modules/.bin/tauri" ] || ! "$dir/node_modules/.bin/tauri" --version | grep -q "$tauri_version"; then
      mkdir -p "$dir"
      npm install --prefix "$dir" --no-audit --no-fund --no-save "@tauri-apps/cli@$tauri_version" >&2
    fi
    "$dir/node_modules/.bin/tauri" "$@"
  fi
}
