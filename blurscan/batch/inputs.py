"""What a batch scans: a folder, a glob, a list file (text, CSV or Parquet), locally or at a URL.

A dataset of clips is usually a bucket prefix or a table listing them, so a
source may be ``s3://bucket/clips/``, ``gs://bucket/**/*.mp4``, or a Parquet
or CSV file with a ``path`` column; entries may themselves be URLs. A local
entry given relative to a list is taken relative to the list's folder. A tar
shard (``.tar``, found in a folder, listed, or given itself) stands for its
video members, each named ``tar://MEMBER::SHARD`` and read in place
(:mod:`blurscan.source.tar`).
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import os
from pathlib import Path, PurePosixPath

from blurscan.errors import InputError, MissingDependencyError, VideoError
from blurscan.source.remote import filesystem, full_url, is_url
from blurscan.source.tar import is_member, is_shard, member_url, shard_members, split_member

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .mkv .webm .avi .mpg .mpeg .ts .mts .m2ts .wmv .flv .3gp .ogv .y4m .mxf .gif".split()
)
#: list files read by format; anything else is read as text, one path per line
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
_MAGIC = ("*", "?", "[")

#: a video as a batch sees it: a local path or a URL string
VideoRef = Path | str


def _is_video(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in VIDEO_EXTENSIONS


def _is_listed(name: str) -> bool:
    """A video, or a tar shard of videos."""
    return _is_video(name) or is_shard(name)


def _with_members(paths: list[VideoRef]) -> list[VideoRef]:
    """``paths`` with each tar shard replaced by its video members (hidden ones skipped). A shard that
    cannot be listed stays as it is: scanning it gives its error entry, and the other shards go on."""
    out: list[VideoRef] = []
    for path in paths:
        if not is_shard(path):
            out.append(path)
            continue
        shard = os.fspath(path) if is_url(os.fspath(path)) else os.path.abspath(path)
        try:
            members = shard_members(shard)
        except VideoError:
            out.append(path)
            continue
        out.extend(member_url(m, shard) for m in members
                   if _is_video(m) and not any(part.startswith(".") and part not in (".", "..") for part in m.split("/")))
    return out


def _has_magic(text: str) -> bool:
    return any(c in text for c in _MAGIC)


def discover_videos(source: str | os.PathLike, *, exclude: str | os.PathLike | None = None,
                    unreadable: list[tuple[str, str]] | None = None) -> tuple[list[VideoRef], VideoRef]:
    """The videos of ``source`` and the folder (or URL prefix) their output names are made relative to.

    A folder is searched recursively by extension (hidden entries skipped); a
    list names one video per line (or per row of its ``path`` column); a path
    listed twice counts once. A folder or glob never yields what lies inside
    ``exclude`` (the batch's output folder: its clips are not inputs). A
    subfolder that cannot be read (permissions, a path too long) is skipped
    and appended to ``unreadable`` as (folder, reason).
    """
    text = os.fspath(source)
    if is_member(text):
        return [text], _shard_folder(text)
    paths, root = _discover_url(text) if is_url(text) else _discover_local(text, exclude, unreadable)
    paths = _unique(_with_members(paths))
    if not paths:
        raise InputError(f"{text}: its tar shards hold no video files. Check the shards (`tar tf`).")
    return paths, root


def _shard_folder(url: str) -> VideoRef:
    shard = split_member(url)[1]
    return shard.rsplit("/", 1)[0] if is_url(shard) else Path(shard).parent


def _discover_local(text: str, exclude: str | os.PathLike | None,
                    unreadable: list[tuple[str, str]] | None) -> tuple[list[VideoRef], VideoRef]:
    source = Path(text)
    if source.is_file() and is_shard(source):
        return [source], source.parent
    if not source.exists() and _has_magic(text):
        paths = sorted(Path(p) for p in glob.glob(text, recursive=True)
                       if _is_listed(p) and os.path.isfile(p) and not _inside(p, exclude))
        if not paths:
            raise InputError(f"{text}: the pattern matches no video files. Check the pattern (quote it for the shell).")
        return paths, _glob_root(text)
    if not source.exists():
        raise InputError(f"{source}: no such folder or list file. Check the path.")
    if source.is_dir():
        paths = sorted(_walk(source, exclude, unreadable if unreadable is not None else []))
        if not paths:
            raise InputError(
                f"{source}: no video files found (looked for {', '.join(sorted(VIDEO_EXTENSIONS))}). "
                "Point to a folder of videos or a text file listing them."
            )
        return paths, source
    try:
        with open(source, "rb") as handle:
            entries = _list_entries(source.name, handle)
    except OSError as ex:
        raise InputError(f"{source}: not a readable list of videos ({ex}).") from None
    paths = _unique(_resolve_local(entry, source.parent) for entry in entries)
    if not paths:
        raise InputError(f"{source}: the list names no videos (one path per line; '#' starts a comment).")
    return paths, source.parent


def _inside(path: str | os.PathLike, folder: str | os.PathLike | None) -> bool:
    if folder is None:
        return False
    root = os.path.realpath(folder)
    return os.path.realpath(path).startswith(root.rstrip(os.sep) + os.sep)


def _walk(source: Path, exclude: str | os.PathLike | None, unreadable: list[tuple[str, str]]) -> list[Path]:
    """The video- and shard-named entries under ``source``, hidden entries and links to folders not followed.

    Not only regular files: a broken link or a FIFO named like a video gets its error entry. A
    folder that cannot be listed (no permission; deeper than the system's longest path) is
    noted in ``unreadable`` and the walk goes on; the folder ``exclude`` is not entered.
    """
    skip = None
    if exclude is not None:
        with contextlib.suppress(OSError):
            st = os.stat(exclude)
            skip = (st.st_dev, st.st_ino)
    found: list[Path] = []
    stack = [source]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as ex:
            unreadable.append((os.fspath(folder), ex.strerror or str(ex)))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                if skip is not None and entry.inode() == skip[1]:
                    with contextlib.suppress(OSError):
                        st = entry.stat(follow_symlinks=False)
                        if (st.st_dev, st.st_ino) == skip:
                            continue  # the batch's own output folder
                stack.append(folder / entry.name)
            elif _is_listed(entry.name):
                found.append(folder / entry.name)
    return found


def _glob_root(pattern: str) -> Path:
    parts = []
    for part in Path(pattern).parts:
        if _has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _resolve_local(entry: str, folder: Path) -> VideoRef:
    if is_url(entry):
        return entry
    path = Path(entry).expanduser()
    return path if path.is_absolute() else folder / path


def _unique(paths) -> list[VideoRef]:
    out, seen = [], set()
    for path in paths:
        key = path if isinstance(path, str) else os.path.normpath(os.path.abspath(path))
        if key not in seen:  # a video listed twice is scanned once
            seen.add(key)
            out.append(path)
    return out


def _list_entries(name: str, handle) -> list[str]:
    """The entries of a list file: text (one per line), CSV or Parquet (a ``path`` column)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingDependencyError("a Parquet list of videos", "parquet", "pyarrow") from None
        try:
            table = pq.read_table(handle, columns=["path"])
        except (KeyError, ValueError) as ex:
            raise InputError(f"{name}: a Parquet list needs a 'path' column ({ex}).") from None
        return [p for p in table.column("path").to_pylist() if p]
    try:
        text = handle.read().decode("utf-8")
    except UnicodeDecodeError as ex:
        raise InputError(f"{name}: not a folder or a readable text list of videos ({ex}). "
                         "Use `blurscan detect` for a single video.") from None
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if "path" not in (reader.fieldnames or []):
            raise InputError(f"{name}: a CSV list needs a 'path' column (found {reader.fieldnames}).")
        return [row["path"].strip() for row in reader if (row.get("path") or "").strip()]
    entries = []
    for line in text.split("\n"):  # not splitlines(): U+2028, U+0085 ... may be part of a name
        line = line.strip("\r\t ")
        if line and not line.startswith("#"):
            entries.append(line)
    return entries


def _discover_url(url: str) -> tuple[list[VideoRef], VideoRef]:
    fs, path = filesystem(url)
    try:
        if _has_magic(path):
            found = sorted(p for p in fs.glob(path) if _is_listed(p))
            root = full_url(fs, _glob_root(path).as_posix())
            paths = [full_url(fs, p) for p in found]
        elif fs.isdir(path):
            base = path.rstrip("/")
            found = sorted(
                p for p in fs.find(base)
                if _is_listed(p) and not any(part.startswith(".") for part in p[len(base):].split("/"))
            )
            root, paths = full_url(fs, base), [full_url(fs, p) for p in found]
        elif PurePosixPath(path).suffix.lower() in TABLE_SUFFIXES or not _is_listed(path):
            with fs.open(path, "rb") as handle:
                entries = _list_entries(path, handle)
            folder = path.rsplit("/", 1)[0]
            paths = [e if is_url(e) or e.startswith("/") else full_url(fs, f"{folder}/{e}") for e in entries]
            root = full_url(fs, folder)
        else:
            return [url], url.rsplit("/", 1)[0]
    except FileNotFoundError:
        raise InputError(f"{url}: no such object or prefix. Check the URL.") from None
    except PermissionError as ex:
        raise InputError(f"{url}: access denied ({ex}). Check the credentials in the environment.") from None
    paths = _unique(paths)
    if not paths:
        raise InputError(f"{url}: no video files found there. Check the URL (a prefix, a glob or a list file).")
    return paths, root


def relative_name(path: VideoRef, root: VideoRef) -> PurePosixPath:
    """``path`` relative to ``root`` (for output names); its file name alone when it is elsewhere. A tar
    member is its shard's name (without ``.tar``) followed by the member's own path."""
    if is_member(path):
        member, shard = split_member(path)
        return relative_name(shard if is_url(shard) else Path(shard), root).with_suffix("") / member
    if isinstance(path, str) and is_url(path):
        prefix = str(root).rstrip("/") + "/"
        name = path[len(prefix):] if path.startswith(prefix) else path.rsplit("/", 1)[-1]
        return PurePosixPath(name.split("?", 1)[0] or "video")
    try:
        return PurePosixPath(Path(path).resolve().relative_to(Path(root).resolve()).as_posix())
    except (ValueError, OSError, RuntimeError, TypeError):
        return PurePosixPath(Path(path).name)
