"""Videos and lists that live in object storage or on the web, read as streams.

Datasets of clips sit in buckets, not on the disk of the machine that scans
them. An ``s3://``, ``gs://``, ``az://`` (``abfs://``), ``http(s)://`` or
``memory://`` URL is opened through fsspec as a seekable file object that
PyAV reads from directly, with ranged reads: nothing is downloaded whole
before decoding. Credentials come from the usual environment (AWS_* variables
and profiles, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*), never from
blurscan. A URL is never handed to FFmpeg, so no FFmpeg protocol is reachable
through a name. fsspec and its per-store packages are the ``cloud`` extra.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

from blurscan.errors import MissingDependencyError, UsageError, VideoError, VideoNotFoundError

#: URL schemes read through fsspec (anything else is a local path)
URL_SCHEMES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "http", "https", "memory"})
#: members of tar shards, ``tar://MEMBER::SHARD`` (read by :mod:`blurscan.source.tar`, never by fsspec's chaining)
MEMBER_SCHEME = "tar"
#: the package each scheme needs, for the install hint
_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
             "abfss": "adlfs", "http": "aiohttp", "https": "aiohttp", "memory": "fsspec"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: bytes fetched per ranged read: enough for a container's index, small enough for short clips
BLOCK_SIZE = 1 << 20


def url_scheme(path: Any) -> str | None:
    """The scheme of a URL blurscan reads through fsspec, else None (a local path)."""
    if not isinstance(path, str):
        return None
    match = _SCHEME.match(path)
    scheme = match.group(1).lower() if match else None
    return scheme if scheme in URL_SCHEMES or scheme == MEMBER_SCHEME else None


def is_url(path: Any) -> bool:
    return url_scheme(path) is not None


class VideoURL(str):
    """A video's URL where code expects a path: ``str()`` is the URL, ``.name`` its last part
    (a tar member's own name, not its shard's)."""

    @property
    def name(self) -> str:
        if url_scheme(self) == MEMBER_SCHEME:
            return self[len("tar://"):].split("::", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return self.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def filesystem(url: str):
    """The fsspec file system and the path inside it for ``url`` (credentials from the environment)."""
    scheme = url_scheme(url) or "file"
    if scheme == MEMBER_SCHEME:
        raise UsageError(f"{url}: a tar member is one video to scan, not a folder, a list or an output location")
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise MissingDependencyError(f"reading {scheme}:// URLs", "cloud", "fsspec") from None
    try:
        return url_to_fs(url)
    except ImportError:
        raise MissingDependencyError(f"reading {scheme}:// URLs", "cloud", _PACKAGES.get(scheme, "fsspec")) from None


def full_url(fs, path: str) -> str:
    """A path inside ``fs`` as a URL again (what results and lists show)."""
    url = fs.unstrip_protocol(path)
    return "memory://" + url[len("memory:///"):] if url.startswith("memory:///") else url  # as users write it


def open_stream(url: str) -> IO[bytes]:
    """A seekable binary stream of ``url``; errors say what to check, in one line."""
    fs, path = filesystem(url)
    try:
        return fs.open(path, "rb", block_size=BLOCK_SIZE)
    except FileNotFoundError:
        raise VideoNotFoundError(url, "no such object. Check the URL and try again.") from None
    except PermissionError as ex:
        raise VideoError(url, f"access denied ({ex}). Check the credentials in the environment.") from None
    except OSError as ex:
        raise VideoError(url, f"cannot be read ({type(ex).__name__}: {ex}). Check the URL and the network.") from None


def as_video_path(path: str | os.PathLike) -> Any:
    """A :class:`VideoURL` for a URL, else a :class:`pathlib.Path` (what :mod:`blurscan.source.decode` opens)."""
    from pathlib import Path

    return VideoURL(path) if is_url(path) else Path(path)
