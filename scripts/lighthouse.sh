#!/bin/sh
# Lighthouse's four scores (performance, accessibility, best practices, SEO) for the search page and a profile,
# on a phone (Lighthouse's default) and a desktop, from the site served at BASE_URL by Debian's chromium.
# Lighthouse (npm, pinned below) is installed once into .cache/ (not committed). Exit status 1 if a score is
# below 100.
#   make run   (or gunicorn with DEBUG off: what production serves)
#   sh scripts/lighthouse.sh [BASE_URL]         default http://127.0.0.1:8000
set -eu

LIGHTHOUSE=12.8.2  # npm lighthouse; 13 needs Node 22 and Debian 12 has Node 20

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/lighthouse-$LIGHTHOUSE"
bin="$dir/node_modules/.bin/lighthouse"
if [ ! -x "$bin" ]; then
    command -v npm >/dev/null || { echo "npm is needed to install Lighthouse (apt-get install npm)" >&2; exit 2; }
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent "lighthouse@$LIGHTHOUSE")
fi
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
base="${1:-http://127.0.0.1:8000}"
report=$(mktemp)
trap 'rm -f "$report"' EXIT

status=0
for path in "/en/" "/fr/?q=eau&kind=municipality" "/en/organisations/aimf/" "/fr/organisations/aimf/"; do
    for form in mobile desktop; do
        preset=""
        [ "$form" = desktop ] && preset="--preset=desktop"
        # shellcheck disable=SC2086 # $preset is one flag or none
        "$bin" "$base$path" $preset --quiet --output=json --output-path="$report" \
            --only-categories=performance,accessibility,best-practices,seo \
            --chrome-flags="--headless=new --no-sandbox --disable-gpu" || { status=1; continue; }
        node -e '
            const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
            const scores = Object.values(report.categories).map(c => [c.id, Math.round(c.score * 100)]);
            const below = [];
            for (const audit of Object.values(report.audits)) {
                if (audit.score !== null && audit.score < 1 && audit.scoreDisplayMode !== "informative"
                    && audit.scoreDisplayMode !== "manual" && audit.scoreDisplayMode !== "notApplicable") {
                    below.push(audit.id);
                }
            }
            console.log(process.argv[2].padEnd(8), scores.map(([id, s]) => `${id} ${s}`).join("  "), " ", process.argv[3]);
            if (scores.some(([, s]) => s < 100)) { console.log("         below 1:", below.join(", ")); process.exit(1); }
        ' "$report" "$form" "$path" || status=1
    done
done
exit $status
