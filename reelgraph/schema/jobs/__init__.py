"""Background jobs on the wire: the admin view of job runs."""
