"""The store's rules: pure Python, no I/O, no framework (stdlib, pydantic and biip only)."""
