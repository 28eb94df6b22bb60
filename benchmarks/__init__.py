"""Benchmarks of Baton's own plumbing (``baton bench ...``)."""
