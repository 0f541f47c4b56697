"""The structure the docs claim: no import cycle, and an offline verifier without the catalog."""

from __future__ import annotations

import json
import subprocess
import sys

import grimp

PACKAGES = ("archive", "recorder", "transcribe", "api", "retention")
# What `archive.export.offline` must never load (its import-linter contract forbids them too;
# this checks what a real import pulls in, through third-party packages as well).
OFFLINE_NEVER_LOADS = ("sqlalchemy", "alembic", "minio", "huey", "pymerkle", "fastapi")


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself.

    Tarjan's algorithm, iterative: the graph is deep enough to pass Python's recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    found.append(sorted(component))
    return found


def test_cycles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert sorted(_cycles(edges)) == [["a", "b", "c"], ["e"]]


def test_no_import_cycle_between_modules() -> None:
    # Imports under `if TYPE_CHECKING:` never run, so they cannot make an import-time cycle.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    edges = {m: graph.find_modules_directly_imported_by(m) & graph.modules
             for m in graph.modules}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_offline_verifier_loads_no_catalog_or_store_client() -> None:
    code = ("import json, sys\n"
            "import archive.export.offline.verify\n"
            "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules})))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    loaded = set(json.loads(done.stdout))
    assert "archive" in loaded
    assert sorted(loaded & set(OFFLINE_NEVER_LOADS)) == []
