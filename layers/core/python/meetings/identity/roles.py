"""Backoffice roles."""

import enum


class UserRole(enum.StrEnum):
    MANAGER = "MANAGER"
    ENTITY_ADMIN = "ENTITY_ADMIN"
