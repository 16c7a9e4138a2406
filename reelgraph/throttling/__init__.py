"""Limits on callers, on `limits` counters shared by the replicas: requests, sign-ins, failed sign-ins."""
