#!/usr/bin/env bash
# Run a command with a private, unlocked gnome-keyring Secret Service.
# Use inside a D-Bus session: dbus-run-session -- scripts/with-secret-service.sh CMD...
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
# An empty password does not create the login collection; use a throwaway non-empty one.
eval "$(printf '%s' "${KEYRING_PASSWORD:-ci-password}" | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
