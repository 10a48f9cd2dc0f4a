"""Unpacking uploaded archives: good layouts pass, every escape and bomb is refused unwritten."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.archives import ArchiveLimits, ArchiveRefused, copy_folder, unpack_archive

LIMITS = ArchiveLimits(max_bytes=4 * 1024 * 1024, max_entries=8, max_ratio=50)
FILES = {"adapter_config.json": b'{"peft_type": "LORA"}', "adapter_model.safetensors": b"x" * 300}


def make_zip(path: Path, entries: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zipped.writestr(info, "/etc/passwd")
    return path


def make_tar(path: Path, members: Sequence[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "store" / "staging"
    folder.mkdir(parents=True)
    return folder


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("prefix", ["", "my-adapter/", "./"])
def test_a_zip_of_a_folder_or_of_its_files_unpacks_flat(tmp_path, dest, prefix) -> None:
    entries = {prefix + name: data for name, data in FILES.items()}
    names = unpack_archive(make_zip(tmp_path / "a.zip", entries), dest, LIMITS)
    assert names == sorted(FILES)
    assert (dest / "adapter_model.safetensors").read_bytes() == FILES["adapter_model.safetensors"]


def test_a_tar_gz_with_folder_entries_unpacks_flat(tmp_path, dest) -> None:
    folder = tarfile.TarInfo("adapter")
    folder.type = tarfile.DIRTYPE
    members = [(folder, None), *(regular(f"adapter/{n}", d) for n, d in FILES.items())]
    assert unpack_archive(make_tar(tmp_path / "a.tar.gz", members), dest, LIMITS) == sorted(FILES)


def test_macos_junk_is_skipped(tmp_path, dest) -> None:
    entries = {**FILES, "__MACOSX/._adapter_config.json": b"junk", ".DS_Store": b"junk"}
    assert unpack_archive(make_zip(tmp_path / "a.zip", entries), dest, LIMITS) == sorted(FILES)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.json", "'..'"),
        ("adapter/../../evil.json", "'..'"),
        ("/etc/cron.d/evil", "absolute"),
        ("C:/evil", "absolute"),
        ("a\\..\\evil", "plain relative name"),
        ("a/b/c.json", "nested folders"),
    ],
)
def test_names_that_could_escape_are_refused(tmp_path, dest, name, message) -> None:
    archive = make_zip(tmp_path / "a.zip", {**FILES, name: b"{}"})
    with pytest.raises(ArchiveRefused, match=message):
        unpack_archive(archive, dest, LIMITS)
    assert files_under(tmp_path) == {"a.zip", "store", "store/staging"}


def test_a_tar_with_parent_paths_writes_nothing(tmp_path, dest) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", [regular("../../outside.txt", b"pwned")])
    with pytest.raises(ArchiveRefused, match=r"'\.\.'"):
        unpack_archive(archive, dest, LIMITS)
    assert files_under(tmp_path) == {"a.tar.gz", "store", "store/staging"}


def test_symlinks_in_a_zip_are_refused_before_anything_is_written(tmp_path, dest) -> None:
    archive = make_zip(tmp_path / "a.zip", FILES, symlinks=("adapter_model.safetensors.link",))
    with pytest.raises(ArchiveRefused, match="symbolic link"):
        unpack_archive(archive, dest, LIMITS)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        (special("adapter_model.safetensors", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (special("adapter_model.safetensors", tarfile.LNKTYPE, "/etc/passwd"), "hard link"),
        (special("dev", tarfile.CHRTYPE), "special file"),
        (special("pipe", tarfile.FIFOTYPE), "special file"),
    ],
)
def test_links_and_devices_in_a_tar_are_refused(tmp_path, dest, member, kind) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", [regular("adapter_config.json", b"{}"), member])
    with pytest.raises(ArchiveRefused, match=kind):
        unpack_archive(archive, dest, LIMITS)


def test_files_in_two_folders_are_refused(tmp_path, dest) -> None:
    archive = make_zip(tmp_path / "a.zip", {"one/adapter_config.json": b"{}", "two/x": b"1"})
    with pytest.raises(ArchiveRefused, match="one folder"):
        unpack_archive(archive, dest, LIMITS)


def test_a_name_twice_is_refused(tmp_path, dest) -> None:
    members = [regular("a/adapter_config.json", b"{}"), regular("a/adapter_config.json", b"[]")]
    with pytest.raises(ArchiveRefused, match="twice"):
        unpack_archive(make_tar(tmp_path / "a.tar.gz", members), dest, LIMITS)


def test_too_many_entries_are_refused(tmp_path, dest) -> None:
    entries = {f"file{n}.json": b"{}" for n in range(20)}
    with pytest.raises(ArchiveRefused, match="entries"):
        unpack_archive(make_zip(tmp_path / "a.zip", entries), dest, LIMITS)


def test_a_zip_bomb_is_refused_by_its_ratio_before_unpacking(tmp_path, dest) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"adapter_model.safetensors": bytes(3 * 2**20)})
    with pytest.raises(ArchiveRefused, match="archive bomb"):
        unpack_archive(archive, dest, LIMITS)
    assert list(dest.iterdir()) == []


def test_a_zip_larger_than_the_limit_is_refused(tmp_path, dest) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a.bin": bytes(5 * 2**20)})
    with pytest.raises(ArchiveRefused, match="more than 4 MiB"):
        unpack_archive(archive, dest, ArchiveLimits(4 * 2**20, 8, max_ratio=10_000))


def test_a_tar_gz_bomb_is_stopped_while_decompressing(tmp_path, dest) -> None:
    archive = make_tar(tmp_path / "bomb.tar.gz", [regular("adapter.safetensors", bytes(8 * 2**20))])
    with pytest.raises(ArchiveRefused, match=r"archive bomb|more than"):
        unpack_archive(archive, dest, LIMITS)
    no_ratio = ArchiveLimits(4 * 2**20, 8, max_ratio=1e9)
    with pytest.raises(ArchiveRefused, match="more than 4 MiB"):
        unpack_archive(archive, dest, no_ratio)
    assert sum(p.stat().st_size for p in dest.iterdir()) <= 4 * 2**20


@pytest.mark.parametrize("data", [b"plain text", b"PK\x03\x04broken", b"\x1f\x8bbroken"])
def test_what_is_not_an_archive_is_refused(tmp_path, dest, data) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(data)
    with pytest.raises(ArchiveRefused):
        unpack_archive(archive, dest, LIMITS)


def test_an_empty_archive_is_refused(tmp_path, dest) -> None:
    with pytest.raises(ArchiveRefused, match="no files"):
        unpack_archive(make_zip(tmp_path / "a.zip", {}), dest, LIMITS)


def test_copying_a_folder_refuses_links(tmp_path, dest) -> None:
    source = tmp_path / "adapter"
    source.mkdir()
    for name, data in FILES.items():
        (source / name).write_bytes(data)
    assert copy_folder(source, dest, LIMITS) == sorted(FILES)
    (source / "link").symlink_to("/etc/passwd")
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ArchiveRefused, match="plain files"):
        copy_folder(source, other, LIMITS)
