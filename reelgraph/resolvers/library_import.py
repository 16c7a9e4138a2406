"""Mutation.importLibrary (signed in, declared on the field) and Query.importJob (owner or admin)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from reelgraph.errors import BadUserInput
from reelgraph.library_files.parse import Source
from reelgraph.schema import ids
from reelgraph.schema.context import Info
from reelgraph.schema.errors import user_errors
from reelgraph.schema.library.imports import ImportJob, ImportPayload, LibrarySource


@user_errors(ImportPayload)
async def import_library(
    info: Info,
    file: Upload,
    # Not `source`: Strawberry's extensions take that name for the parent value.
    library_source: Annotated[LibrarySource, strawberry.argument(name="source")],
    dry_run: bool | None = False,
) -> ImportPayload:
    viewer = await info.context.signed_in_viewer()
    upload: Any = file
    if not callable(getattr(upload, "read", None)):  # a plain value in place of a multipart file
        raise BadUserInput("'file' must be a file sent with the GraphQL multipart request.", field="file")

    async def read(limit: int) -> bytes:
        # One byte past the limit is enough to know the file is too large; the rest stays unread.
        content = await upload.read(limit + 1)
        return bytes(content)

    filename = getattr(upload, "filename", None)
    row = await info.context.services.library_import.start(
        viewer.id,
        Source(library_source.value),
        read,
        filename if isinstance(filename, str) else None,
        bool(dry_run),
    )
    return ImportPayload(job=ImportJob.from_row(row))


async def import_job(info: Info, id: strawberry.ID) -> ImportJob | None:
    import_id = ids.row_argument(id, "ImportJob", "id")
    viewer = await info.context.viewer()
    row = (await info.context.services.library_import.get_many([import_id]))[0]
    if row is None or viewer is None or not viewer.is_owner_or_admin(row.owner_id):
        return None
    return ImportJob.from_row(row)
