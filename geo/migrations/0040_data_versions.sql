-- A version per data table, bumped by every statement that writes it (edits, imports, boundary
-- loads): caches (vector tiles) key on the versions of the tables they read, so a committed change
-- is seen by the next request. The bump updates one row under its lock, so the counter only grows
-- and concurrent writers of the same table queue on that row until they commit.
CREATE TABLE data_versions (
    name       text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_versions (name)
VALUES ('companies'), ('foreign_workers'), ('inspections'), ('boundaries');

CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions AS d (name) VALUES (TG_TABLE_NAME)
    ON CONFLICT (name) DO UPDATE SET version = d.version + 1, changed_at = now();
    RETURN NULL;
END $$;

CREATE TRIGGER companies_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON companies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER foreign_workers_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON foreign_workers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER inspections_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inspections
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER boundaries_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON boundaries
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
