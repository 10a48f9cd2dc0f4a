"""Unpacking an uploaded archive (.zip or .tar.gz) into one flat folder, safely.

An archive is a list of names chosen by whoever made it, so every entry is checked before a
byte of it is written: a plain relative name (no absolute path, no ``..``, no backslash or
control character), a regular file or a folder (no symlink, hardlink, device or FIFO), at most
one folder deep and all in the same folder. Files are written under their base name only, with
exclusive creation, into a folder the caller made: nothing can land anywhere else.

Archive bombs are refused three ways: the number of entries, the total unpacked size, and the
ratio of unpacked to packed bytes. The sizes a header announces are checked first, and bytes
are counted again while they are written, so an archive whose headers lie is stopped at the
limit too (for .tar.gz the decompressed stream itself is bounded, headers and all).
"""

from __future__ import annotations

import gzip
import stat
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

MiB = 1024 * 1024
CHUNK = MiB
# Small files compress well whatever they hold; the ratio limit starts to count above this.
RATIO_FLOOR_BYTES = MiB
MAX_NAME_LENGTH = 255
# Left behind by macOS's archiver; not part of anyone's adapter.
JUNK_FOLDERS = frozenset({"__MACOSX"})
JUNK_FILES = frozenset({".DS_Store", "Thumbs.db"})
_TAR_BLOCK = 512


class ArchiveRefused(ValueError):
    """The archive is not accepted; the message says why (shown to the admin)."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_bytes: int  # total unpacked size
    max_entries: int
    max_ratio: float  # unpacked / packed


@dataclass
class _Budget:
    """What has been unpacked so far, against the limits."""

    limits: ArchiveLimits
    packed_bytes: int
    entries: int = 0
    written: int = 0
    folder: str | None = None  # the one folder files are in ("" for the top level)
    names: set[str] = field(default_factory=set)

    def count_entry(self, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ArchiveRefused(
                f"the archive has more than {self.limits.max_entries} entries; "
                "an adapter is a config file and a few weight files"
            )
        if name in self.names:
            raise ArchiveRefused(f"{name} appears twice in the archive")
        self.names.add(name)

    def count_bytes(self, size: int) -> None:
        self.written += size
        if self.written > self.limits.max_bytes:
            raise ArchiveRefused(
                f"the archive unpacks to more than {self.limits.max_bytes // MiB} MiB"
            )
        self.check_ratio(self.written)

    def check_ratio(self, unpacked: int) -> None:
        ratio = unpacked / max(self.packed_bytes, 1)
        if unpacked > RATIO_FLOOR_BYTES and ratio > self.limits.max_ratio:
            raise ArchiveRefused(
                f"the archive unpacks to {ratio:.0f} times its size (at most "
                f"{self.limits.max_ratio:.0f} allowed): refused as an archive bomb"
            )

    def place(self, parts: tuple[str, ...]) -> None:
        """Files must all be at the top level, or all in one folder."""
        folder = parts[0] if len(parts) == 2 else ""
        if self.folder is None:
            self.folder = folder
        elif self.folder != folder:
            raise ArchiveRefused(
                "the adapter's files must be in one folder (or all at the top of the archive)"
            )


def archive_kind(path: Path) -> str:
    """``zip`` or ``tar.gz``, by the file's first bytes (names can say anything)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        return "zip"
    if magic.startswith(b"\x1f\x8b"):
        return "tar.gz"
    raise ArchiveRefused("only .zip and .tar.gz archives are accepted")


def unpack_archive(archive: Path, dest: Path, limits: ArchiveLimits) -> list[str]:
    """Unpack ``archive`` into the empty folder ``dest``; returns the file names written."""
    if not dest.is_dir() or any(dest.iterdir()):
        raise ValueError(f"{dest} must be an existing, empty folder")
    budget = _Budget(limits, packed_bytes=archive.stat().st_size)
    kind = archive_kind(archive)
    try:
        if kind == "zip":
            _unpack_zip(archive, dest, budget)
        else:
            _unpack_tar_gz(archive, dest, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ArchiveRefused(f"the {kind} archive is damaged or incomplete: {error}") from None
    names = sorted(budget.names)
    if not names:
        raise ArchiveRefused("the archive holds no files")
    return names


def entry_parts(raw: str) -> tuple[str, ...] | None:
    """The checked path parts of an entry name; ``None`` for entries to skip (junk, ``./``)."""
    if not raw or "\x00" in raw or "\\" in raw:
        raise ArchiveRefused(f"{raw!r}: not a plain relative name")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise ArchiveRefused(f"{raw}: absolute paths are refused")
    parts = tuple(part for part in raw.split("/") if part not in ("", "."))
    if ".." in parts:
        raise ArchiveRefused(f"{raw}: '..' in a path is refused (it could leave the folder)")
    if not parts or parts[0] in JUNK_FOLDERS or parts[-1] in JUNK_FILES:
        return None
    for part in parts:
        if len(part) > MAX_NAME_LENGTH or any(unicodedata.category(char) == "Cc" for char in part):
            raise ArchiveRefused(f"{raw!r}: not a plain name")
    if len(parts) > 2:
        raise ArchiveRefused(f"{raw}: nested folders are refused; put the files in one folder")
    return parts


def _write(dest: Path, name: str, source: IO[bytes], announced: int, budget: _Budget) -> None:
    """Copy one entry to ``dest/name``, counting bytes (a header may lie about its size)."""
    target = dest / name
    if target.parent != dest:  # entry_parts makes this impossible; refuse rather than trust
        raise ArchiveRefused(f"{name}: not a plain name")
    copied = 0
    with target.open("xb") as out:
        for block in iter(lambda: source.read(CHUNK), b""):
            copied += len(block)
            if copied > announced:
                raise ArchiveRefused(f"{name} holds more bytes than its header says")
            budget.count_bytes(len(block))
            out.write(block)


# --- zip ---------------------------------------------------------------------------------------


def _zip_kind(info: zipfile.ZipInfo) -> str:
    # Unix archivers keep the file type in the high bits; zero means "not said" (a file).
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if info.is_dir() or file_type == stat.S_IFDIR:
        return "folder"
    if file_type == stat.S_IFLNK:
        return "symbolic link"
    if file_type not in (0, stat.S_IFREG):
        return "special file"
    return "file"


def _unpack_zip(archive: Path, dest: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as zipped:
        infos = zipped.infolist()
        _check_zip_headers(infos, budget)
        for info in infos:
            parts = entry_parts(info.filename)
            if parts is None or _zip_kind(info) == "folder":
                continue
            budget.count_entry(parts[-1])
            budget.place(parts)
            with zipped.open(info) as source:
                _write(dest, parts[-1], source, info.file_size, budget)


def _check_zip_headers(infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
    """Everything the central directory announces, before anything is written."""
    if len(infos) > budget.limits.max_entries * 2:  # folders and junk count a little
        raise ArchiveRefused(f"the archive has {len(infos)} entries; too many for an adapter")
    for info in infos:
        parts = entry_parts(info.filename)
        kind = _zip_kind(info)
        if kind in ("symbolic link", "special file"):
            raise ArchiveRefused(f"{info.filename}: a {kind}; only plain files are accepted")
        if parts is not None and kind == "folder" and len(parts) > 1:
            raise ArchiveRefused(f"{info.filename}: nested folders are refused")
        if info.flag_bits & 0x1:
            raise ArchiveRefused(f"{info.filename}: encrypted entries are refused")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveRefused(f"{info.filename}: use plain zip (stored or deflated)")
    announced = sum(info.file_size for info in infos)
    budget.check_ratio(announced)
    if announced > budget.limits.max_bytes:
        raise ArchiveRefused(
            f"the archive unpacks to {announced // MiB} MiB, more than "
            f"{budget.limits.max_bytes // MiB} MiB"
        )


# --- tar.gz ------------------------------------------------------------------------------------


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _BoundedReader:
    """A read-only stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, raw: _Readable, limit: int, budget: _Budget) -> None:
        self._raw = raw
        self._limit = limit
        self._budget = budget
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise ArchiveRefused(
                f"the archive unpacks to more than {self._budget.limits.max_bytes // MiB} MiB"
            )
        self._budget.check_ratio(self.consumed)
        return data


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.isreg():
        return "file"
    if member.isdir():
        return "folder"
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    return "special file"


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    member = tar.next()
    while member is not None:
        yield member
        member = tar.next()


def _unpack_tar_gz(archive: Path, dest: Path, budget: _Budget) -> None:
    # Headers and padding: a block per header and up to a block of padding per file.
    overhead = (budget.limits.max_entries * 4 + 16) * _TAR_BLOCK
    with archive.open("rb") as packed, gzip.GzipFile(fileobj=packed) as unzipped:
        stream = _BoundedReader(unzipped, budget.limits.max_bytes + overhead, budget)
        # "r|": one pass over the stream, never seeking back.
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for member in _members(tar):
                _unpack_member(tar, member, dest, budget)


def _unpack_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, budget: _Budget
) -> None:
    parts = entry_parts(member.name)
    kind = _tar_kind(member)
    if kind not in ("file", "folder"):
        raise ArchiveRefused(f"{member.name}: a {kind}; only plain files are accepted")
    if parts is None:
        return
    if kind == "folder":
        if len(parts) > 1:
            raise ArchiveRefused(f"{member.name}: nested folders are refused")
        return
    budget.count_entry(parts[-1])
    budget.place(parts)
    if budget.written + member.size > budget.limits.max_bytes:
        raise ArchiveRefused(
            f"the archive unpacks to more than {budget.limits.max_bytes // MiB} MiB"
        )
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - regular files always have a stream
        raise ArchiveRefused(f"{member.name}: cannot be read")
    with source:
        _write(dest, parts[-1], source, member.size, budget)


def copy_folder(source: Path, dest: Path, limits: ArchiveLimits) -> list[str]:
    """Copy the plain files of a local folder (CLI uploads) with the same checks."""
    unbounded_ratio = ArchiveLimits(limits.max_bytes, limits.max_entries, float("inf"))
    budget = _Budget(unbounded_ratio, packed_bytes=0)
    for entry in sorted(source.iterdir()):
        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
            raise ArchiveRefused(f"{entry.name}: only plain files are accepted")
        if entry.is_dir():
            raise ArchiveRefused(f"{entry.name}: nested folders are refused")
        if entry.name in JUNK_FILES:
            continue
        budget.count_entry(entry.name)
        with entry.open("rb") as handle:
            _write(dest, entry.name, handle, entry.stat().st_size, budget)
    return sorted(budget.names)
