#!/usr/bin/env bash
# Rebuild the vendored browser libraries from the npm registry (pinned in package.json / package-lock.json).
# Each library lands in ../<name>-<version>/ with its LICENSE; the old folders of that name are removed.
# Usage: threatlake/web/static/vendor/recipe/build.sh   (needs node + npm; nothing is fetched at run time)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$(dirname "$here")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --silent)

version() { node -p "require('$work/node_modules/$1/package.json').version"; }

# name-in-path  npm-package  files (relative to the package)
copy() {
  local name="$1" package="$2"; shift 2
  local target="$vendor/$name-$(version "$package")"
  rm -rf "$vendor/$name"-[0-9]*
  mkdir -p "$target"
  for file in "$@"; do cp "$work/node_modules/$package/$file" "$target/"; done
}

copy htmx htmx.org dist/htmx.min.js LICENSE
copy echarts echarts dist/echarts.min.js LICENSE NOTICE
echo "vendored into $vendor:"; ls "$vendor"
