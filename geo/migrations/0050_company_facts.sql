-- Per-company facts that every page of companies shows on every row: the active foreign workers
-- (total and per nationality) and the date of the last inspection. Computing them per page cost
-- ~0.9 ms of a ~3 ms page (bench/RESULTS-features.md); here they are kept current by
-- statement-level triggers (they also fire on COPY), so a page reads one row per company.
--
-- Concurrency: a trigger first makes the facts rows of the companies its statement touched exist,
-- then locks them in id order, and only then recomputes them from the tables in a new statement.
-- A concurrent writer of the same companies holds those locks until it commits, so (READ COMMITTED:
-- each statement in the function takes a new snapshot) the recompute sees its committed rows;
-- under REPEATABLE READ or SERIALIZABLE the lock raises a serialization failure instead of
-- computing from a stale snapshot. Workers and inspections have a facts table each: a transaction
-- writing workers and one writing inspections never wait for each other's facts rows, so they
-- cannot deadlock over them across statements.
CREATE TABLE company_worker_facts (
    company_id      bigint PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    workers         integer NOT NULL DEFAULT 0 CHECK (workers >= 0),
    by_nationality  json NOT NULL DEFAULT '{}'::json  -- {ISO2: active workers}, keys sorted
);
CREATE TABLE company_inspection_facts (
    company_id      bigint PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    last_inspection date
);

-- Makes the facts rows of `ids` exist in `facts` and locks them in id order (see above).
CREATE FUNCTION lock_company_facts(facts regclass, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %s (company_id) SELECT id FROM unnest($1) AS u(id) ORDER BY id '
                   'ON CONFLICT (company_id) DO NOTHING', facts) USING ids;
    EXECUTE format('SELECT 1 FROM %s WHERE company_id = ANY($1) ORDER BY company_id FOR UPDATE', facts) USING ids;
END $$;

CREATE FUNCTION refresh_company_workers(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_company_facts('company_worker_facts', ids);
    UPDATE company_worker_facts f
       SET workers = coalesce(a.workers, 0), by_nationality = coalesce(a.by_nationality, '{}'::json)
      FROM unnest(ids) AS u(id)
      LEFT JOIN (SELECT x.company_id, sum(x.n)::int AS workers,
                        json_object_agg(x.nationality, x.n ORDER BY x.nationality) AS by_nationality
                   FROM (SELECT w.company_id, w.nationality, count(*) AS n FROM foreign_workers w
                          WHERE w.company_id = ANY(ids) AND w.status = 'active' GROUP BY 1, 2) x
                  GROUP BY 1) a ON a.company_id = u.id
     WHERE f.company_id = u.id;
END $$;

CREATE FUNCTION refresh_company_inspections(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_company_facts('company_inspection_facts', ids);
    UPDATE company_inspection_facts f
       SET last_inspection = (SELECT max(i.inspected_on) FROM inspections i WHERE i.company_id = f.company_id)
     WHERE f.company_id = ANY(ids);
END $$;

-- Only rows whose company, status or nationality changed matter to the workers' facts.
CREATE FUNCTION company_facts_workers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.company_id) INTO ids FROM new_rows n WHERE n.status = 'active';
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.company_id) INTO ids FROM old_rows o WHERE o.status = 'active';
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c) INTO ids FROM (
            SELECT unnest(ARRAY[o.company_id, n.company_id]) AS c
              FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.company_id, o.status, o.nationality) IS DISTINCT FROM (n.company_id, n.status, n.nationality)) s;
    ELSE  -- TRUNCATE
        UPDATE company_worker_facts SET workers = 0, by_nationality = '{}'::json WHERE workers <> 0;
        RETURN NULL;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM refresh_company_workers(ids);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION company_facts_inspections() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.company_id) INTO ids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.company_id) INTO ids FROM old_rows o;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c) INTO ids FROM (
            SELECT unnest(ARRAY[o.company_id, n.company_id]) AS c
              FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.company_id, o.inspected_on) IS DISTINCT FROM (n.company_id, n.inspected_on)) s;
    ELSE  -- TRUNCATE
        UPDATE company_inspection_facts SET last_inspection = NULL WHERE last_inspection IS NOT NULL;
        RETURN NULL;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM refresh_company_inspections(ids);
    END IF;
    RETURN NULL;
END $$;

-- One trigger per event: a trigger with transition tables may name only the tables its event has.
CREATE TRIGGER foreign_workers_facts_ins AFTER INSERT ON foreign_workers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_workers();
CREATE TRIGGER foreign_workers_facts_upd AFTER UPDATE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_workers();
CREATE TRIGGER foreign_workers_facts_del AFTER DELETE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_workers();
CREATE TRIGGER foreign_workers_facts_trunc AFTER TRUNCATE ON foreign_workers
    FOR EACH STATEMENT EXECUTE FUNCTION company_facts_workers();

CREATE TRIGGER inspections_facts_ins AFTER INSERT ON inspections
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_inspections();
CREATE TRIGGER inspections_facts_upd AFTER UPDATE ON inspections
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_inspections();
CREATE TRIGGER inspections_facts_del AFTER DELETE ON inspections
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION company_facts_inspections();
CREATE TRIGGER inspections_facts_trunc AFTER TRUNCATE ON inspections
    FOR EACH STATEMENT EXECUTE FUNCTION company_facts_inspections();

-- Backfill what is already stored with the triggers' own functions (the migration runs in one
-- transaction, under the tables' locks taken by CREATE TRIGGER, so no write slips in between).
SELECT refresh_company_workers(array_agg(DISTINCT company_id)) FROM foreign_workers WHERE status = 'active';
SELECT refresh_company_inspections(array_agg(DISTINCT company_id)) FROM inspections;
