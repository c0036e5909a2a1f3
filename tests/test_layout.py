"""The layout is the data flow: a module imports only from its own layer or the layers before it.

The layers, in the order data moves (README "Architecture"): the shared foundation (errors, messages,
timecodes), infrastructure (``io``), the plug-in registry, ``source``, ``pipeline``, ``taps``,
``scorers``, ``detect``, ``settings``, ``result``, the ``scanner``, ``report`` writers, ``cut``,
``batch``, ``watch``, the Ray stage, ``testing``, and the command line on top. A function-level import
of the project's own modules is only the command line's (it keeps ``blurscan --help`` fast).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "blurscan"

LAYERS = [
    ("errors", "messages", "timecode"),
    ("io",),
    ("registry",),
    ("source",),
    ("pipeline",),
    ("taps",),
    ("scorers",),
    ("detect",),
    ("settings",),
    ("result",),
    ("scanner",),
    ("report",),
    ("cut",),
    ("batch",),
    ("watch",),
    ("ray",),
    ("testing",),
    ("_cli", "__main__"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> int | None:
    """The layer of ``blurscan.x.y`` (None for the package's own ``__init__``: the public API imports all)."""
    parts = module.split(".")
    if parts[0] != "blurscan" or len(parts) == 1 or parts[1].startswith("__v"):  # the package, its __version__
        return None
    return RANK[parts[1]]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        yield name, path


def _imports(path: Path):
    """(imported module, line, whether inside a function) of every import of the project's modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("blurscan"):
            names = [node.module] if node.module != "blurscan" else [f"blurscan.{a.name}" for a in node.names]
            for name in names:
                yield name, node.lineno, id(node) in functions
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("blurscan"):
                    yield alias.name, node.lineno, id(node) in functions


def test_every_module_belongs_to_a_layer():
    unknown = sorted(name for name, _ in _modules() if name != "blurscan" and name.split(".")[1] not in RANK)
    assert not unknown, f"modules outside the layers (add their layer here and to the README): {unknown}"


@pytest.mark.parametrize("module, path", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_module_imports_a_later_layer(module, path):
    own = _layer(module)
    if own is None:
        return
    later = [f"{path.name}:{line} imports {name}" for name, line, _ in _imports(path)
             if (rank := _layer(name)) is not None and rank > own]
    assert not later, later


@pytest.mark.parametrize("module, path", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_project_imports_are_at_the_top_outside_the_command_line(module, path):
    if module.startswith(("blurscan._cli", "blurscan.__main__")):
        return
    inside = [f"{path.name}:{line} imports {name} inside a function" for name, line, in_function in _imports(path)
              if in_function]
    assert not inside, inside
