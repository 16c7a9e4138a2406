"""CSV cells a spreadsheet would run as formulas (OWASP "CSV Injection"), made inert and back.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (``=cmd|' /C calc'!A0``, ``@SUM(...)``, ``=HYPERLINK(...)``).
OWASP's defence is a leading single quote, which spreadsheets show as text and do not execute;
writers also quote every cell, so an injected separator cannot start a new cell either.

The escape is reversible: a value that already starts with a quote in front of what would need
one gets one more, so ``unescape_cell(escape_cell(v)) == v`` for every string and an export read
back by reelgraph's importer gives the exact text (titles such as "+1" or "-30-" included).
"""

from __future__ import annotations

# OWASP's list: what a spreadsheet treats as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def needs_escape(value: str) -> bool:
    """True when a spreadsheet would execute ``value``, or unescaping would change it."""
    if value.startswith(FORMULA_TRIGGERS):
        return True
    # "'=x" must survive a round trip: it is written "''=x" so that unescaping gives it back.
    return value.startswith(_QUOTE) and needs_escape(value[1:])


def escape_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text, never as a formula."""
    return _QUOTE + value if needs_escape(value) else value


def unescape_cell(value: str) -> str:
    """The text ``escape_cell`` was given (cells it did not change come back as they are)."""
    if value.startswith(_QUOTE) and needs_escape(value[1:]):
        return value[1:]
    return value
