#!/bin/sh
# Copy the front-end packages the site serves from npm into static/vendor/ (committed: nothing is fetched at
# run time). Run it again after changing a version below, then commit static/vendor/.
#   sh scripts/vendor_static.sh
set -eu

INTER=5.3.0        # @fontsource-variable/inter: the site's typeface (SIL Open Font License)
TOM_SELECT=2.6.2   # tom-select: searchable sector and country pickers (Apache-2.0)

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch PACKAGE@VERSION: unpack the npm tarball into $work/<name>
    name=$(echo "$1" | sed 's|.*/||; s|@.*||')
    (cd "$work" && npm pack --silent "$1" > "$name.tgz.name")
    mkdir -p "$work/$name"
    tar -xzf "$work/$(cat "$work/$name.tgz.name")" -C "$work/$name" --strip-components=1
}

fetch "@fontsource-variable/inter@$INTER"
fetch "tom-select@$TOM_SELECT"

rm -rf "$vendor"
mkdir -p "$vendor/inter" "$vendor/tom-select"
cp "$work/inter/files/inter-latin-wght-normal.woff2" "$work/inter/files/inter-latin-ext-wght-normal.woff2" \
   "$work/inter/LICENSE" "$vendor/inter/"
# The .map files too: the minified files name them, and collectstatic refuses a missing one.
cp "$work/tom-select/dist/js/tom-select.complete.min.js" "$work/tom-select/dist/js/tom-select.complete.min.js.map" \
   "$work/tom-select/dist/css/tom-select.min.css" "$work/tom-select/dist/css/tom-select.min.css.map" \
   "$work/tom-select/LICENSE" "$vendor/tom-select/"
echo "inter $INTER" > "$vendor/VERSIONS"
echo "tom-select $TOM_SELECT" >> "$vendor/VERSIONS"
echo "static/vendor/ updated:"
(cd "$vendor" && find . -type f | sort)
