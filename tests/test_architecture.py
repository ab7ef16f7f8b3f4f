"""The import graph points one way: the CLI wires the TUI and the bridge, both sit on the engine.

Two checks. Every ``import`` in every file of a package (also the ones inside functions, which
load lazily and so never show in a plain import) is read with ``ast`` and checked against what the
package may not reach. Then each package's entry modules are imported in a fresh interpreter and
``sys.modules`` is checked, which also catches an import made by a library on our behalf.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = ("training", "bench", "tests")
#: The installed packages and the folders that hold them (pyproject.toml's package-dir).
FOLDERS = {"engine": "engine", "tui": "tui", "bridge": "bridge", "cli": "soundalike"}

# part -> parts it must never import. "cli" is everything of soundalike.* outside engine, tui and bridge.
FORBIDDEN = {
    "engine": ("tui", "bridge", "cli", *NOT_SHIPPED),
    "bridge": ("tui", "cli", *NOT_SHIPPED),
    "tui": ("bridge", "cli", *NOT_SHIPPED),
    "training": ("tui", "bridge", "cli", "bench", "tests"),
}
# ...except these: the TUI shows what the bridge reports, so it may read the bridge's event types.
ALLOWED_ACROSS = {"tui": ("soundalike.bridge.events",)}
ENTRY_MODULES = {
    "engine": ("soundalike.engine.live.service", "soundalike.engine.library.facade", "soundalike.engine.config",
               "soundalike.engine.events", "soundalike.engine.errors"),
    "bridge": ("soundalike.bridge", "soundalike.bridge.bridge", "soundalike.bridge.client",
               "soundalike.bridge.handlers", "soundalike.bridge.events"),
    "tui": ("soundalike.tui.app",),
}


def part_of(module: str) -> str | None:
    """Which part of the house a module belongs to; None for the package ``soundalike`` itself
    (every part loads its ``__init__``) and for third-party modules."""
    top, _, rest = module.partition(".")
    if top in NOT_SHIPPED:
        return top
    if top != "soundalike" or not rest:
        return None
    second = rest.split(".")[0]
    return second if second in ("engine", "tui", "bridge") else "cli"


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import statement, and for ``importlib.import_module("x")``/``__import__("x")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _call_name(node.func) in ("import_module", "__import__") \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


def _call_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def violations(package: str, source: str, where: str) -> list[str]:
    return [f"{where}:{line} imports {module}" for line, module in imported_modules(source)
            if forbidden(package, module)]


def forbidden(package: str, module: str) -> bool:
    """``from soundalike.bridge.events import X`` reads as ``soundalike.bridge.events`` and ``soundalike.bridge.events.X``; loading it
    also loads the package ``bridge``: all three pass where ``soundalike.bridge.events`` is allowed."""
    allowed = ALLOWED_ACROSS.get(package, ())
    if any(module == name or module.startswith(name + ".") or name.startswith(module + ".") for name in allowed):
        return False
    return part_of(module) in FORBIDDEN[package]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_file_of_a_package_imports_what_it_must_not(package):
    files = sorted((ROOT / FOLDERS.get(package, package)).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    bad = [v for path in files for v in violations(package, path.read_text(encoding="utf-8"),
                                                    str(path.relative_to(ROOT)))]
    assert not bad, "upward or sideways imports:\n" + "\n".join(bad)


@pytest.mark.parametrize("source, package", [
    ("from soundalike import __version__\n", "bridge"),
    ("def f():\n    import soundalike.tui.app\n", "engine"),
    ("import importlib\nimportlib.import_module('soundalike.bridge.bridge')\n", "engine"),
    ("from soundalike.bridge import start_bridge\n", "tui"),
    ("from soundalike.commands import library\n", "engine"),
    ("import soundalike.cli\n", "bridge"),
    ("from tests.conftest import make_wav\n", "engine"),
])
def test_the_checker_catches_a_forbidden_import(source, package):
    assert violations(package, source, "example.py")


@pytest.mark.parametrize("source, package", [
    ("from soundalike.engine.library.facade import Library\n", "bridge"),
    ("from soundalike.bridge.events import BridgeActivity, BridgeState\n", "tui"),
    ("import numpy\nfrom soundalike.engine import errors\n", "tui"),
    ("import soundalike\n", "engine"),
])
def test_the_checker_lets_allowed_imports_through(source, package):
    assert not violations(package, source, "example.py")


@pytest.mark.parametrize("package", sorted(ENTRY_MODULES))
def test_importing_a_package_loads_nothing_it_must_not(package):
    script = ("import importlib, json, sys\n"
              f"for name in {ENTRY_MODULES[package]!r}: importlib.import_module(name)\n"
              "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert package in {part_of(name) for name in loaded}  # the check ran on something real
    bad = [name for name in loaded if forbidden(package, name)]
    assert not bad, f"importing {package} loaded {bad}"


# --- the catalog is the engine's own (issue 14) ------------------------------------------------
# Outside the engine everything goes through the library: ``library.browse`` (soundalike.engine.library.browse)
# for reads, Library methods for writes. So no module of these packages imports a catalog-level
# module or touches an attribute named ``catalog``.
OUTSIDE_THE_ENGINE = ("tui", "bridge", "cli")
#: The store modules that read or write the catalog (the index files and the lock are not the catalog).
CATALOG_LEVEL = tuple(f"soundalike.engine.store.{name}"
                      for name in ("catalog", "schema", "writes", "text", "repair", "browse", "user_lists"))


def is_catalog_level(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in CATALOG_LEVEL)


def catalog_reaches(source: str, where: str) -> list[str]:
    found = [f"{where}:{line} imports {module}" for line, module in imported_modules(source)
             if is_catalog_level(module)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "catalog":
            found.append(f"{where}:{node.lineno} reads .catalog")
        elif isinstance(node, ast.Call) and _call_name(node.func) in ("getattr", "setattr", "hasattr") \
                and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "catalog":
            found.append(f"{where}:{node.lineno} {_call_name(node.func)}(..., 'catalog')")
    return found


@pytest.mark.parametrize("package", OUTSIDE_THE_ENGINE)
def test_nothing_outside_the_engine_touches_the_catalog(package):
    files = sorted((ROOT / FOLDERS.get(package, package)).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    bad = [v for path in files for v in catalog_reaches(path.read_text(encoding="utf-8"),
                                                        str(path.relative_to(ROOT)))]
    assert not bad, "use library.browse or a Library method instead:\n" + "\n".join(bad)


@pytest.mark.parametrize("source", [
    "counts = library.catalog.status_counts()\n",
    "def f(app):\n    return app.library.catalog\n",
    "rows = getattr(library, 'catalog')\n",
    "from soundalike.engine.store import browse\n",
    "from soundalike.engine.store.catalog import SampleRow\n",
    "from soundalike.engine.store.text import readable\n",
    "import soundalike.engine.store.writes as cat\n",
    "from soundalike.engine.store import user_lists\n",
    "from soundalike.engine.store.browse import BrowseQuery\n",
])
def test_the_catalog_check_catches_a_reach(source):
    assert catalog_reaches(source, "example.py")


@pytest.mark.parametrize("source", [
    "counts = library.browse.status_counts()\n",
    "from soundalike.engine.library.browse import BrowseQuery, Filters, SampleRow, readable\n",
    "from soundalike.engine.library.salvage import catalog_problems\n",
    "catalog = data_dir / 'catalog.sqlite'\n",  # a local name, not the library's attribute
])
def test_the_catalog_check_lets_the_library_api_through(source):
    assert not catalog_reaches(source, "example.py")


def test_every_package_folder_is_installed():
    """pyproject.toml lists packages by hand (package-dir maps folders to soundalike.*): a new folder
    missing from the list would work in the editable checkout and be absent from a wheel."""
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(project["packages"])
    folders = {folder: namespace for namespace, folder in project["package-dir"].items()}
    found = set()
    for folder, namespace in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([namespace, *rel.parts]))
    assert found == listed, f"missing from pyproject.toml: {sorted(found - listed)}; stale: {sorted(listed - found)}"


# --- no import cycles, lazy imports included --------------------------------------------------
# An import inside a function still runs, later: a cycle through one is a cycle. Imports under
# ``if TYPE_CHECKING:`` never run and are left out.
def _runtime_imports(source: str, module: str) -> set[str]:
    """Modules ``module``'s source imports when it runs (at load or inside a function), relative
    imports resolved; ``from a import b`` reads as ``a`` and ``a.b``."""
    tree = ast.parse(source)
    skipped = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If) and _is_type_checking(branch.test)
               for stmt in branch.body for node in ast.walk(stmt)}
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[:len(package.split(".")) - node.level + 1], *filter(None, [base])])
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> the project modules it imports at run time (``sources``: module name -> source).

    ``from package import submodule`` is an edge to the submodule only: the package's
    ``__init__`` runs first, as it does for every module below it, but what it imports lazily
    (a module ``__getattr__``) is not loaded by it."""
    graph = {}
    for module, source in sources.items():
        names = {name for name in _runtime_imports(source, module) if name in sources and name != module}
        graph[module] = {name for name in names if not any(other.startswith(name + ".") for other in names)
                         or _names_more_than_submodules(source, name, sources)}
    return graph


def _names_more_than_submodules(source: str, package: str, sources: dict[str, str]) -> bool:
    """True when ``source`` takes something from ``package`` that is not one of its submodules."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            if any(f"{package}.{alias.name}" not in sources for alias in node.names):
                return True
        elif isinstance(node, ast.Import) and any(alias.name == package for alias in node.names):
            return True
    return False


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: one list of modules per strongly connected part of more than one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (the graph is deep)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        cycles.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def project_sources() -> dict[str, str]:
    """soundalike.* module name -> source, for every shipped file."""
    import tomllib
    folders = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    sources = {}
    for namespace, folder in folders.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if namespace == "soundalike" and parts and parts[0] in ("engine", "tui", "bridge"):
                continue  # a symlink tree or a stray copy: the package-dir entry for it wins
            name = ".".join([namespace, *parts])
            sources[name.removesuffix(".__init__")] = path.read_text(encoding="utf-8")
    return sources


def test_no_module_takes_part_in_an_import_cycle():
    cycles = import_cycles(import_graph(project_sources()))
    assert not cycles, "import cycles (lazy imports included):\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("sources", [
    {"p.a": "from p import b\n", "p.b": "def f():\n    from p.a import x\n"},
    {"p.a": "import p.b\n", "p.b": "from . import c\n", "p.c": "from .a import y\n"},
])
def test_the_cycle_check_catches_a_cycle(sources):
    assert import_cycles(import_graph(sources))


def test_a_package_whose_init_loads_lazily_is_no_cycle_for_its_submodules():
    sources = {"p": "def __getattr__(name):\n    from p import a\n    return a\n",
               "p.a": "from p import b\n", "p.b": "X = 1\n"}
    assert not import_cycles(import_graph(sources))
    sources["p.b"] = "from p import Thing\n"  # takes a name the package's __init__ makes: that is a cycle
    assert import_cycles(import_graph(sources))


def test_the_cycle_check_ignores_type_checking_imports():
    sources = {"p.a": "from p import b\n",
               "p.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.a import x\n"}
    assert not import_cycles(import_graph(sources))


# --- one door into the library ------------------------------------------------------------------
# A ``Library`` is reached through its methods and ``library.browse``; its writer and scanner are
# its own (the live engine gets them through its constructors, from the parts it opens).
PAST_THE_DOOR = ("writer", "scanner", "_writer", "_scanner", "_queries", "_indexes", "_backends")


def library_reaches(source: str, where: str) -> list[str]:
    def is_library(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id == "library") or \
            (isinstance(node, ast.Attribute) and node.attr == "library")
    return [f"{where}:{node.lineno} reads library.{node.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in PAST_THE_DOOR and is_library(node.value)]


def test_nothing_reaches_past_the_library_door():
    folders = [ROOT / "engine", ROOT / "tui", ROOT / "bridge", ROOT / "soundalike"]
    files = sorted(path for folder in folders for path in folder.rglob("*.py")
                   if (ROOT / "engine" / "library") not in path.parents)
    bad = [v for path in files for v in library_reaches(path.read_text(encoding="utf-8"),
                                                        str(path.relative_to(ROOT)))]
    assert not bad, "use a Library method, library.browse, or take the part in a constructor:\n" + "\n".join(bad)


@pytest.mark.parametrize("source", [
    "library.writer.move(a, b)\n",
    "def f(self):\n    return self.library.scanner.plan(p, r, False)\n",
    "hits = app.library._queries.similar(x)\n",
])
def test_the_door_check_catches_a_reach(source):
    assert library_reaches(source, "example.py")


def test_the_door_check_lets_methods_and_browse_through():
    assert not library_reaches("library.browse.sample(1)\nself.writer.move(a, b)\nlibrary.scan()\n", "example.py")
