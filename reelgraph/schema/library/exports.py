"""ExportFormat: what Mutation.exportLibrary writes."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class ExportFormat(Enum):
    LETTERBOXD = strawberry.enum_value(
        "LETTERBOXD", description="CSV files that Letterboxd's importer accepts, zipped."
    )
    JSON = strawberry.enum_value("JSON", description="Everything the server holds about the viewer.")
