"""Bytes to text: BOMs, UTF-8, the Windows code page older exports used; binary refused."""

from __future__ import annotations

import codecs

from reelgraph.library_files.errors import FileProblem, LibraryFileError


def decode_text(data: bytes, member: str | None = None) -> str:
    """The text of an exported file. UTF-8 (with or without BOM) and UTF-16 with a BOM are read
    as such; anything else that is not UTF-8 is taken as Windows-1252 (Excel's default, which
    IMDb exports edited on Windows come in), falling back to Latin-1, which reads any byte."""
    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[len(codecs.BOM_UTF8) :], "utf-8", member)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict(data, "utf-16", member)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    # Text exports never hold NUL or most C0 controls; binary data (an image, random bytes) does.
    controls = sum(1 for ch in text[:65536] if ch < " " and ch not in "\t\n\r")
    if "\x00" in text or controls > 8:
        raise LibraryFileError(
            FileProblem.NOT_A_TEXT_FILE, "This is not a text (CSV or JSON) file.", member=member
        )
    return text


def _strict(data: bytes, encoding: str, member: str | None) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LibraryFileError(
            FileProblem.NOT_A_TEXT_FILE, f"The file is not valid {encoding.upper()} text.", member=member
        ) from exc
