"""ZIP exports, read defensively: member count, every member's and the total uncompressed size
and the compression ratio are bounded, and only the members asked for are ever decompressed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.limits import FileLimits

ZIP_MAGIC = b"PK\x03\x04"


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def read_members(data: bytes, wanted: Callable[[str], bool], limits: FileLimits) -> dict[str, bytes]:
    """The members whose names `wanted` accepts, by name. Sizes in the archive's headers are
    not trusted: each member is read at most to the bytes it may still have."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LibraryFileError(FileProblem.BAD_ARCHIVE, "The ZIP archive is damaged.") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise LibraryFileError(
                FileProblem.ARCHIVE_TOO_LARGE, f"The archive has more than {limits.max_members} files."
            )
        found: dict[str, bytes] = {}
        budget = limits.max_uncompressed_bytes
        for info in infos:
            if info.is_dir() or not wanted(info.filename):
                continue
            if info.flag_bits & 0x1:
                raise LibraryFileError(FileProblem.BAD_ARCHIVE, f"{info.filename} is encrypted.")
            # The declared ratio first (cheap); the real size is enforced while reading.
            allowed = min(budget, max(info.compress_size, 1) * limits.max_ratio)
            if info.file_size > allowed:
                raise _bomb(info.filename, limits)
            try:
                with archive.open(info) as member:
                    content = member.read(allowed + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                raise LibraryFileError(FileProblem.BAD_ARCHIVE, f"{info.filename} cannot be read.") from exc
            if len(content) > allowed:
                raise _bomb(info.filename, limits)
            budget -= len(content)
            found[info.filename] = content
        return found


def _bomb(name: str, limits: FileLimits) -> LibraryFileError:
    return LibraryFileError(
        FileProblem.ARCHIVE_TOO_LARGE,
        f"{name} expands too much (over {limits.max_ratio}x or past "
        f"{limits.max_uncompressed_bytes // (1024 * 1024)} MB in all): refused as a possible ZIP bomb.",
    )
