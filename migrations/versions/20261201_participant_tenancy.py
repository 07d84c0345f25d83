"""Participants belong to a tenant: `participants.entity_id`, external ids unique per entity, and
professionals' external ids no longer unique across the platform.

Existing rows take the entity of their rooms when every room they are in belongs to one entity; rows
shared by several entities (the one AGENT participant every room used, a client added by two clinics)
stay without an owner: only a MANAGER may change them, and find-or-create no longer finds them. When
one entity holds the same external_id twice, the older row keeps the owner.

Revision ID: 20261201_participant_tenancy
Revises: 20261201_transcript_segments
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "20261201_participant_tenancy"
down_revision = "20261201_transcript_segments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("participants", sa.Column("entity_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_participants_entity_id_entities"), "participants", "entities", ["entity_id"], ["id"]
    )
    op.execute(
        """
        UPDATE participants p SET entity_id = owner.entity_id
        FROM (
            SELECT rp.participant_id, min(r.entity_id) AS entity_id
            FROM room_participants rp JOIN rooms r ON r.id = rp.room_id
            GROUP BY rp.participant_id
            HAVING count(DISTINCT r.entity_id) = 1 AND bool_and(r.entity_id IS NOT NULL)
        ) owner
        WHERE owner.participant_id = p.id
        """
    )
    op.execute(
        """
        UPDATE participants p SET entity_id = NULL
        WHERE p.external_id IS NOT NULL AND p.entity_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM participants older
            WHERE older.entity_id = p.entity_id AND older.external_id = p.external_id AND older.id < p.id
        )
        """
    )
    op.create_index(
        "idx_participants_entity",
        "participants",
        ["entity_id"],
        postgresql_where=sa.text("entity_id IS NOT NULL"),
    )
    op.create_index(
        "uq_participants_entity_external",
        "participants",
        ["entity_id", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL AND entity_id IS NOT NULL"),
    )
    op.drop_index("idx_professionals_external", table_name="professionals")
    op.create_index(
        "idx_professionals_external",
        "professionals",
        ["external_id"],
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("idx_professionals_external", table_name="professionals")
    op.create_index(
        "idx_professionals_external",
        "professionals",
        ["external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("uq_participants_entity_external", table_name="participants")
    op.drop_index("idx_participants_entity", table_name="participants")
    op.drop_constraint(op.f("fk_participants_entity_id_entities"), "participants", type_="foreignkey")
    op.drop_column("participants", "entity_id")
