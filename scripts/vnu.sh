#!/bin/sh
# The Nu Html Checker (vnu, the W3C validator's engine) from the npm package vnu-jar, run with the machine's
# Java (Debian: apt-get install default-jre-headless). The jar is downloaded once into .cache/ (not committed).
#   sh scripts/vnu.sh --install          download it if missing and print its path
#   sh scripts/vnu.sh FILE_OR_URL...     check HTML files or pages: every error on stderr, exit status 1 if any
# tests/test_html_valid.py renders the public and partner pages and checks them with this script.
set -eu

VNU=26.9.27  # vnu-jar on npm (MIT)

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/vnu-jar-$VNU"
jar="$dir/build/dist/vnu.jar"

if [ ! -f "$jar" ]; then
    command -v npm >/dev/null || { echo "npm is needed to download vnu-jar (apt-get install npm)" >&2; exit 2; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "vnu-jar@$VNU" > name)
    mkdir -p "$dir"
    tar -xzf "$work/$(cat "$work/name")" -C "$dir" --strip-components=1
fi

if [ "${1:-}" = "--install" ]; then
    echo "$jar"
    exit 0
fi
command -v java >/dev/null || { echo "Java is needed to run vnu (apt-get install default-jre-headless)" >&2; exit 2; }
exec java -Xss1m -jar "$jar" --errors-only --stdout --format text "$@"
