#!/usr/bin/env bash
# Refresh the committed GOV.UK Frontend assets from npm (`make assets`).
#
#   bash static/update-govuk-frontend.sh            # latest 6.x
#   GOVUK_FRONTEND_VERSION=6.6.0 bash static/update-govuk-frontend.sh
#
# Only the compiled CSS, the JS module and the fonts/images are kept (static/govuk/). Two edits
# are made to the CSS and JS, and the script checks they took:
#
# - The CSS refers to its fonts and images as url(/assets/...), an absolute path at the site
#   root. They are rewritten to url(assets/...), relative to the CSS file, so they resolve to
#   /static/govuk/assets/... . That keeps one copy of the files, works under any STATIC_URL,
#   and lets ManifestStaticFilesStorage give the fonts hashed names that can be cached forever.
# - The sourceMappingURL comments are dropped because the .map files are not committed, and
#   ManifestStaticFilesStorage refuses to post-process a file whose source map is missing.
#
# favicon.ico is also copied to static/govuk-root/ (WHITENOISE_ROOT), which serves it at
# /favicon.ico for the clients that ask for it there.
set -euo pipefail

version="${GOVUK_FRONTEND_VERSION:-6}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "govuk-frontend@${version}" >/dev/null && tar xzf govuk-frontend-*.tgz)
dist="$work/package/dist/govuk"
resolved="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/package/package.json" | head -n1)"

rm -rf "$here/govuk"
mkdir -p "$here/govuk" "$here/govuk-root"
cp -R "$dist/assets" "$here/govuk/assets"
# The web app manifest is for installable GOV.UK pages; this service does not link it.
rm -f "$here/govuk/assets/manifest.json"

sed -e 's#url(/assets/#url(assets/#g' -e '/sourceMappingURL=/d' \
    "$dist/govuk-frontend.min.css" >"$here/govuk/govuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=[^ ]*$##' \
    "$dist/govuk-frontend.min.js" >"$here/govuk/govuk-frontend.min.js"
cp "$dist/assets/images/favicon.ico" "$here/govuk-root/favicon.ico"
echo "$resolved" >"$here/govuk/VERSION"

if grep -q 'url(/' "$here/govuk/govuk-frontend.min.css"; then
    echo "an absolute url(/...) is left in govuk-frontend.min.css: update this script" >&2
    exit 1
fi
if grep -q 'sourceMappingURL' "$here/govuk/govuk-frontend.min.css" "$here/govuk/govuk-frontend.min.js"; then
    echo "a sourceMappingURL is left in the GOV.UK Frontend files: update this script" >&2
    exit 1
fi
grep -o 'url(assets/[^)]*)' "$here/govuk/govuk-frontend.min.css" | sed 's/^url(\(.*\))$/\1/' | sort -u |
    while read -r ref; do
        [ -f "$here/govuk/$ref" ] || { echo "the CSS refers to $ref, which is not in the package" >&2; exit 1; }
    done

echo "GOV.UK Frontend $resolved in static/govuk/ ($(du -sh "$here/govuk" | cut -f1))"
