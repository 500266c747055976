#!/usr/bin/env bash
# Unpacks kubectl 1.20 from Debian's kubernetes-client package into .tools/kubernetes-client
# (not installed: a machine may carry another kubectl on its PATH, and the compatibility
# tests must run the 1.20 client). The tests run .tools/kubernetes-client/usr/bin/kubectl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=.tools/kubernetes-client
if [[ -x $target/usr/bin/kubectl ]]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0777 "$work" # apt-get download drops privileges to _apt when it can write there
(cd "$work" && apt-get download kubernetes-client)
rm -rf "$target"
mkdir -p "$target"
dpkg -x "$work"/kubernetes-client_*.deb "$target"
"$target/usr/bin/kubectl" version --client --short 2>/dev/null || "$target/usr/bin/kubectl" version --client
