-- What cpcm_app may do. Run after the first migration (`alembic upgrade head` as cpcm_owner), as cpcm_owner:
--   psql "postgresql://cpcm_owner@127.0.0.1/cpcm" -f grants.sql
-- Tables and sequences the owner creates later (an upgrade's migrations) get the same grants by default.
GRANT USAGE ON SCHEMA public TO cpcm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cpcm_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cpcm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cpcm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO cpcm_app;
-- The audit trail is append-only for the app: it adds records, never changes or removes one.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM cpcm_app;
