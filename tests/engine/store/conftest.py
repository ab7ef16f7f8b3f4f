"""Fixtures of the store tests: the PostgreSQL server is tests/conftest.py's ``postgres_server``."""
