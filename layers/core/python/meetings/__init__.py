"""Shared domain package of the meeting platform (deployed as the `core` Lambda layer)."""
