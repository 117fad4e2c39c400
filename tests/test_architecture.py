"""Module structure: tcramp's own imports sit at the top of files and never form a cycle; functions fit on a screen."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tcramp"


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, package: bool) -> list[str]:
    """The tcramp modules an import statement loads (`from . import x` names module x)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "tcramp"]
    if node.level and module:
        base = module.split(".")[: len(module.split(".")) - node.level + (1 if package else 0)]
        name = ".".join(base + ([node.module] if node.module else []))
    else:
        name = node.module or ""
    if name.split(".")[0] != "tcramp":
        return []
    modules = {_module(p) for p in SRC.rglob("*.py")}
    subs = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in modules]
    return subs or [name]


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """(tcramp modules imported anywhere in the file, tcramp imports inside functions or classes)."""
    inside = path.is_relative_to(SRC)
    module, package = (_module(path), path.name == "__init__.py") if inside else ("", False)
    tree = ast.parse(path.read_text())
    every = {
        t
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for t in _targets(node, module, package)
    }
    nested = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for outer in ast.walk(tree)
        if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for node in ast.walk(outer)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _targets(node, module, package)
    ]
    return every, nested


def test_tcramp_modules_are_imported_at_the_top_of_files():
    files = [
        *SRC.rglob("*.py"),
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
        *(ROOT / "scripts").glob("*.py"),
    ]
    nested = [where for f in files for where in _imports(f)[1]]
    assert nested == []


def test_no_import_cycle_between_tcramp_modules():
    graph = {_module(p): _imports(p)[0] for p in SRC.rglob("*.py")}
    # a package's own `__init__` imports its submodules; importing a submodule runs it first
    for name in list(graph):
        parent = name.rpartition(".")[0]
        if parent:
            graph[name] = graph[name] | {parent} - {name}
    graph = {
        name: {t for t in deps if t in graph and t != name and not t.startswith(f"{name}.")}
        for name, deps in graph.items()
    }
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycle.extend(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
                return True
            if dep not in state and visit(dep, [*path, dep]):
                return True
        state[node] = 2
        return False

    for name in sorted(graph):
        if name not in state and visit(name, [name]):
            break
    assert cycle == [], " -> ".join(cycle)


# Longer than a screen, left to the files' current owners (issues 21 and 23) to split.
LONG: set[str] = set()


def test_functions_fit_on_a_screen():
    """No function in src/ over 60 lines (from `def` to its last line, docstring included) but `LONG`."""
    found = {
        f"{p.relative_to(SRC).as_posix()}:{n.name}"
        for p in SRC.rglob("*.py")
        for n in ast.walk(ast.parse(p.read_text()))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60
    }
    assert found <= LONG, sorted(found - LONG)
