"""Which optional parts a request's movie details carry.

Movie.releaseDates and Movie.certification read TMDb's ``release_dates``. When an operation
selects either, every movie details request it makes appends ``release_dates`` (one request per
movie, not two); every other operation's details request stays as lean as before.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, FieldNode, FragmentDefinitionNode, OperationDefinitionNode, SelectionNode
from strawberry.extensions import SchemaExtension

RELEASE_DATE_FIELDS = frozenset({"releaseDates", "certification"})
RELEASE_DATES_PART = "release_dates"


def selects_any(document: DocumentNode, names: frozenset[str]) -> bool:
    """Whether any operation or fragment of ``document`` selects a field named in ``names``."""
    pending: list[SelectionNode] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            pending.extend(definition.selection_set.selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode) and selection.name.value in names:
            return True
        selection_set = getattr(selection, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return False


class MovieParts(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        loaders = getattr(ec.context, "loaders", None)
        document = ec.graphql_document
        if loaders is not None and document is not None and selects_any(document, RELEASE_DATE_FIELDS):
            loaders.movie.extra_parts = (RELEASE_DATES_PART,)
        yield
