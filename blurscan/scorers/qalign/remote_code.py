"""A model's own code (``auto_map`` in its config.json), imported under a name keyed by its content.

transformers 4.36-4.37 copy a local model folder's code into the dynamic-module
cache (``HF_MODULES_CACHE``) under the folder's base name and only follow the
modeling file's direct relative imports: Q-Align's ``modeling_mplug_owl2`` ->
``modeling_llama2`` -> ``modeling_attn_mask_utils`` fails on a fresh machine,
and two folders both named ``model`` share one cache folder and each other's
code. Here the whole closure of relative imports is read from the folder (or
the Hugging Face cache, for a hub id) and imported from memory as the package
``blurscan_remote_code_<sha256 of the files>``: nothing is written, the
dynamic-module cache is neither read nor needed, and two folders run the same
module only when their code is the same to the byte.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.util
import json
import re
import sys
import threading
from pathlib import Path

from blurscan.errors import ModelError

PACKAGE_PREFIX = "blurscan_remote_code_"

# the forms of relative import transformers follows (``dynamic_module_utils.get_relative_imports``)
_RELATIVE_IMPORTS = (
    re.compile(r"^\s*import\s+\.(\S+)\s*$", re.MULTILINE),
    re.compile(r"^\s*from\s+\.(\S+)\s+import", re.MULTILINE),
)


class _SourcesInMemory(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and runs the modules of the packages :func:`import_remote_code` made, from their saved source."""

    def __init__(self):
        self.sources: dict[str, tuple[str, bytes]] = {}  # module name -> (file it was read from, its source)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.sources:
            return None
        origin, _ = self.sources[fullname]
        spec = importlib.util.spec_from_loader(fullname, self, origin=origin)
        spec.has_location = True  # __file__ is the model folder's file (tracebacks and the code's own paths)
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        origin, source = self.sources[module.__name__]
        exec(compile(source, origin, "exec", dont_inherit=True), module.__dict__)

    def get_source(self, fullname):
        return self.sources[fullname][1].decode("utf-8")


_FINDER = _SourcesInMemory()
_LOCK = threading.Lock()


def relative_imports(source: bytes) -> list[str]:
    """Module names a file imports relatively (``from .x import y``, ``import .x``), as transformers reads them."""
    text = source.decode("utf-8")
    return sorted({name for pattern in _RELATIVE_IMPORTS for name in pattern.findall(text)})


def read_closure(fetch, modules) -> dict[str, tuple[str, bytes]]:
    """``modules`` and every module they import relatively, at any depth: name -> (path, source).

    ``fetch(filename)`` returns the local path of one of the model's files.
    """
    found: dict[str, tuple[str, bytes]] = {}
    pending = list(modules)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = fetch(f"{name.replace('.', '/')}.py")
        source = Path(path).read_bytes()
        found[name] = (str(path), source)
        pending.extend(relative_imports(source))
    return found


def import_remote_code(files: dict[str, tuple[str, bytes]]) -> str:
    """Make ``files`` (from :func:`read_closure`) importable as one package; returns the package's name.

    The name is the hash of the modules' names and sources, so the same code
    is imported once per process and different code never shares a module.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name][1] + b"\0")
    package = PACKAGE_PREFIX + digest.hexdigest()[:24]
    with _LOCK:
        if package not in sys.modules:
            if _FINDER not in sys.meta_path:
                sys.meta_path.append(_FINDER)
            for name, (path, source) in files.items():
                _FINDER.sources[f"{package}.{name}"] = (path, source)
            spec = importlib.util.spec_from_loader(package, None, is_package=True)
            sys.modules[package] = importlib.util.module_from_spec(spec)
    return package


def auto_map_classes(fetch, kinds: tuple[str, ...]) -> list | None:
    """The classes a model's config.json names in ``auto_map`` for each of ``kinds``, from its own code.

    ``fetch(filename)`` returns the local path of one of the model's files.
    Returns None when the config has no ``auto_map`` entry for every kind (no
    remote code). The imports the code needs are checked first, as
    transformers does, so a missing package is named.
    """
    auto_map = json.loads(Path(fetch("config.json")).read_text()).get("auto_map") or {}
    references = [auto_map.get(kind) for kind in kinds]
    if not all(references):
        return None
    for reference in references:
        if not isinstance(reference, str) or "--" in reference or reference.count(".") != 1:
            raise ModelError(
                f"the model's config.json points {reference!r} at code outside its own folder; "
                "copy that code into the model folder and name it there (module.Class)."
            )
    files = read_closure(fetch, [reference.split(".")[0] for reference in references])
    _check_imports(files)
    package = import_remote_code(files)
    classes = []
    for reference in references:
        module, name = reference.split(".")
        classes.append(getattr(importlib.import_module(f"{package}.{module}"), name))
    return classes


def raised_in_remote_code(error: BaseException) -> bool:
    """Whether ``error`` came through a module of the model's own code (e.g. its ``__init__`` reaching for the hub)."""
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith(PACKAGE_PREFIX):
            return True
        traceback = traceback.tb_next
    return False


def _check_imports(files: dict[str, tuple[str, bytes]]) -> None:
    """Raise transformers' own ImportError (it names every missing package) before any of the code runs."""
    from transformers.dynamic_module_utils import check_imports

    for path, _ in files.values():
        check_imports(path)
