"""Tar shards read in place: each video member streamed from its shard, never extracted to disk.

Curation datasets keep clips in tar shards (the webdataset layout: ``KEY.mp4``,
``KEY.json`` ... one after another). A member is named in fsspec's chained form,
``tar://KEY.mp4::/data/shard-000.tar`` (or ``...::s3://bucket/shard-000.tar``).
The shard's index (names, offsets, sizes) comes from fsspec's tar file system,
built once per shard and kept for a few shards, so the members of one shard do
not read its headers again; each member is then read through its own handle on
the shard, a window over the member's bytes, so two members never share a file
position. Member names are data: they go into URLs and output names (escaped
there), never onto the disk.
"""

from __future__ import annotations

import io
import logging
import os
import tarfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import IO

from blurscan.errors import MissingDependencyError, NotAVideoError, VideoError, VideoNotFoundError
from blurscan.source.open import check_path, ffmpeg_reason
from blurscan.source.remote import open_stream, url_scheme

logger = logging.getLogger("blurscan")

PREFIX = "tar://"
SEPARATOR = "::"
SHARD_SUFFIX = ".tar"
#: shard indexes kept in a process (a batch worker scans one shard's members one after another)
CACHED_SHARDS = 8


def is_member(path) -> bool:
    """Whether ``path`` names a member of a tar shard (``tar://MEMBER::SHARD``)."""
    return isinstance(path, str) and path[:len(PREFIX)].lower() == PREFIX


def is_shard(path) -> bool:
    """Whether ``path`` (a local path or a URL, not a member) names a tar shard by its suffix."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else ""
    return not is_member(text) and text.split("?", 1)[0].lower().endswith(SHARD_SUFFIX)


def member_url(member: str, shard: str) -> str:
    return f"{PREFIX}{member}{SEPARATOR}{shard}"


def split_member(url: str) -> tuple[str, str]:
    """(member, shard) of a member URL; the shard is a local path or a URL blurscan reads."""
    member, sep, shard = url[len(PREFIX):].partition(SEPARATOR)
    member = member.strip("/")
    if not sep or not member or not shard:
        raise NotAVideoError(url, "is not a tar member: write it as tar://MEMBER::/path/to/shard.tar.")
    if is_member(shard) or (url_scheme(shard) is None and "://" in shard):
        raise NotAVideoError(url, "names a shard blurscan cannot read: the part after '::' must be a local "
                                  "path or an s3://, gs://, az://, http(s):// or memory:// URL.")
    return member, shard


def local_shard(url: str) -> Path | None:
    """The local shard file of a member URL (None for a shard in object storage)."""
    try:
        shard = split_member(url)[1]
    except VideoError:
        return None
    return None if url_scheme(shard) else Path(shard)


def _open_shard(shard: str) -> IO[bytes]:
    if url_scheme(shard):
        return open_stream(shard)
    path = Path(shard)
    check_path(path)
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as ex:
        raise VideoError(path, f"cannot be read ({ex.strerror or ex}).") from None


#: a member's place in its shard: (offset of its data, size)
Entry = tuple[int, int]
_cache: OrderedDict[tuple, dict[str, Entry]] = OrderedDict()
_lock = threading.Lock()


def _identity(shard: str) -> tuple:
    """What tells a shard's versions apart: its size and modification time locally, its URL elsewhere."""
    if url_scheme(shard):
        return (shard,)
    try:
        info = os.stat(shard)
    except OSError:
        return (shard,)
    return (os.path.abspath(shard), info.st_size, info.st_mtime_ns)


def shard_index(shard: str) -> dict[str, Entry]:
    """The regular-file members of ``shard`` by name, read through fsspec's tar file system."""
    key = _identity(shard)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        from fsspec.implementations.tar import TarFileSystem
    except ImportError:
        raise MissingDependencyError("reading tar shards", "cloud", "fsspec") from None
    with _open_shard(shard) as handle:
        try:
            fs = TarFileSystem(fo=handle, compression=None)
            index = {name: (info.offset_data, info.size)
                     for name, info in ((_name(m), m) for m in fs.tar.getmembers()) if info.isreg() and name}
        except (tarfile.TarError, EOFError, OSError, ValueError) as ex:
            raise NotAVideoError(shard, f"cannot be read as a tar shard ({ffmpeg_reason(ex)}). "
                                        "Re-download it or re-create it with tar.") from None
    with _lock:
        _cache[key] = index
        while len(_cache) > CACHED_SHARDS:
            _cache.popitem(last=False)
    return index


def _name(info: tarfile.TarInfo) -> str:
    """A member's name as fsspec's tar file system spells it (no leading or doubled slashes)."""
    return "/".join(part for part in info.name.split("/") if part)


def shard_members(shard: str) -> list[str]:
    """The regular-file member names of ``shard``, in the shard's order. A name holding ``::`` cannot be
    written in the chained form and is skipped with a warning."""
    names = []
    for name in shard_index(shard):
        if SEPARATOR in name:
            logger.warning("%s: member %r skipped: a name holding '::' cannot be named as tar://MEMBER::SHARD",
                           shard, name)
            continue
        names.append(name)
    return names


def open_member(url: str) -> IO[bytes]:
    """A seekable stream of one member's bytes, read in place from its shard."""
    member, shard = split_member(url)
    index = shard_index(shard)
    entry = index.get("/".join(p for p in member.split("/") if p))
    if entry is None:
        raise VideoNotFoundError(url, f"no such member in {shard}. List the shard with `tar tf` and check the name.")
    handle = _open_shard(shard)
    return io.BufferedReader(_Window(handle, *entry), buffer_size=1 << 16)


class _Window(io.RawIOBase):
    """Bytes ``offset .. offset + size`` of ``handle`` as a file of their own (closes ``handle``)."""

    def __init__(self, handle: IO[bytes], offset: int, size: int):
        super().__init__()
        self._handle, self._offset, self._size, self._pos = handle, offset, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + pos < 0:
            raise OSError("seek before the member's start")
        self._pos = base + pos
        return self._pos

    def readinto(self, buffer) -> int:
        left = self._size - self._pos
        if left <= 0:
            return 0
        view = memoryview(buffer)[:left]
        self._handle.seek(self._offset + self._pos)
        data = self._handle.read(len(view))
        view[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


__all__ = ["is_member", "is_shard", "local_shard", "member_url", "open_member", "shard_index", "shard_members",
           "split_member"]
