"""Output names: one file-system-safe stem per video, a stable function of its path.

``sub/clip.mp4`` becomes ``sub__clip``. Where that readable form could stand
for another path too (a character had to be replaced, a folder name holds
``__``, the name is too long, or the name is one of the batch's own files),
a short hash of the path is added: ``a__b/c.mp4`` -> ``a__b__c-3f2a9c1e``. So
a video keeps its name from one run to the next whatever else the folder
holds, and ``--resume`` never mistakes one video's results for another's.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence

#: characters never used in an output name: separators, control and format characters, and the
#: lone surrogates that stand for bytes of a name that are not UTF-8
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]')
#: bytes left for the stem in a 255-byte file name, after the longest suffix and a hash
_MAX_STEM_BYTES = 180
_HASH_CHARS = 8


def unsafe_characters(name: str) -> list[str]:
    """The characters of ``name`` that no output name may hold (separators, control and format characters)."""
    return _UNSAFE.findall(name)


def path_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:_HASH_CHARS]


def _readable(parts: Sequence[str]) -> tuple[str, bool]:
    """The joined, cleaned name and whether it is an exact, reversible picture of ``parts``."""
    cleaned = [_UNSAFE.sub("_", unicodedata.normalize("NFC", part)) for part in parts]
    exact = all(c == p and c and "__" not in c and not c.startswith("_") and not c.endswith("_") and c not in (".", "..")
                for c, p in zip(cleaned, parts))
    stem = "__".join(cleaned)
    if stem.startswith("."):
        stem, exact = "_" + stem[1:], False  # never a hidden file, never ``..``
    if not stem:
        stem, exact = "video", False
    encoded = stem.encode("utf-8", "surrogateescape")
    if len(encoded) > _MAX_STEM_BYTES:
        stem, exact = encoded[:_MAX_STEM_BYTES].decode("utf-8", "ignore"), False
    return stem, exact


def stable_stems(keys: Iterable[tuple[Sequence[str], str]], reserved: Iterable[str] = ()) -> list[str]:
    """One stem per key: the parts of the name to show (the path without the video's
    extension) and the text whose hash tells it apart (the path itself).

    ``reserved`` are stems the caller writes itself (e.g. ``results`` for
    ``results.json``): a video never gets one. Stems are compared without
    case, as a case-insensitive file system (macOS, Windows) would.
    """
    reserved = {r.casefold() for r in reserved}
    keys = [(tuple(parts), key) for parts, key in keys]
    stems = []
    for parts, key in keys:
        stem, exact = _readable(parts)
        if not exact or stem.casefold() in reserved:
            stem = f"{stem}-{path_hash(key)}"
        stems.append(stem)
    # Two paths can still meet (``A.mp4`` and ``a.mp4``; the same file listed twice):
    # each gets its path's hash, then a running number for exact repeats.
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    seen: set[str] = set()
    out = []
    for (_, key), stem in zip(keys, stems):
        if counts[stem.casefold()] > 1:
            stem = f"{stem}-{path_hash(key)}"
        candidate, n = stem, 1
        while candidate.casefold() in seen or candidate.casefold() in reserved:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out
