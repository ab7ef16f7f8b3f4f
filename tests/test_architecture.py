"""The import graph points one way: the CLI wires the TUI and the bridge, both sit on the engine.

Two checks. Every ``import`` in every file of a package (also the ones inside functions, which
load lazily and so never show in a plain import) is read with ``ast`` and checked against what the
package may not reach. Then each package's entry modules are imported in a fresh interpreter and
``sys.modules`` is checked, which also catches an import made by a library on our behalf.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = ("training", "bench", "tests")
#: The parts and the folders that hold them; soundalike/engine, soundalike/tui and soundalike/bridge
#: are links to the top-level folders, so the package soundalike.* has them inside it.
FOLDERS = {"engine": "engine", "tui": "tui", "bridge": "bridge", "cli": "soundalike"}
LINKED = ("engine", "tui", "bridge")

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
    "engine": (
        "soundalike.engine.live.service",
        "soundalike.engine.library.facade",
        "soundalike.engine.config",
        "soundalike.engine.events",
        "soundalike.engine.errors",
    ),
    "bridge": (
        "soundalike.bridge",
        "soundalike.bridge.bridge",
        "soundalike.bridge.osc.client",
        "soundalike.bridge.osc.handlers",
        "soundalike.bridge.midi.input",
        "soundalike.bridge.events",
    ),
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
        elif (
            isinstance(node, ast.Call)
            and _call_name(node.func) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _call_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def violations(package: str, source: str, where: str) -> list[str]:
    return [
        f"{where}:{line} imports {module}" for line, module in imported_modules(source) if forbidden(package, module)
    ]


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
    bad = [
        v for path in files for v in violations(package, path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not bad, "upward or sideways imports:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source, package",
    [
        ("from soundalike import __version__\n", "bridge"),
        ("def f():\n    import soundalike.tui.app\n", "engine"),
        ("import importlib\nimportlib.import_module('soundalike.bridge.bridge')\n", "engine"),
        ("from soundalike.bridge import start_bridge\n", "tui"),
        ("from soundalike.commands import library\n", "engine"),
        ("import soundalike.cli\n", "bridge"),
        ("from tests.conftest import make_wav\n", "engine"),
    ],
)
def test_the_checker_catches_a_forbidden_import(source, package):
    assert violations(package, source, "example.py")


@pytest.mark.parametrize(
    "source, package",
    [
        ("from soundalike.engine.library.facade import Library\n", "bridge"),
        ("from soundalike.bridge.events import BridgeActivity, BridgeState\n", "tui"),
        ("import numpy\nfrom soundalike.engine import errors\n", "tui"),
        ("import soundalike\n", "engine"),
    ],
)
def test_the_checker_lets_allowed_imports_through(source, package):
    assert not violations(package, source, "example.py")


@pytest.mark.parametrize("package", sorted(ENTRY_MODULES))
def test_importing_a_package_loads_nothing_it_must_not(package):
    script = (
        "import importlib, json, sys\n"
        f"for name in {ENTRY_MODULES[package]!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert package in {part_of(name) for name in loaded}  # the check ran on something real
    bad = [name for name in loaded if forbidden(package, name)]
    assert not bad, f"importing {package} loaded {bad}"


# --- the bridge: OSC and MIDI side by side ----------------------------------------------------------
#: Each transport's package; neither imports the other: what both use (the session, the actions,
#: the events) sits beside them in bridge/, and bridge.py wires them together.
TRANSPORTS = {"osc": "soundalike.bridge.osc", "midi": "soundalike.bridge.midi"}
#: The pure parts of OSC: packets to requests and replies to bytes, testable without a network.
PURE_OSC = ("protocol", "decode", "wire")


def test_osc_and_midi_do_not_import_each_other():
    bad = []
    for name, package in TRANSPORTS.items():
        others = [other for other in TRANSPORTS.values() if other != package]
        for path in sorted((ROOT / "bridge" / name).rglob("*.py")):
            bad += [
                f"{path.relative_to(ROOT)}:{line} imports {module}"
                for line, module in imported_modules(path.read_text(encoding="utf-8"))
                if any(module == other or module.startswith(other + ".") for other in others)
            ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", PURE_OSC)
def test_the_osc_protocol_opens_no_sockets_and_starts_no_threads(module):
    source = (ROOT / "bridge" / "osc" / f"{module}.py").read_text(encoding="utf-8")
    found = {name.split(".")[0] for _, name in imported_modules(source)}
    assert not found & {"socket", "select", "selectors", "threading"}, f"bridge/osc/{module}.py imports {found}"


# --- the catalog is the engine's own ------------------------------------------------
# Outside the engine everything goes through the library: ``library.browse`` (soundalike.engine.library.browse)
# for reads, Library methods for writes. So no module of these packages imports a catalog-level
# module or touches an attribute named ``catalog``.
OUTSIDE_THE_ENGINE = ("tui", "bridge", "cli")
#: The store modules that read or write the catalog (the index files, the lock and the store's errors,
#: which the entry points catch, are not the catalog).
CATALOG_LEVEL = tuple(
    f"soundalike.engine.store.{name}"
    for name in (
        "catalog",
        "schema",
        "writes",
        "text",
        "salvage",
        "reads",
        "user_lists",
        "connection",
        "musical",
        "sounds",
        "roots",
        "sqlite",
        "transaction",
        "interface",
        "rows",
        "factory",
        "filters",
        "where",
        "dialect",
        "paths",
        "shared_catalog",
        "shared_store",
        "shared_transaction",
    )
)


def is_catalog_level(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in CATALOG_LEVEL)


def catalog_reaches(source: str, where: str) -> list[str]:
    """Imports of catalog-level modules or of sqlite3 (the store raises its own errors), and ``.catalog``."""
    found = [
        f"{where}:{line} imports {module}"
        for line, module in imported_modules(source)
        if is_catalog_level(module) or module == "sqlite3" or module.startswith("sqlite3.")
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "catalog":
            found.append(f"{where}:{node.lineno} reads .catalog")
        elif (
            isinstance(node, ast.Call)
            and _call_name(node.func) in ("getattr", "setattr", "hasattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "catalog"
        ):
            found.append(f"{where}:{node.lineno} {_call_name(node.func)}(..., 'catalog')")
    return found


@pytest.mark.parametrize("package", OUTSIDE_THE_ENGINE)
def test_nothing_outside_the_engine_touches_the_catalog(package):
    files = sorted((ROOT / FOLDERS.get(package, package)).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    bad = [v for path in files for v in catalog_reaches(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, "use library.browse or a Library method instead:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "counts = library.catalog.status_counts()\n",
        "def f(app):\n    return app.library.catalog\n",
        "rows = getattr(library, 'catalog')\n",
        "from soundalike.engine.store import reads\n",
        "from soundalike.engine.store.catalog import SampleRow\n",
        "from soundalike.engine.store.text import readable\n",
        "import soundalike.engine.store.writes as cat\n",
        "from soundalike.engine.store import user_lists\n",
        "from soundalike.engine.store.filters import Filters\n",
        "import sqlite3\n",
        "from sqlite3 import Error\n",
    ],
)
def test_the_catalog_check_catches_a_reach(source):
    assert catalog_reaches(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        "counts = library.browse.status_counts()\n",
        "from soundalike.engine.library.browse import Filters, SampleRow, readable\n",
        "from soundalike.engine.library.repair import catalog_problems\n",
        "from soundalike.engine.store.errors import StoreError\n",
        "catalog = data_dir / 'catalog.sqlite'\n",  # a local name, not the library's attribute
    ],
)
def test_the_catalog_check_lets_the_library_api_through(source):
    assert not catalog_reaches(source, "example.py")


def test_the_package_reaches_the_top_level_folders_through_links():
    for folder in LINKED:
        link = ROOT / "soundalike" / folder
        assert link.is_symlink() and link.readlink() == Path("..") / folder, (
            f"soundalike/{folder} must link to ../{folder}"
        )
    walked = {path.relative_to(ROOT / "soundalike").parts[0] for path in (ROOT / "soundalike").rglob("*.py")}
    assert not walked & set(LINKED), "a walk of soundalike/ must not go through the links: each file is read once"


def test_every_package_folder_is_installed():
    """pyproject.toml lists packages by hand: a new folder missing from the list would work in the
    editable checkout and be absent from a wheel."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(project["packages"])
    assert "package-dir" not in project, "the links in soundalike/ give the installed shape; no mapping"
    found = set()
    for init in (ROOT / "soundalike").rglob("__init__.py"):
        found.add(".".join(init.parent.relative_to(ROOT).parts))
    for folder in LINKED:
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add(".".join(["soundalike", *init.parent.relative_to(ROOT).parts]))
    assert found == listed, f"missing from pyproject.toml: {sorted(found - listed)}; stale: {sorted(listed - found)}"


# --- the app is no switchboard -----------------------------------------------------------------
# Each screen binds its own keys and runs their actions (tui/keys.py is the one keymap they are
# built from); the App binds only the app-wide ones. So nothing in tui/ asks which screen is in
# front to route a key, and the App is Textual's App alone, not cut into mixins.
def screen_routing(source: str, where: str) -> list[str]:
    """``isinstance(<anything>.screen, ...)``: a key routed on the screen in front."""
    return [
        f"{where}:{node.lineno} routes on the screen in front"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _call_name(node.func) == "isinstance"
        and node.args
        and isinstance(node.args[0], ast.Attribute)
        and node.args[0].attr == "screen"
    ]


def app_mixins(source: str, where: str) -> list[str]:
    """Bases beside Textual's ``App`` of a class that derives from it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            if any(base in ("App", "textual.app.App") for base in bases) and len(bases) > 1:
                found.append(f"{where}:{node.lineno} {node.name} mixes {', '.join(bases)}")
    return found


def test_no_screen_routing_and_no_app_mixins_in_the_tui():
    files = sorted((ROOT / "tui").rglob("*.py"))
    assert ROOT / "tui" / "app.py" in files
    bad = [
        v
        for path in files
        for check in (screen_routing, app_mixins)
        for v in check(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not bad, "bind the key on the screen that runs it (tui/keys.py's bindings):\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "def action_sort(self):\n    if isinstance(self.screen, ResultsScreen):\n        self.screen.cycle_sort()\n",
        "target = app.screen if isinstance(app.screen, (A, B)) else None\n",
        "class SoundalikeApp(KeepingActions, ExploreActions, App):\n    pass\n",
        "class Other(Helpers, textual.app.App):\n    pass\n",
    ],
)
def test_the_switchboard_check_catches_routing_and_mixins(source):
    assert screen_routing(source, "example.py") + app_mixins(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        "class SoundalikeApp(App):\n    pass\n",
        "class BrowserScreen(ListingScreen):\n    pass\n",
        "if isinstance(event, events.Key) and self.player.playing:\n    pass\n",
    ],
)
def test_the_switchboard_check_lets_screens_own_their_keys(source):
    assert not screen_routing(source, "example.py") + app_mixins(source, "example.py")


# --- SQL is written only in engine/store/ ---------------------------------------------------
SQL_WORDS = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+|"
    r"WITH\s+RECURSIVE)\b",
    re.DOTALL,
)
SQL_CALLS = ("execute", "executemany", "executescript")
STORE = ROOT / "engine" / "store"


def _texts(node: ast.AST) -> str | None:
    """A string constant's text, or an f-string's literal parts joined (``{...}`` as a space)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " " for v in node.values
        )
    return None


def sql_written(source: str, where: str) -> list[str]:
    """Each string that reads as SQL and each DB-API ``execute`` call in ``source``."""
    found: dict[tuple[int, str], str] = {}  # one report per line and kind (an f-string holds its parts)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.setdefault((node.lineno, "call"), f"{where}:{node.lineno} calls .{node.func.attr}()")
        elif isinstance(node, ast.BinOp | ast.JoinedStr | ast.Constant):
            text = _joined(node)
            if text is not None and SQL_WORDS.search(text):
                found.setdefault((node.lineno, "sql"), f"{where}:{node.lineno} writes SQL: {text.strip()[:60]!r}")
    return list(found.values())


def _joined(node: ast.AST) -> str | None:
    """Adjacent literals are one Constant already; ``"a" + "b"`` is joined here too."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _joined(node.left), _joined(node.right)
        return None if left is None and right is None else (left or " ") + (right or " ")
    return _texts(node)


def shipped_outside_the_store() -> list[Path]:
    files = [p for folder in FOLDERS.values() for p in sorted((ROOT / folder).rglob("*.py"))]
    return [p for p in files if STORE not in p.parents]


def test_no_sql_is_written_outside_the_store():
    files = shipped_outside_the_store()
    assert len(files) > 100, "the walk found too few files"
    bad = [v for path in files for v in sql_written(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, "SQL belongs in engine/store/ (add a store function and call it):\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "rows = catalog.query(\"SELECT id FROM samples WHERE status = 'ok'\")\n",
        'tx.executemany("DELETE FROM samples WHERE id = ?", pairs)\n',
        'sql = f"INSERT OR REPLACE INTO musical({columns}) VALUES ({marks})"\n',
        'sql = ("SELECT t.sample_id, t.tag FROM tags t "\n       "WHERE t.score > 0")\n',
        'clause = f"id IN (SELECT sample_id FROM musical WHERE {where})"\n',
        'sql = "UPDATE samples " + "SET path = ?"\n',
        "conn.execute(statement)\n",
    ],
)
def test_the_sql_check_catches_sql(source):
    assert sql_written(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        'log.info("select a sample first")\n',
        'message = "Select the folder to update from the list"\n',
        "rows = library.browse.list_samples(filters)\n",
        'hint = "press Delete to remove it from the collection"\n',
    ],
)
def test_the_sql_check_lets_ordinary_text_through(source):
    assert not sql_written(source, "example.py")


# --- the rest of the engine knows the store by its protocol ------------------------------------
#: What the engine outside engine/store/ may import from it: the protocol, its values, how to open
#: one, and the parts that are no database (FAISS indexes, the lock, text for display, errors).
STORE_OPEN = ("interface", "rows", "factory", "errors", "text", "index", "approximate", "lock", "salvage", "filters")
#: Value types still defined beside the SQLite code that builds their SQL.
STORE_VALUES = {"catalog": ("SampleRow", "Known", "STATUSES")}


def store_reaches(source: str, where: str) -> list[str]:
    """Imports of sqlite3 or of the SQLite store's modules (other than ``STORE_OPEN`` and ``STORE_VALUES``)."""
    found = []
    prefix = "soundalike.engine.store"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in pairs:
            if module == "sqlite3" or module.startswith("sqlite3."):
                found.append(f"{where}:{node.lineno} imports sqlite3")
                continue
            if module == prefix and name is not None:
                module, name = f"{prefix}.{name}", None
            if not module.startswith(prefix + "."):
                continue
            part = module[len(prefix) + 1 :].split(".")[0]
            if part in STORE_OPEN or (name is not None and name in STORE_VALUES.get(part, ())):
                continue
            found.append(f"{where}:{node.lineno} imports {module}{'.' + name if name else ''}")
    return found


def test_the_engine_uses_the_store_through_its_protocol():
    engine = ROOT / "engine"
    files = [p for p in sorted(engine.rglob("*.py")) if STORE not in p.parents]
    bad = [v for path in files for v in store_reaches(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, "use the Store protocol (engine/store/interface.py) instead:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "import sqlite3\n",
        "from soundalike.engine.store import writes as cat\n",
        "from soundalike.engine.store.catalog import Catalog\n",
        "from soundalike.engine.store.sqlite import SqliteStore\n",
        "from soundalike.engine.store.musical import musical_of\n",
        "from soundalike.engine.store.reads import list_browse\n",
    ],
)
def test_the_store_check_catches_a_reach(source):
    assert store_reaches(source, "example.py")


@pytest.mark.parametrize(
    "source",
    [
        "from soundalike.engine.store.interface import Store, Transaction\n",
        "from soundalike.engine.store.catalog import SampleRow\n",
        "from soundalike.engine.store.filters import Filters\n",
        "from soundalike.engine.store import lock\n",
    ],
)
def test_the_store_check_lets_the_protocol_through(source):
    assert not store_reaches(source, "example.py")


# --- one filter value ----------------------------------------------------------------------------
# Listings, counts and query results are all narrowed by one plain value (soundalike.engine.store.filters);
# the store translates it. So no code tells filter types apart, and no class builds its own WHERE clause.
def filter_switches(source: str, where: str) -> list[str]:
    """``isinstance`` tests against a filter or query type, and classes with a ``where`` method."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _call_name(node.func) == "isinstance" and len(node.args) > 1:
            names = {_call_name(n) for n in ast.walk(node.args[1]) if isinstance(n, (ast.Name, ast.Attribute))}
            if any(name.endswith(("Filters", "BrowseQuery")) for name in names):
                found.append(f"{where}:{node.lineno} switches on a filter type")
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(item, ast.FunctionDef) and item.name == "where" for item in node.body
        ):
            found.append(f"{where}:{node.lineno} {node.name} builds its own WHERE clause")
    return found


def test_one_filter_value_and_the_store_translates_it():
    files = [p for folder in FOLDERS.values() for p in sorted((ROOT / folder).rglob("*.py"))]
    bad = [v for path in files for v in filter_switches(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, (
        "use the one Filters value (engine/store/filters.py); SQL for it is engine/store/where.py:\n" + "\n".join(bad)
    )
    assert not sql_written((STORE / "filters.py").read_text(encoding="utf-8"), "engine/store/filters.py")


@pytest.mark.parametrize(
    "source",
    [
        "if isinstance(filters, BrowseQuery):\n    pass\n",
        "ok = isinstance(f, (browse.Filters, Other))\n",
        "class Query:\n    def where(self):\n        return ''\n",
    ],
)
def test_the_filter_check_catches_a_switch(source):
    assert filter_switches(source, "example.py")


# --- no import cycles, lazy imports included --------------------------------------------------
# An import inside a function still runs, later: a cycle through one is a cycle. Imports under
# ``if TYPE_CHECKING:`` never run and are left out.
def _runtime_imports(source: str, module: str) -> set[str]:
    """Modules ``module``'s source imports when it runs (at load or inside a function), relative
    imports resolved; ``from a import b`` reads as ``a`` and ``a.b``."""
    tree = ast.parse(source)
    skipped = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and _is_type_checking(branch.test)
        for stmt in branch.body
        for node in ast.walk(stmt)
    }
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
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])]
                )
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> the project modules it imports at run time (``sources``: module name -> source).

    ``from package import submodule`` is an edge to the submodule only: the package's
    ``__init__`` runs first, as it does for every module below it, but what it imports lazily
    (a module ``__getattr__``) is not loaded by it."""
    graph = {}
    for module, source in sources.items():
        names = {name for name in _runtime_imports(source, module) if name in sources and name != module}
        graph[module] = {
            name
            for name in names
            if not any(other.startswith(name + ".") for other in names)
            or _names_more_than_submodules(source, name, sources)
        }
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
    """soundalike.* module name -> source, for every shipped file (soundalike/'s links are not followed)."""
    folders = {
        "soundalike": "soundalike",
        "soundalike.engine": "engine",
        "soundalike.tui": "tui",
        "soundalike.bridge": "bridge",
    }
    sources = {}
    for namespace, folder in folders.items():
        for path in (ROOT / folder).rglob("*.py"):
            name = ".".join([namespace, *path.relative_to(ROOT / folder).with_suffix("").parts])
            sources[name.removesuffix(".__init__")] = path.read_text(encoding="utf-8")
    return sources


def test_no_module_takes_part_in_an_import_cycle():
    cycles = import_cycles(import_graph(project_sources()))
    assert not cycles, "import cycles (lazy imports included):\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "sources",
    [
        {"p.a": "from p import b\n", "p.b": "def f():\n    from p.a import x\n"},
        {"p.a": "import p.b\n", "p.b": "from . import c\n", "p.c": "from .a import y\n"},
    ],
)
def test_the_cycle_check_catches_a_cycle(sources):
    assert import_cycles(import_graph(sources))


def test_a_package_whose_init_loads_lazily_is_no_cycle_for_its_submodules():
    sources = {
        "p": "def __getattr__(name):\n    from p import a\n    return a\n",
        "p.a": "from p import b\n",
        "p.b": "X = 1\n",
    }
    assert not import_cycles(import_graph(sources))
    sources["p.b"] = "from p import Thing\n"  # takes a name the package's __init__ makes: that is a cycle
    assert import_cycles(import_graph(sources))


def test_the_cycle_check_ignores_type_checking_imports():
    sources = {
        "p.a": "from p import b\n",
        "p.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.a import x\n",
    }
    assert not import_cycles(import_graph(sources))


# --- one door into the library ------------------------------------------------------------------
# A ``Library`` is reached through its methods and ``library.browse``; its writer and scanner are
# its own (the live engine gets them through its constructors, from the parts it opens).
PAST_THE_DOOR = ("writer", "scanner", "_writer", "_scanner", "_queries", "_indexes", "_backends")


def library_reaches(source: str, where: str) -> list[str]:
    def is_library(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id == "library") or (
            isinstance(node, ast.Attribute) and node.attr == "library"
        )

    return [
        f"{where}:{node.lineno} reads library.{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in PAST_THE_DOOR and is_library(node.value)
    ]


def test_nothing_reaches_past_the_library_door():
    folders = [ROOT / "engine", ROOT / "tui", ROOT / "bridge", ROOT / "soundalike"]
    files = sorted(
        path for folder in folders for path in folder.rglob("*.py") if (ROOT / "engine" / "library") not in path.parents
    )
    bad = [v for path in files for v in library_reaches(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, "use a Library method, library.browse, or take the part in a constructor:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "source",
    [
        "library.writer.move(a, b)\n",
        "def f(self):\n    return self.library.scanner.plan(p, r, False)\n",
        "hits = app.library._queries.similar(x)\n",
    ],
)
def test_the_door_check_catches_a_reach(source):
    assert library_reaches(source, "example.py")


def test_the_door_check_lets_methods_and_browse_through():
    assert not library_reaches("library.browse.sample(1)\nself.writer.move(a, b)\nlibrary.scan()\n", "example.py")


# --- history lives in git log, not in comments ---------------------------------------------------
ISSUE_CITATION = re.compile(r"\b[Ii]ssues? ?#?\d+|\(#\d{1,4}\)")


def issue_citations(source: str, where: str) -> list[str]:
    """Comments and docstrings (any line of the file, in fact) that cite an issue number."""
    return [
        f"{where}:{n} cites an issue: {line.strip()[:70]}"
        for n, line in enumerate(source.splitlines(), 1)
        if ISSUE_CITATION.search(line)
    ]


def test_no_comment_cites_an_issue():
    folders = ("engine", "tui", "bridge", "soundalike", "tests", "bench", "training", "scripts")
    files = [path for folder in folders for path in sorted((ROOT / folder).rglob("*")) if path.suffix in (".py", ".sh")]
    assert ROOT / "engine" / "config.py" in files
    files.remove(Path(__file__).resolve())  # its own examples
    bad = [v for path in files for v in issue_citations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not bad, "say why in the comment; the history is in git log:\n" + "\n".join(bad)


@pytest.mark.parametrize("line", ["x = 1  # issue 16: tempo", '"""Issue 13: hostile files."""', "# see (#42)"])
def test_the_issue_check_catches_a_citation(line):
    assert issue_citations(line, "example.py")


def test_the_issue_check_lets_plain_words_through():
    assert not issue_citations("# an issue with the key map; 16 bands", "example.py")
