"""The world map of the statistics page and the search page's thumbnail: countries coloured in classes by a
number (experiences, or organisations), drawn as inline SVG by templates (directory/_world_map.html,
directory/_map_thumbnail.html) from the shapes scripts/build_map.sh projected once (world_map.json).

Classes: the countries counted (a number above 0) are cut into CLASSES classes holding about as many
countries each (quintiles, by nearest rank); when several quintiles fall on one number (many countries with
one experience) there are fewer classes, spread from the lightest to the darkest colour so that the largest
number is always the darkest. Countries with nothing counted are in a neutral class (level 0).
"""

import functools
import json
import math
from pathlib import Path
from typing import NamedTuple

MAP_FILE = Path(__file__).with_name("world_map.json")
CLASSES = 5


@functools.cache
def shapes():
    """The projected shapes: {"width", "height", "countries": {alpha-2: path}, "small": {alpha-2: path},
    "unassigned": [path]} (see scripts/build_map.sh)."""
    return json.loads(MAP_FILE.read_text())


class Level(NamedTuple):
    level: int  # 1 (lightest) … CLASSES (darkest); the CSS class map-level-<level>
    low: int
    high: int  # the numbers it holds, low to high


def classes(counts):
    """The Levels of these numbers (those above 0), lightest first."""
    found = sorted(n for n in counts if n > 0)
    if not found:
        return []
    bounds = sorted({found[math.ceil(len(found) * k / CLASSES) - 1] for k in range(1, CLASSES + 1)})
    levels, low = [], found[0]
    for n, high in enumerate(bounds):
        # spread over 1..CLASSES, the last always CLASSES
        level = CLASSES - round((len(bounds) - 1 - n) * (CLASSES - 1) / max(len(bounds) - 1, 1))
        levels.append(Level(level, low, high))
        low = high + 1
    return levels


def level_of(count, levels):
    """The class of a number: 0 (neutral) for nothing counted."""
    return next((level.level for level in levels if count <= level.high), 0) if count > 0 else 0


class Country(NamedTuple):
    code: str
    name: str
    count: int
    level: int
    url: str  # "" for a country with nothing counted
    path: str


class WorldMap(NamedTuple):
    width: int
    height: int
    countries: list  # Country, those with nothing counted first (drawn below the others' outlines)
    levels: list  # Level, lightest first
    unassigned: list  # paths of shapes that are no country (drawn neutral, without a name)
    not_drawn: list  # (name, count) of countries counted that the map has no shape for

    @property
    def counted(self):
        """The number of countries counted, drawn or not."""
        return sum(1 for country in self.countries if country.count) + len(self.not_drawn)


def world_map(counts, names, url_of, small=False):
    """The map of `counts` ({alpha-2: number}) with `names` ({alpha-2: name in the page's language}) and
    each counted country's link url_of(code); `small`: the thumbnail's shapes."""
    data = shapes()
    paths = data["small" if small else "countries"]
    levels = classes(counts.values())
    countries = [
        Country(code, names.get(code, code), counts.get(code, 0), level_of(counts.get(code, 0), levels),
                url_of(code) if counts.get(code, 0) else "", path)
        for code, path in paths.items()
    ]  # fmt: skip
    countries.sort(key=lambda country: country.count > 0)  # stable: by code within each group
    not_drawn = sorted((names.get(code, code), n) for code, n in counts.items() if n and code not in paths)
    return WorldMap(data["width"], data["height"], countries, levels, data["unassigned"], not_drawn)
