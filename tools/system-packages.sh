#!/bin/sh
# Install the Debian packages whose commands (or files) are missing, when run as
# root; otherwise stop, before anything else runs, with the one command to run.
# Usage: tools/system-packages.sh COMMAND:PACKAGE ...   (e.g. bwrap:bubblewrap)
#        a /path instead of a command names a file the package installs (a font)
set -eu
missing=""
for pair in "$@"; do
    need="${pair%%:*}"
    case "$need" in
        /*) [ -e "$need" ] || missing="$missing ${pair#*:}" ;;
        *) command -v "$need" >/dev/null 2>&1 || missing="$missing ${pair#*:}" ;;
    esac
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "this needs the Debian/Ubuntu packages$missing, and a Linux kernel with user" >&2
    echo "namespaces; elsewhere (macOS, Windows) use the container route in docs/security.md." >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "this needs$missing: run  sudo apt-get install -y$missing  then this command again" >&2
    exit 1
fi
echo "installing$missing (Debian packages)"
apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null
}
