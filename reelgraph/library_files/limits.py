"""Bounds on what an upload may be, checked before and while reading it (never trusting headers)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int = 20 * 1024 * 1024  # the uploaded file
    max_rows: int = 50_000  # data rows / entries over every member
    # ZIP archives: a Letterboxd export has a dozen members (more with many lists, never read).
    max_members: int = 5_000
    max_uncompressed_bytes: int = 64 * 1024 * 1024  # the members we read, together
    max_ratio: int = 100  # uncompressed / compressed, per member read (zip bombs reach 1000s)


DEFAULT_LIMITS = FileLimits()
