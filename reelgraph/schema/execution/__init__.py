"""The execution layer: graphql-core's executor with a cache of completed movie subtrees."""
