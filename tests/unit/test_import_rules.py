"""The import rules of the layout (design.md), checked on the real import graph (grimp, the engine
under import-linter).

- the domain imports nothing of the project but the domain, and no third-party package;
- features import ports, domain and storage, never adapters (nor webhooks, jobs, the sandbox);
- nothing but the composition root (connector/bootstrap.py) imports adapters;
- nothing in the product imports the sandbox;
- no import circles between packages.

Imports inside functions count: grimp reads every import statement.
"""

from __future__ import annotations

import sys
from functools import cache

import grimp

PRODUCT = ("connector", "adapters", "webhooks", "jobs")
FEATURES = ("capture", "supply", "notify", "dropship", "install", "privacy", "restock", "reports", "purchasing",
            "merchant", "customer")
COMPOSITION_ROOT = "connector.bootstrap"

KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()
"""(importer, imported) pairs still breaking a rule, each to be removed; a pair that no longer
occurs fails the test too, so the list only shrinks."""


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PRODUCT, "sandbox", include_external_packages=True, cache_dir=None)


def imports_of(module: str) -> set[str]:
    return graph().find_modules_directly_imported_by(module)


def modules_under(package: str) -> list[str]:
    g = graph()
    return sorted(m for m in g.modules if m == package or m.startswith(package + "."))


def top(module: str) -> str:
    return module.split(".", 1)[0]


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "connector" and len(parts) > 1 and parts[1] in FEATURES:
        return parts[1]
    return None


def breaking(pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pair for pair in pairs if pair not in KNOWN_VIOLATIONS)


def test_the_domain_imports_only_the_domain_and_the_standard_library():
    bad = {(m, i) for m in modules_under("connector.domain") for i in imports_of(m)
           if not i.startswith("connector.domain") and top(i) not in sys.stdlib_module_names}
    assert breaking(bad) == []


def test_features_never_import_adapters_webhooks_jobs_or_the_sandbox():
    bad = {(m, i) for m in graph().modules if feature_of(m) for i in imports_of(m)
           if top(i) in ("adapters", "webhooks", "jobs", "sandbox")}
    assert breaking(bad) == []


def test_nothing_but_the_composition_root_imports_adapters():
    bad = {(m, i) for m in graph().modules if top(m) in ("connector", "webhooks", "jobs")
           and m != COMPOSITION_ROOT for i in imports_of(m) if top(i) == "adapters"}
    assert breaking(bad) == []


def test_nothing_in_the_product_imports_the_sandbox():
    bad = {(m, i) for m in graph().modules if top(m) in PRODUCT for i in imports_of(m) if top(i) == "sandbox"}
    assert bad == set()


def package_of(module: str) -> str | None:
    """The package a module counts in for circles: connector's subpackages and top-level modules,
    each adapters folder, webhooks, jobs. Third-party and the sandbox are left out."""
    parts = module.split(".")
    if parts[0] == "connector":
        return ".".join(parts[:2]) if len(parts) > 1 else "connector"
    if parts[0] == "adapters":
        return ".".join(parts[:2]) if len(parts) > 1 else "adapters"
    if parts[0] in ("webhooks", "jobs"):
        return parts[0]
    return None


def package_cycles() -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph().modules:
        source = package_of(module)
        if source is None:
            continue
        for imported in imports_of(module):
            target = package_of(imported)
            if target is not None and target != source and (module, imported) not in KNOWN_VIOLATIONS:
                edges.setdefault(source, set()).add(target)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_circles_between_packages():
    assert package_cycles() == []


def test_every_listed_exception_still_occurs():
    gone = [pair for pair in sorted(KNOWN_VIOLATIONS) if pair[1] not in imports_of(pair[0])]
    assert gone == [], "no longer imported: remove these from KNOWN_VIOLATIONS"
