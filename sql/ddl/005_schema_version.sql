-- One row per schema version this database has been brought to (the first row: the version it was created
-- at). planadmin reads max(version): an older database is migrated by sql/migrations/ in one transaction, a
-- newer one is refused.
CREATE TABLE IF NOT EXISTS schema_version (
    version      INTEGER PRIMARY KEY,
    applied_at   TIMESTAMP NOT NULL,
    description  VARCHAR NOT NULL
);
