"""The integration's layering, read from its own imports (docs/architecture.md draws it).

Every import counts: module level, under ``TYPE_CHECKING`` and inside functions. An
import may only run down the layers below; within one layer only inside one package
(a vendor's modules, the contract's, the client library's), and never in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "custom_components.evse_bridge"
ROOT = Path(__file__).parent.parent / "custom_components" / "evse_bridge"

#: Bottom first. A module's layer is that of the longest prefix listed here.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("const", "compat", "api", "budget.const", "budget.allocator"),
    ("contract",),
    # sessions: its pure core, history and tag pseudonyms; the entity limit's choice
    ("sessions", "registry", "entity_limit"),
    ("writes", "vendors", "sessions.tracker"),
    ("sessions.action",),
    ("coordinator",),
    ("budget",),  # the site power budget: its controller, entities and form
    ("entity", "targets", "diagnostics", "alerts"),
    (
        "sensor",
        "binary_sensor",
        "switch",
        "number",
        "button",
        "event",
        "select",
        "services",
        "budget.action",  # the boost action checks its caller like the vendors' actions
        "config_flow",
    ),
    ("",),  # the integration's __init__
)
#: Modules that must not import Home Assistant (or anything that does).
WITHOUT_HOME_ASSISTANT = (
    "api",
    "sessions.core",
    "sessions.history",
    "sessions.tags",
    "contract.records",
    "contract.clock",
    "budget.allocator",
)


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) of every import in the module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if name == "":
        package = []
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = alias.name
                if target.startswith(PACKAGE):
                    found.append((target.removeprefix(PACKAGE).lstrip("."), "", node.lineno))
                else:
                    found.append(("<external>" + target, "", node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = node.module or ""
                if not module.startswith(PACKAGE):
                    found.append(("<external>" + module, "", node.lineno))
                    continue
                base = module.removeprefix(PACKAGE).lstrip(".")
            else:
                up = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*up, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}" if base else alias.name
                if submodule in MODULES:
                    found.append((submodule, "", node.lineno))
                else:
                    found.append((base, alias.name, node.lineno))
    return found


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".") or prefix == "") and len(
                prefix
            ) > best_len:
                best, best_len = index, len(prefix)
    return best


def _group(module: str) -> str:
    """The package a module belongs to, for imports within one layer."""
    parts = module.split(".")
    if parts[0] == "vendors" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


EDGES = {
    name: [(target, imported, line) for target, imported, line in _imports(name, path)]
    for name, path in MODULES.items()
}


def test_every_module_has_a_layer() -> None:
    """A new top-level module must be placed in ``LAYERS`` (and the docs)."""
    unplaced = [name for name in MODULES if name and _layer(name) == len(LAYERS) - 1]
    assert unplaced == []


def test_imports_run_downward() -> None:
    """No import runs up, or sideways into another package of the same layer."""
    wrong = []
    for name, edges in EDGES.items():
        for target, _, line in edges:
            if target.startswith("<external>") or target == name:
                continue
            if target not in MODULES:
                wrong.append(f"{name}:{line} imports unknown {target}")
                continue
            low, high = _layer(target), _layer(name)
            if name == "vendors" and target.startswith("vendors."):
                continue  # the registry of vendors lists every vendor package
            if low > high or (low == high and _group(target) != _group(name)):
                wrong.append(f"{name}:{line} -> {target}")
    assert wrong == []


def test_no_import_cycle() -> None:
    """The module graph is acyclic (function-level and TYPE_CHECKING imports included)."""
    graph = {
        name: {target for target, _, _ in edges if target in MODULES and target != name}
        for name, edges in EDGES.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                cycles.append(stack[stack.index(child) :])
            elif child not in state:
                visit(child, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_no_private_name_from_another_module() -> None:
    """``_private`` names stay in their module."""
    wrong = [
        f"{name}:{line} takes {imported} from {target}"
        for name, edges in EDGES.items()
        for target, imported, line in edges
        if imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert wrong == []


@pytest.mark.parametrize("prefix", WITHOUT_HOME_ASSISTANT)
def test_pure_modules_import_no_home_assistant(prefix: str) -> None:
    """The client library and the session core run without Home Assistant."""
    pure = [name for name in MODULES if name == prefix or name.startswith(prefix + ".")]
    assert pure
    wrong = []
    for name in pure:
        for target, _, line in EDGES[name]:
            if target.startswith(("<external>homeassistant", "<external>voluptuous")):
                wrong.append(f"{name}:{line} imports {target.removeprefix('<external>')}")
            elif target in MODULES and not any(
                target == allowed or target.startswith(allowed + ".")
                for allowed in (*WITHOUT_HOME_ASSISTANT, "const")
            ):
                wrong.append(f"{name}:{line} imports {target}, which is not pure")
    assert wrong == []


def test_a_vendor_never_imports_another_vendor_or_the_glue() -> None:
    """A vendor package stands on the contract and the client library alone."""
    allowed = ("api", "const", "compat", "contract")
    wrong = []
    for name, edges in EDGES.items():
        if not name.startswith("vendors."):
            continue
        own = _group(name)
        for target, _, line in edges:
            if target.startswith(("<external>", own + ".")) or target == own:
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                wrong.append(f"{name}:{line} -> {target}")
    assert wrong == []
