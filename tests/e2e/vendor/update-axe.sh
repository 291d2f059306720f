#!/usr/bin/env bash
# Refresh the vendored axe-core used by the browser tests' accessibility checks (`make assets`).
#   bash tests/e2e/vendor/update-axe.sh            # latest 4.x
#   AXE_CORE_VERSION=4.14.1 bash tests/e2e/vendor/update-axe.sh
set -euo pipefail

version="${AXE_CORE_VERSION:-4}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "axe-core@${version}" >/dev/null && tar xzf axe-core-*.tgz)
cp "$work/package/axe.min.js" "$here/axe.min.js"
cp "$work/package/LICENSE" "$here/axe-LICENSE"
echo "axe-core $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/package/package.json" | head -n1) in tests/e2e/vendor/"
