"""Phase 1, core tables (manager): users, entities, departments, professionals and their links,
the pgvector extension and the knowledge base.

Revision ID: 0001_core
Revises: None
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

from meetings.settings import get_settings

# The embedding column's size is fixed when the table is created (EMBEDDING_DIM): 384 for both
# multilingual-e5-small in production and the packaged all-MiniLM-L6-v2 in development and tests.
EMBEDDING_DIM = get_settings().embedding_dim

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("default_instructions", sa.Text(), nullable=True),
        sa.Column("max_participants", sa.Integer(), server_default=sa.text("50"), nullable=False),
        sa.Column("recording_retention_days", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "default_instructions IS NULL OR char_length(default_instructions) <= 8000",
            name=op.f("ck_entities_default_instructions_length"),
        ),
        sa.CheckConstraint(
            "max_participants BETWEEN 2 AND 1000", name=op.f("ck_entities_max_participants_range")
        ),
        sa.CheckConstraint(
            "recording_retention_days IN (30, 90, 365)", name=op.f("ck_entities_retention_days_choice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
    )
    op.create_index(
        "idx_entities_active", "entities", ["active"], unique=False, postgresql_where=sa.text("active = true")
    )
    op.create_index("idx_entities_type", "entities", ["type"], unique=False)
    op.create_table(
        "professionals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=254), nullable=True),
        sa.Column("license_number", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "phone_number ~ '^\\+[1-9][0-9]{1,14}$'", name=op.f("ck_professionals_phone_e164")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professionals")),
    )
    op.create_index(
        "idx_professionals_active",
        "professionals",
        ["active"],
        unique=False,
        postgresql_where=sa.text("active = true"),
    )
    op.create_index(
        "idx_professionals_email",
        "professionals",
        ["email"],
        unique=False,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "idx_professionals_external",
        "professionals",
        ["external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("idx_professionals_phone", "professionals", ["phone_number"], unique=False)
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "instructions IS NULL OR char_length(instructions) <= 8000",
            name=op.f("ck_departments_instructions_length"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_department_entity", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("id", "entity_id", name="uq_departments_id_entity"),
    )
    op.create_index(
        "idx_departments_active",
        "departments",
        ["entity_id", "active"],
        unique=False,
        postgresql_where=sa.text("active = true"),
    )
    op.create_index("idx_departments_entity", "departments", ["entity_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("role", sa.Enum("MANAGER", "ENTITY_ADMIN", name="user_role"), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(role = 'MANAGER' AND entity_id IS NULL) OR (role = 'ENTITY_ADMIN' AND entity_id IS NOT NULL)",
            name=op.f("ck_users_role_entity"),
        ),
        sa.CheckConstraint(
            "password ~ '^\\$2[aby]\\$(1[0-9]|2[0-9]|3[01])\\$[./A-Za-z0-9]{53}$'",
            name=op.f("ck_users_password_bcrypt"),
        ),
        sa.CheckConstraint("phone_number ~ '^\\+[1-9][0-9]{1,14}$'", name=op.f("ck_users_phone_e164")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name=op.f("fk_users_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(
        "idx_users_active", "users", ["active"], unique=False, postgresql_where=sa.text("active = true")
    )
    op.create_index("idx_users_email", "users", ["email"], unique=True)
    op.create_index(
        "idx_users_entity",
        "users",
        ["entity_id"],
        unique=False,
        postgresql_where=sa.text("entity_id IS NOT NULL"),
    )
    op.create_index("idx_users_phone", "users", ["phone_number"], unique=False)
    op.create_table(
        "login_throttles",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("failed_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "professional_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_professional_entities_department_same_entity",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_professional_entities_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_professional_entities_professional_id_professionals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professional_entities")),
    )
    op.create_index(
        "idx_prof_entity_department",
        "professional_entities",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index("idx_prof_entity_entity", "professional_entities", ["entity_id"], unique=False)
    op.create_index(
        "idx_prof_entity_professional", "professional_entities", ["professional_id"], unique=False
    )
    op.create_index(
        "idx_prof_entity_unique",
        "professional_entities",
        ["professional_id", "entity_id", "department_id"],
        unique=True,
        postgresql_where=sa.text("active = true"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "knowledge_base",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("document_name", sa.String(length=255), nullable=False),
        sa.Column("chunk_text", sa.Text(), nullable=False),
        sa.Column("embedding", Vector(EMBEDDING_DIM), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "COALESCE(jsonb_typeof(metadata -> 'page') = 'number' AND jsonb_typeof(metadata -> 'chunk_index') = 'number' AND jsonb_typeof(metadata -> 'total_chunks') = 'number', false)",
            name=op.f("ck_knowledge_base_metadata_shape"),
        ),
        sa.CheckConstraint(
            "chunk_text IS NULL OR char_length(chunk_text) <= 2000",
            name=op.f("ck_knowledge_base_chunk_text_length"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_knowledge_base_department_same_entity",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_knowledge_base_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_base")),
    )
    op.create_index(
        "idx_kb_department",
        "knowledge_base",
        ["department_id"],
        unique=False,
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.create_index(
        "idx_kb_embedding",
        "knowledge_base",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index("idx_kb_entity", "knowledge_base", ["entity_id"], unique=False)
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("document_name", sa.String(length=255), nullable=False),
        sa.Column("s3_key", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("source_etag", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("PENDING", "READY", "FAILED", name="knowledge_document_status"),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id", "entity_id"],
            ["departments.id", "departments.entity_id"],
            name="fk_knowledge_documents_department_same_entity",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_knowledge_documents_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_knowledge_documents_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
    )
    op.create_index(
        "uq_knowledge_documents_scope_name",
        "knowledge_documents",
        ["entity_id", "department_id", "document_name"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    # Expression indexes: names are unique case-insensitively among active rows.
    op.execute("CREATE UNIQUE INDEX uq_entities_active_name ON entities (lower(name)) WHERE active = true")
    op.execute(
        "CREATE UNIQUE INDEX uq_departments_entity_active_name "
        "ON departments (entity_id, lower(name)) WHERE active = true"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS uq_departments_entity_active_name")
    op.execute("DROP INDEX IF EXISTS uq_entities_active_name")
    op.drop_index(
        "uq_knowledge_documents_scope_name",
        table_name="knowledge_documents",
        postgresql_nulls_not_distinct=True,
    )
    op.drop_table("knowledge_documents")
    op.drop_index("idx_kb_entity", table_name="knowledge_base")
    op.drop_index(
        "idx_kb_embedding",
        table_name="knowledge_base",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_index(
        "idx_kb_department",
        table_name="knowledge_base",
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.drop_table("knowledge_base")
    op.drop_index(
        "idx_prof_entity_unique",
        table_name="professional_entities",
        postgresql_where=sa.text("active = true"),
        postgresql_nulls_not_distinct=True,
    )
    op.drop_index("idx_prof_entity_professional", table_name="professional_entities")
    op.drop_index("idx_prof_entity_entity", table_name="professional_entities")
    op.drop_index(
        "idx_prof_entity_department",
        table_name="professional_entities",
        postgresql_where=sa.text("department_id IS NOT NULL"),
    )
    op.drop_table("professional_entities")
    op.drop_table("login_throttles")
    op.drop_index("idx_users_phone", table_name="users")
    op.drop_index("idx_users_entity", table_name="users", postgresql_where=sa.text("entity_id IS NOT NULL"))
    op.drop_index("idx_users_email", table_name="users")
    op.drop_index("idx_users_active", table_name="users", postgresql_where=sa.text("active = true"))
    op.drop_table("users")
    op.drop_index("idx_departments_entity", table_name="departments")
    op.drop_index(
        "idx_departments_active", table_name="departments", postgresql_where=sa.text("active = true")
    )
    op.drop_table("departments")
    op.drop_index("idx_professionals_phone", table_name="professionals")
    op.drop_index(
        "idx_professionals_external",
        table_name="professionals",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index(
        "idx_professionals_email", table_name="professionals", postgresql_where=sa.text("email IS NOT NULL")
    )
    op.drop_index(
        "idx_professionals_active", table_name="professionals", postgresql_where=sa.text("active = true")
    )
    op.drop_table("professionals")
    op.drop_index("idx_entities_type", table_name="entities")
    op.drop_index("idx_entities_active", table_name="entities", postgresql_where=sa.text("active = true"))
    op.drop_table("entities")
    sa.Enum(name="knowledge_document_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="user_role").drop(op.get_bind(), checkfirst=True)
