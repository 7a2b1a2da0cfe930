"""The apps import each other in one direction, by layers, with no import cycle between apps nor between two
modules (issue 15). Every import is counted, at the top of a module or inside a function, since both tie the
modules together.

The layers (docs/architecture.md): the data (institutions, experiences) at the bottom; above it the apps that
use it (accounts, directory, partners, api); platforma, the project, wires everything. The one tolerated cycle
is listed below with its reason; any other fails the tests."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = {"institutions", "experiences"}
# What each app may import (besides itself). Within the data layer institutions and experiences read each
# other's models; above it, api reads directory's criteria, partners logs in through accounts and contact
# writes to an organisation's partners when it has no address of its own; alerts reads the directory's
# criteria and lists, and keeps an address in the accounts' one form.
MAY_IMPORT = {
    "institutions": {"experiences"},
    "experiences": {"institutions"},
    "accounts": set(),
    "directory": DATA,
    "partners": DATA | {"accounts"},
    "api": DATA | {"directory"},
    "contact": DATA | {"partners"},
    "alerts": DATA | {"accounts", "directory"},
    "platforma": DATA | {"accounts", "directory", "partners", "contact", "alerts", "api"},
}
APPS = sorted(MAY_IMPORT)

# App-level imports that close a known cycle (importer app, imported app).
KNOWN_APP_EDGES = {
    # Inside the data layer: experiences' models, admin and formsets build on institutions'; institutions'
    # search documents, facets, cache, completeness and stale check read experiences' models. One data layer
    # in two apps; untangling it means changing institutions/search.py and facets.py (the search engine).
    ("institutions", "experiences"),
}
# Module-level imports that close a known cycle (importer, imported): none.
KNOWN_MODULE_EDGES = set()


def project_modules():
    """{dotted name: path} of every module of the apps, migrations excluded (they only follow the models)."""
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports(modules):
    """The set of (importer, imported) pairs between the project's modules."""

    def owner(name):
        # "institutions.models.Sector" is the module institutions.models.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    edges = set()
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from ..models import y
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = owner(name)
                if target and target != module:
                    edges.add((module, target))
    return edges


def cycles(edges):
    """The groups of two or more nodes that import each other, directly or not (Tarjan's strongly connected
    components), each as a sorted list."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def app(module):
    return module.partition(".")[0]


def test_the_walk_sees_the_imports_it_must():
    """Absolute, relative and in-function imports are all found (else the tests below could not fail)."""
    edges = imports(project_modules())
    assert ("experiences.models", "institutions.models") in edges  # absolute, at the top
    assert ("platforma.middleware", "platforma.views") in edges  # relative
    assert ("institutions.cache", "experiences.models") in edges  # inside functions
    assert cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]


def test_each_app_imports_only_the_apps_below_it():
    app_edges = {(app(a), app(b)) for a, b in imports(project_modules()) if app(a) != app(b)}
    assert {(a, b) for a, b in app_edges if b not in MAY_IMPORT[a]} == set()


def test_every_app_is_in_a_layer():
    """A new app is given its place above (or in) the data layer before it imports anything."""
    folders = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert folders == set(MAY_IMPORT)


def test_no_import_cycle_between_apps():
    app_edges = {(app(a), app(b)) for a, b in imports(project_modules()) if app(a) != app(b)}
    assert KNOWN_APP_EDGES <= app_edges, "a known cycle is gone: remove it from KNOWN_APP_EDGES"
    assert cycles(app_edges - KNOWN_APP_EDGES) == []


def test_no_import_cycle_between_modules():
    edges = imports(project_modules())
    assert KNOWN_MODULE_EDGES <= edges, "a known cycle is gone: remove it from KNOWN_MODULE_EDGES"
    assert cycles(edges - KNOWN_MODULE_EDGES) == []
