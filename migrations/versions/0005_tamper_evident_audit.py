"""tamper-evident audit trail, audit scope, sign-in throttling, installation settings, framework copy owners

- ``audit_records`` gets ``scope_agency_id`` (the agency of the record described: managers read their agency's
  records, whoever wrote them), ``previous_hash`` and ``record_hash`` (a SHA-256 chain, computed here for the
  records already there, in order); ``audit_chain_head`` holds the newest link. Besides UPDATE and DELETE,
  SQLite now refuses an INSERT that would replace a record, and PostgreSQL refuses TRUNCATE.
- ``installation_settings`` holds this installation's random salt (to pseudonymise unknown usernames and client
  addresses) and one-time markers (the first administrator).
- ``sign_in_throttle`` counts failed sign-ins per source.
- ``qaf_framework_versions.agency_id``: the agency whose facilitators may edit a contextualised copy (existing
  copies: the agency of the account that last changed them).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

from core.audit import GENESIS, HASHED_FIELDS, record_digest

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Which table holds the agency of a record named in the trail, and how to get there.
SCOPES = {
    "Agency": "SELECT id FROM agencies WHERE id = :id",
    "Account": "SELECT agency_id FROM accounts WHERE id = :id",
    "StaffMember": "SELECT agency_id FROM staff_members WHERE id = :id",
    "Team": "SELECT agency_id FROM teams WHERE id = :id",
    "TeamMembership": "SELECT t.agency_id FROM team_memberships m JOIN teams t ON t.id = m.team_id WHERE m.id = :id",
    "Assessment": "SELECT agency_id FROM qaf_assessments WHERE id = :id",
    "ComponentRating": "SELECT a.agency_id FROM qaf_component_ratings r JOIN qaf_assessments a "
                       "ON a.id = r.assessment_id WHERE r.id = :id",
    "Participant": "SELECT a.agency_id FROM qaf_participants p JOIN qaf_assessments a ON a.id = p.assessment_id "
                   "WHERE p.id = :id",
    "AssessmentMember": "SELECT a.agency_id FROM qaf_assessment_members m JOIN qaf_assessments a "
                        "ON a.id = m.assessment_id WHERE m.id = :id",
    "KeyAction": "SELECT agency_id FROM improvement_actions WHERE id = :id",
    "ImprovementAction": "SELECT agency_id FROM improvement_actions WHERE id = :id",
}


def _triggers(create: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in ("audit_records_no_update", "audit_records_no_delete", "audit_records_no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_change ON audit_records")
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_truncate ON audit_records")
    if not create:
        return
    if sqlite:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_records_no_{event.lower()} BEFORE {event} ON audit_records "
                       "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END")
        # INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers: refuse the insert itself.
        op.execute("CREATE TRIGGER audit_records_no_replace BEFORE INSERT ON audit_records "
                   "WHEN EXISTS (SELECT 1 FROM audit_records WHERE id = NEW.id OR uuid = NEW.uuid "
                   "OR record_hash = NEW.record_hash) "
                   "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END")
    else:
        op.execute("CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records "
                   "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()")
        op.execute("CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()")


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table("installation_settings",
                    sa.Column("key", sa.String(length=80), nullable=False),
                    sa.Column("value", sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint("key", name=op.f("pk_installation_settings")))
    op.execute(sa.text("INSERT INTO installation_settings (key, value) VALUES ('pseudonym_salt', :salt)")
               .bindparams(salt=secrets.token_hex(32)))
    op.create_table("sign_in_throttle",
                    sa.Column("source_key", sa.String(length=64), nullable=False),
                    sa.Column("failures", sa.Integer(), nullable=False),
                    sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
                    sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint("source_key", name=op.f("pk_sign_in_throttle")))
    with op.batch_alter_table("qaf_framework_versions") as batch_op:
        batch_op.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_qaf_framework_versions_agency_id_agencies"), "agencies",
                                    ["agency_id"], ["id"])
    op.execute("UPDATE qaf_framework_versions SET agency_id = (SELECT agency_id FROM accounts "
               "WHERE accounts.id = qaf_framework_versions.updated_by_id) WHERE parent_id IS NOT NULL")

    _triggers(create=False)
    with op.batch_alter_table("audit_records") as batch_op:
        batch_op.add_column(sa.Column("scope_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("record_hash", sa.String(length=64), nullable=True))
    records = sa.table("audit_records", sa.column("id", sa.Integer), sa.column("uuid", sa.Uuid),
                       sa.column("occurred_at", sa.DateTime(timezone=True)), sa.column("account_id", sa.Integer),
                       sa.column("actor_name", sa.String), sa.column("actor_agency_id", sa.Integer),
                       sa.column("action", sa.String), sa.column("entity_type", sa.String),
                       sa.column("entity_id", sa.String), sa.column("summary", sa.Text),
                       sa.column("changes", sa.JSON), sa.column("scope_agency_id", sa.Integer),
                       sa.column("previous_hash", sa.String), sa.column("record_hash", sa.String))
    previous, count, last_id = GENESIS, 0, 0
    rows = bind.execute(sa.select(records).order_by(records.c.id)).mappings().all()
    for row in rows:
        values = dict(row)
        scope_query = SCOPES.get(values["entity_type"])
        scope = None
        if scope_query and str(values["entity_id"]).isdigit():
            scope = bind.execute(sa.text(scope_query), {"id": int(values["entity_id"])}).scalar()
        values["scope_agency_id"] = scope if scope is not None else values["actor_agency_id"]
        values["previous_hash"] = previous
        previous = record_digest({name: values[name] for name in HASHED_FIELDS})
        bind.execute(records.update().where(records.c.id == values["id"]).values(
            scope_agency_id=values["scope_agency_id"], previous_hash=values["previous_hash"], record_hash=previous))
        count, last_id = count + 1, values["id"]
    with op.batch_alter_table("audit_records") as batch_op:
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("record_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_audit_records_record_hash"), ["record_hash"])
        batch_op.create_index(op.f("ix_audit_records_scope_agency_id"), ["scope_agency_id"])
    op.create_table("audit_chain_head",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("last_record_id", sa.Integer(), nullable=False),
                    sa.Column("last_hash", sa.String(length=64), nullable=False),
                    sa.Column("record_count", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")))
    op.execute(sa.text("INSERT INTO audit_chain_head (id, last_record_id, last_hash, record_count) "
                       "VALUES (1, :last_id, :last_hash, :count)")
               .bindparams(last_id=last_id, last_hash=previous, count=count))
    _triggers(create=True)


def downgrade() -> None:
    _triggers(create=False)
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_records") as batch_op:
        batch_op.drop_index(op.f("ix_audit_records_scope_agency_id"))
        batch_op.drop_constraint(op.f("uq_audit_records_record_hash"), type_="unique")
        batch_op.drop_column("record_hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("scope_agency_id")
    with op.batch_alter_table("qaf_framework_versions") as batch_op:
        batch_op.drop_constraint(op.f("fk_qaf_framework_versions_agency_id_agencies"), type_="foreignkey")
        batch_op.drop_column("agency_id")
    op.drop_table("sign_in_throttle")
    op.drop_table("installation_settings")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_records_no_{event.lower()} BEFORE {event} ON audit_records "
                       "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END")
    else:
        op.execute("CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records "
                   "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()")
