#!/usr/bin/env bash
# Vendors GraphiQL into reelgraph/graphiql/static/vendor so the playground works with no CDN:
# the graphiql browser bundle (JS + CSS) and React/ReactDOM 18 UMD production builds, at pinned
# versions, fetched with npm into a temporary folder. Writes VERSIONS.json (versions, npm
# integrity of each tarball, sha256 of each vendored file) and the upstream licences.
#
#   scripts/vendor_graphiql.sh     (re)vendor; commit the result
#
# graphiql 3.8.3 ships `graphiql.min.js` as a webpack development build (3.5 MB, comments and
# all), so it is minified here with esbuild (a pure syntax transform, pinned too).
set -euo pipefail

GRAPHIQL_VERSION=3.8.3
REACT_VERSION=18.3.1
ESBUILD_VERSION=0.25.12

repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/reelgraph/graphiql/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v npm >/dev/null || { echo "vendor_graphiql: npm is required (Node 20+)" >&2; exit 1; }

cd "$work"
npm pack --json --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >packs.json
npm install --silent --no-save --no-audit --no-fund --prefix "$work/tools" "esbuild@$ESBUILD_VERSION" >/dev/null
esbuild="$work/tools/node_modules/.bin/esbuild"

for tarball in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
  package="${tarball%-*}"
  mkdir -p "$package"
  tar -xzf "$tarball.tgz" -C "$package" --strip-components=1
done

rm -rf "$dest"
mkdir -p "$dest"
"$esbuild" graphiql/graphiql.min.js --minify --legal-comments=none --log-level=error \
  --outfile="$dest/graphiql.min.js"
"$esbuild" graphiql/graphiql.min.css --minify --legal-comments=none --log-level=error \
  --outfile="$dest/graphiql.min.css"
cp react/umd/react.production.min.js "$dest/react.production.min.js"
cp react-dom/umd/react-dom.production.min.js "$dest/react-dom.production.min.js"
cp graphiql/LICENSE "$dest/LICENSE.graphiql"
cp react/LICENSE "$dest/LICENSE.react"

node - "$dest" "$GRAPHIQL_VERSION" "$REACT_VERSION" "$ESBUILD_VERSION" <<'NODE'
const { createHash } = require('node:crypto');
const { readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [dest, graphiql, react, esbuild] = process.argv.slice(2);
const packs = JSON.parse(readFileSync('packs.json', 'utf8'));
const packages = Object.fromEntries(packs.map((pack) => [pack.name, { version: pack.version, integrity: pack.integrity }]));
const files = Object.fromEntries(
  readdirSync(dest)
    .filter((name) => name !== 'VERSIONS.json')
    .sort()
    .map((name) => [name, `sha256-${createHash('sha256').update(readFileSync(join(dest, name))).digest('hex')}`]),
);
const versions = {
  comment: 'Written by scripts/vendor_graphiql.sh; do not edit by hand.',
  packages,
  minifiedWith: `esbuild@${esbuild}`,
  files,
};
if (packages.graphiql.version !== graphiql || packages.react.version !== react || packages['react-dom'].version !== react) {
  throw new Error(`npm packed unexpected versions: ${JSON.stringify(packages)}`);
}
writeFileSync(join(dest, 'VERSIONS.json'), `${JSON.stringify(versions, null, 2)}\n`);
NODE

ls -l "$dest"
echo "vendored graphiql@$GRAPHIQL_VERSION and react@$REACT_VERSION into ${dest#"$repo"/}"
