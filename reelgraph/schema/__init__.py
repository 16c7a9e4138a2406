"""The GraphQL schema: types per domain (<domain>/types.py), the entry points (root.py),
permissions, errors as data, the request context and the extensions around every operation."""
