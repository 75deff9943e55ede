-- The database and its two roles. Run once, as PostgreSQL's superuser:
--   sudo -u postgres psql -v owner_password="'...'" -v app_password="'...'" -f roles.sql
-- cpcm_owner owns the tables and runs the migrations; cpcm_app is what the app connects as: it owns nothing, so it
-- cannot drop the audit trail's triggers, TRUNCATE the trail or rewrite it.
CREATE ROLE cpcm_owner LOGIN PASSWORD :owner_password;
CREATE ROLE cpcm_app LOGIN PASSWORD :app_password;
CREATE DATABASE cpcm OWNER cpcm_owner;
