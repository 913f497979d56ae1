"""The import graph of the project's own apps (config, attachments, connector, desktop, sharing) keeps the layout's
promises.

Read from the source with ``ast``, not by importing: every ``import`` and ``from ... import`` counts, relative ones
resolved, and so do those inside functions or under ``TYPE_CHECKING`` (a late import hides a dependency from the
reader, it does not remove it). ``from package import name`` depends on the submodule when ``name`` is one, else on
the package; the parent packages Python runs on the way are not counted, since every module would then depend on
its package's ``__init__``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "attachments", "connector", "desktop", "sharing", "doctemplates")
# The one module that talks HTTP (style.md: one module owns all HTTP to the Document Server).
HTTP_CLIENTS = ("requests", "httpx", "urllib3", "urllib.request", "http.client", "aiohttp")
HTTP_MODULE = "connector.docserver"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


MODULES = _project_modules()


def _imports(module: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """Every import in the file, anywhere in it: (module imported, names taken from it; [] for ``import x.y``)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative to the module's package: a package's own __init__ is that package.
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield source, [alias.name for alias in node.names]


def _project_target(name: str) -> str | None:
    """The project module an imported name lands in: the longest prefix of it that is one."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _dependencies(module: str, path: Path) -> set[str]:
    found: set[str] = set()
    for source, names in _imports(module, path):
        # "from connector import services" depends on connector.services; "from connector.keys import x" on keys.
        submodules = [f"{source}.{name}" for name in names if f"{source}.{name}" in MODULES]
        if submodules:
            found.update(submodules)
        if len(submodules) < len(names) or not names:
            target = _project_target(source)
            if target is not None:
                found.add(target)
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    return {module: _dependencies(module, path) for module, path in MODULES.items()}


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle path (first module repeated at the end) per strongly connected component that has one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_path_within(graph, set(component)) for component in components]


def _path_within(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A cycle through the component's first module, by breadth-first search inside the component."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected component always has one


def test_it_reads_every_module_of_the_project() -> None:
    # A guard for the reader itself: the graph must see the modules and the imports it is about.
    assert {"config.settings", "attachments.services", "connector.services", "connector.views.docserver"} <= set(GRAPH)
    assert "connector.services" in GRAPH["connector.tasks"]
    assert "attachments.models" in GRAPH["connector.models"]


def test_it_finds_a_cycle_and_names_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]


def test_it_has_no_import_cycles() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(cycle) for cycle in cycles)


def test_it_keeps_the_attachment_store_free_of_later_modules() -> None:
    # The store is imported by the connector (and by a later app for desktop editing); it offers slots and
    # signals instead (attachments/actions.py, attachments/editing.py, attachments/signals.py). config wires
    # the apps together (settings, URLs, the pages' Jinja2 environment): the store sits below it too.
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == "attachments"
        for target in targets
        if target.split(".")[0] != "attachments"
    )
    assert wrong == []


def test_it_keeps_the_editing_apps_apart() -> None:
    # ONLYOFFICE and the desktop apps learn of each other's holds through the store (attachments/editing.py) only:
    # either can be removed, or a third added, without touching the other.
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if {module.split(".")[0], target.split(".")[0]} == {"connector", "desktop"}
    )
    assert "desktop.dav" in GRAPH
    assert wrong == []


def test_it_keeps_sharing_on_top_of_the_connector_and_the_store() -> None:
    # Share links open the ONLYOFFICE editor (sharing → connector → attachments); nothing below imports them back.
    wrong = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if target.split(".")[0] == "sharing" and module.split(".")[0] not in ("sharing", "config")
    )
    assert "sharing.services" in GRAPH
    assert wrong == []


def _http_client_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for source, names in _imports(module, path):
            for name in [source, *(f"{source}.{name}" for name in names)]:
                client = next((c for c in HTTP_CLIENTS if name == c or name.startswith(f"{c}.")), None)
                if client is not None:
                    found.setdefault(module, set()).add(client)
    return found


def _is_view_module(module: str) -> bool:
    parts = module.split(".")
    return "views" in parts or parts[-1].endswith("views") or parts[-1] in {"api", "urls"}


def test_it_keeps_http_clients_out_of_the_views() -> None:
    views = {module for module in MODULES if _is_view_module(module)}
    assert {"connector.views.docserver", "attachments.views", "attachments.api"} <= views
    assert {module: clients for module, clients in _http_client_imports().items() if module in views} == {}


def test_it_talks_http_to_the_document_server_from_one_module_only() -> None:
    assert set(_http_client_imports()) == {HTTP_MODULE}
