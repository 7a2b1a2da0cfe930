#!/bin/sh
# Build directory/world_map.json, the country shapes of the statistics map (committed: nothing is fetched or
# projected at run time). Run it again after changing a version or a setting, then commit the file.
#   sh scripts/build_map.sh
# Installs the npm packages below into a throwaway directory, projects the countries with
# scripts/build_map.mjs, then names each shape by its ISO 3166 alpha-2 code with django-countries.
set -eu

WORLD_ATLAS=2.0.2        # Natural Earth's countries, 1:50m, as TopoJSON (ISC; the data is public domain)
D3_GEO=3.1.2             # the Equal Earth projection and SVG paths (ISC)
TOPOJSON_CLIENT=3.1.0    # TopoJSON to GeoJSON (ISC)
TOPOJSON_SIMPLIFY=3.0.3  # fewer points, borders still shared (ISC)

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm init -y > /dev/null && npm install --silent --no-audit --no-fund \
    "world-atlas@$WORLD_ATLAS" "d3-geo@$D3_GEO" "topojson-client@$TOPOJSON_CLIENT" \
    "topojson-simplify@$TOPOJSON_SIMPLIFY")
cp "$root/scripts/build_map.mjs" "$work/"  # imports resolve from the script's own folder
node "$work/build_map.mjs" "$work/node_modules/world-atlas/countries-50m.json" "$work/shapes.json"

cd "$root"
SOURCE="world-atlas $WORLD_ATLAS countries-50m (Natural Earth), d3-geo $D3_GEO Equal Earth" \
DJANGO_SETTINGS_MODULE=platforma.settings "$root/.venv/bin/python" - "$work/shapes.json" directory/world_map.json <<'PYTHON'
import json
import os
import sys

import django

django.setup()
from django_countries import countries  # noqa: E402

# Shapes Natural Earth draws apart without an ISO numeric code: Kosovo has its own code here
# (settings.COUNTRIES_OVERRIDE); Somaliland and Northern Cyprus are drawn as part of Somalia and Cyprus, as
# ISO 3166 counts them. The others (Indian Ocean Territories, Siachen Glacier) are drawn without a country.
BY_NAME = {"Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}

source, output = sys.argv[1:]
projected = json.load(open(source))
detailed, small, unassigned = {}, {}, []
for shape in projected["shapes"]:
    code = countries.alpha2(shape["id"]) if shape.get("id") else BY_NAME.get(shape["name"], "")
    if not code:
        print(f"drawn without a country: {shape['name']} ({shape.get('id')})")
        unassigned.append(shape["detailed"])
        continue
    detailed[code] = detailed.get(code, "") + shape["detailed"]
    small[code] = small.get(code, "") + shape["small"]
data = {
    "source": os.environ["SOURCE"],
    "width": projected["width"],
    "height": projected["height"],
    "countries": dict(sorted(detailed.items())),
    "small": dict(sorted(small.items())),
    "unassigned": unassigned,
}
with open(output, "w") as file:
    json.dump(data, file, separators=(",", ":"))
    file.write("\n")
print(f"{output}: {len(detailed)} countries, {os.path.getsize(output):,} bytes")
PYTHON
