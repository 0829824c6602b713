"""The controller's modules import downwards only: no cycles, no upward
imports, and no import tucked inside a function to hide one.

Layers, lowest first: the foundations (config, errors, extensions, models,
observability, utils.wol), the services, what presents them (schemas,
security, spa), their callers (routes, jobs, cli, local_agent), and the
entry points (the app factory, app.py, wsgi.py, utils.scheduler)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "controller"

LAYERS = [
    ("controller.config", "controller.errors", "controller.extensions", "controller.models",
     "controller.observability", "controller.utils.wol", "controller.utils"),
    ("controller.services",),
    ("controller.schemas", "controller.security", "controller.spa"),
    ("controller.routes", "controller.jobs", "controller.cli", "controller.local_agent"),
    ("controller", "controller.app", "controller.wsgi", "controller.serving", "controller.utils.scheduler"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def layer(module: str) -> int:
    """The layer of the longest matching prefix."""
    best, rank = -1, None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} is in no layer"
    return rank


def imported_modules(node: ast.AST) -> list[str]:
    """The controller modules an import statement loads (a name imported
    from a package counts as its submodule when there is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "controller"]
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "controller":
        found = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
        return found or [node.module]
    return []


def top_level_imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    return {target for stmt in tree.body for target in imported_modules(stmt)}


GRAPH = {module: top_level_imports(module) for module in MODULES}


def test_no_import_cycles():
    visiting, done = set(), set()

    def visit(module: str, path: list[str]) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join(path + [module])
        visiting.add(module)
        for target in GRAPH.get(module, ()):
            visit(target, path + [module])
        visiting.discard(module)
        done.add(module)

    for module in GRAPH:
        visit(module, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_downwards(module):
    upward = [t for t in GRAPH[module] if t != "controller" and layer(t) > layer(module)]
    assert not upward, f"{module} (layer {layer(module)}) imports {upward} from above"


# The one allowed deferred import, by module and function: OR-Tools (with
# pandas, ~64 MB per worker) loads only when an exact repacking search runs.
DEFERRED_IMPORTS = {("controller.services.repack", "solver_module")}


def is_dynamic_import(node: ast.AST) -> bool:
    """`importlib.import_module(...)` or `__import__(...)`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return ((isinstance(func, ast.Attribute) and func.attr == "import_module")
            or (isinstance(func, ast.Name) and func.id in {"__import__", "import_module"}))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_inside_a_function(module):
    tree = ast.parse(MODULES[module].read_text())
    nested = [node.lineno for func in ast.walk(tree) if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
              if (module, func.name) not in DEFERRED_IMPORTS
              for node in ast.walk(func) if isinstance(node, ast.Import | ast.ImportFrom) or is_dynamic_import(node)]
    assert not nested, f"{module} imports inside a function at lines {nested}"


def test_the_controller_loads_the_solver_only_when_an_exact_search_runs():
    """Importing the app and its services does not load OR-Tools (nor the
    pandas it pulls in); calling the solver accessor does."""
    code = ("import sys, controller, controller.services.placement, controller.services.repack as r; "
            "assert 'ortools' not in sys.modules, 'ortools loaded at import'; "
            "r.solver_module(); assert 'ortools.sat.python.cp_model' in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]
