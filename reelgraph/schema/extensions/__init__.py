"""Schema extensions: the checks and bookkeeping around every operation."""
