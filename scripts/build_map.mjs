// Projects the countries of Natural Earth (npm world-atlas, countries-50m) once, for the statistics map.
// Run by scripts/build_map.sh, which installs the packages in a throwaway directory and names the countries.
// Writes JSON: {width, height, shapes: [{id, name, detailed, small}]}: `id` the ISO 3166 numeric code (absent
// for the few shapes without one: Kosovo, Somaliland, ...), `detailed` and `small` SVG path data in a
// width x height box, `small` simplified further for the search page's thumbnail.
import {readFileSync, writeFileSync} from "node:fs";
import {geoArea, geoEqualEarth, geoPath} from "d3-geo";
import {feature} from "topojson-client";
import {presimplify, simplify, sphericalTriangleArea} from "topojson-simplify";

const [atlas, output] = process.argv.slice(2);
const WIDTH = 960;
// What each map keeps (steradians; a square pixel of the detailed map is about 3e-5): the smallest triangle
// of a border and the smallest island (a country's largest piece is always kept); decimals of coordinates.
const DETAILED = {triangle: 2e-5, island: 1e-5, digits: 1};
const SMALL = {triangle: 3e-4, island: 2e-3, digits: 0};

const topology = presimplify(JSON.parse(readFileSync(atlas, "utf8")), sphericalTriangleArea);
const ANTARCTICA = "010"; // no action there: leaving it out gives the other continents the room

function withoutIslets(country, island) {
  if (country.geometry?.type !== "MultiPolygon") return country;
  const pieces = country.geometry.coordinates.map((polygon) => [geoArea({type: "Polygon", coordinates: polygon}), polygon]);
  const largest = Math.max(...pieces.map(([area]) => area));
  const kept = pieces.filter(([area]) => area >= island || area === largest).map(([, polygon]) => polygon);
  return {...country, geometry: {type: "MultiPolygon", coordinates: kept}};
}

const countries = ({triangle, island}) =>
  feature(simplify(topology, triangle), topology.objects.countries)
    .features.filter((f) => f.id !== ANTARCTICA)
    .map((f) => withoutIslets(f, island));

const detailed = countries(DETAILED);
const projection = geoEqualEarth().fitWidth(WIDTH - 4, {type: "FeatureCollection", features: detailed});
const [[, top], [, bottom]] = geoPath(projection).bounds({type: "FeatureCollection", features: detailed});
const height = Math.ceil(bottom - top) + 4;
projection.translate([projection.translate()[0] + 2, projection.translate()[1] - top + 2]);
const path = (f, {digits}) => geoPath(projection).digits(digits)(f) || "";

const small = new Map(countries(SMALL).map((f, n) => [n, f]));
const shapes = detailed.map((f, n) => ({
  id: f.id,
  name: f.properties.name,
  detailed: path(f, DETAILED),
  small: path(small.get(n), SMALL),
}));
writeFileSync(output, JSON.stringify({width: WIDTH, height, shapes}));
