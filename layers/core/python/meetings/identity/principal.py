"""The authenticated backoffice caller."""

from dataclasses import dataclass

from meetings.identity.roles import UserRole


@dataclass(frozen=True)
class Principal:
    """Who is calling the backoffice API."""

    user_id: int
    role: UserRole
    entity_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.role == UserRole.MANAGER

    def can_access_entity(self, entity_id: int | None) -> bool:
        """Managers see everything; an entity admin only their own entity (never independent rows)."""
        return self.is_manager or (entity_id is not None and entity_id == self.entity_id)
