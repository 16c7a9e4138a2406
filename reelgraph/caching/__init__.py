"""Caches, by what they keep: the shared store, upstream data in it, whole responses."""
