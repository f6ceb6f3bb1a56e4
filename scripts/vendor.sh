#!/usr/bin/env bash
# Fetch the pinned front-end libraries from the npm registry and copy only their dist files into
# static/vendor/<name>-<version>/. The files are committed: the app never loads anything from a CDN,
# and no build step runs at deploy time. Change a version here, run `make vendor`, update templates.
set -euo pipefail

# name version files-to-copy (relative to the package root; a directory is copied whole)
PACKAGES=(
  "leaflet 1.9.4 dist/leaflet.js dist/leaflet.js.map dist/leaflet.css dist/images LICENSE"
  "echarts 6.1.0 dist/echarts.min.js LICENSE NOTICE"
  "htmx.org 2.0.11 dist/htmx.min.js LICENSE"
  "leaflet.markercluster 1.5.3 dist/leaflet.markercluster.js dist/leaflet.markercluster.js.map dist/MarkerCluster.css dist/MarkerCluster.Default.css MIT-LICENCE.txt"
  "leaflet.heat 0.2.0 dist/leaflet-heat.js LICENSE"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "vendor.sh: npm is required" >&2; exit 1; }
mkdir -p "$VENDOR"
versions="$WORK/VERSIONS.txt"
printf '# Front-end libraries vendored by scripts/vendor.sh (name version license)\n' >"$versions"

for entry in "${PACKAGES[@]}"; do
  read -r name version files <<<"$entry"
  echo "vendor.sh: $name@$version"
  (cd "$WORK" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$(ls "$WORK"/*.tgz)"
  mkdir -p "$WORK/$name"
  tar -xzf "$tarball" -C "$WORK/$name" --strip-components=1
  rm -f "$tarball"
  license="$(cd "$WORK/$name" && node -p 'require("./package.json").license || ""')"
  # Some packages name their licence only in the file (leaflet.heat: BSD-2-Clause); say so here.
  case "$name" in leaflet.heat) license="${license:-BSD-2-Clause}" ;; esac
  dest="$VENDOR/$name-$version"
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in $files; do
    src="$WORK/$name/$f"
    [ -e "$src" ] || { echo "vendor.sh: $name@$version has no $f" >&2; exit 1; }
    if [ -d "$src" ]; then cp -R "$src" "$dest/"; else cp "$src" "$dest/"; fi
  done
  printf '%s %s %s\n' "$name" "$version" "$license" >>"$versions"
done

cp "$versions" "$VENDOR/VERSIONS.txt"
echo "vendor.sh: wrote $VENDOR/VERSIONS.txt"
