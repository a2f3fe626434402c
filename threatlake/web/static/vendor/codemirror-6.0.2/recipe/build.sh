#!/bin/sh
# Rebuild codemirror.min.js: the one CodeMirror 6 bundle the notebook editor uses, as the global `CM`.
# Needs node and the npm registry; run from this directory. The versions are pinned in package.json and
# package-lock.json (npm's default `codemirror` tag is the old version 5: these pin 6.x).
set -eu
npm ci --no-audit --no-fund
npx esbuild entry.js --bundle --minify --format=iife --global-name=CM --legal-comments=none \
    --outfile=../codemirror.min.js
rm -rf node_modules
