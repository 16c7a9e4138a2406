"""One module per job; each registers its body with ``@job`` (see ``reelgraph.jobs.registry``)."""
