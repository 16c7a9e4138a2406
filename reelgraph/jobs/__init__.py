"""Background jobs: plain async functions over the services, run by the task engine or in-process."""
