-- Foreign nationals in the statistics without running the presence rule on every request (#16
-- item 7): the foreign-national columns of GET /api/stats/{level} (and the maps and reports built on
-- region_stats with foreign=) sum a small table of counts kept current as data changes
-- (geo/stats/foreign.py), like the companies' aggregates of 0090.
--
-- The presence rule stays in one place: foreign_nationals_present(d, ids) below (the body of 0100's,
-- restricted to `ids` when given); foreign_nationals_present(d) calls it for everyone.
--
-- Writers only queue. A statement on foreign_national_stays, lodging_stays, foreign_workers,
-- foreign_nationals (nationality), lodgings (place) or companies (place: their workers) adds the ids
-- of the persons it may have moved to fn_present_dirty (statement triggers with transition tables).
--
-- fn_present_refresh(day, batch), called by the statistics before they read, takes queued persons and
-- counts them again by the rule in one statement: it subtracts each one's row of fn_present (where
-- and how they were counted) from fn_present_counts and fn_present_village_counts and adds the new one. One refresh at a time (it
-- locks the fn_present_day row). A read uses the counts only when, in its own snapshot, the queue is
-- empty and they are counted on the read's day (fn_present_ready); otherwise it reads the rule. A
-- committed write and its queue entry become visible together.
--
-- A new day queues only the persons with a date of the rule (begin or end of a stay, of a worker's
-- record or permit, of a lodging stay) between the counted day and the new one.

CREATE TABLE fn_present_day (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    day      date  -- NULL: nothing counted yet
);
INSERT INTO fn_present_day DEFAULT VALUES;

CREATE TABLE fn_present_dirty (foreign_national_id bigint NOT NULL);

-- Who was present on the counted day, and how they were counted (no foreign keys: a deleted person's
-- row is removed by the refresh that subtracts it). Codes only, no personal data.
CREATE TABLE fn_present (
    foreign_national_id bigint PRIMARY KEY,
    village_code        text,
    district_code       text,
    regency_code        text,
    nationality         text NOT NULL,
    purpose             text NOT NULL,  -- 'tidak_diketahui' for lodging-only guests
    permit_type         text NOT NULL
);

-- The sums the statistics read (rows with nothing are deleted): per district for the province,
-- regency and district levels, per village for the villages (several times the rows: each level reads
-- the smaller table that answers it). A worker's place may be unknown (a company outside every
-- village): NULLs are keys like any value.
CREATE TABLE fn_present_counts (
    district_code text,
    regency_code  text,
    nationality   text NOT NULL,
    purpose       text NOT NULL,
    permit_type   text NOT NULL,
    n             integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (district_code, regency_code, nationality, purpose, permit_type)
);
CREATE TABLE fn_present_village_counts (
    village_code  text,
    district_code text,
    regency_code  text,
    nationality   text NOT NULL,
    purpose       text NOT NULL,
    permit_type   text NOT NULL,
    n             integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (village_code, district_code, regency_code, nationality, purpose, permit_type)
);
CREATE INDEX fn_present_village_counts_district_idx ON fn_present_village_counts (district_code);
CREATE INDEX fn_present_village_counts_regency_idx ON fn_present_village_counts (regency_code);

-- The one presence rule (0100's text), for the persons `ids` only when given (NULL: everyone).
CREATE FUNCTION foreign_nationals_present(d date, ids bigint[])
RETURNS TABLE (foreign_national_id bigint, source text, purpose text, permit_type text,
               village_code text, district_code text, regency_code text, geom geometry(Point, 4326),
               sponsor_company_id bigint)
LANGUAGE sql STABLE AS $$
    WITH candidates AS (
        SELECT s.foreign_national_id, 'stay'::text AS source, 1 AS rank, s.valid_from AS since,
               s.purpose, s.permit_type, s.village_code, s.district_code, s.regency_code, s.geom,
               s.sponsor_company_id
          FROM foreign_national_stays s
         WHERE s.valid_from <= d AND (s.valid_until IS NULL OR s.valid_until >= d)
           AND (ids IS NULL OR s.foreign_national_id = ANY(ids))
        UNION ALL
        SELECT w.foreign_national_id, 'worker', 2, w.created_at::date,
               'bekerja', 'itas',
               CASE WHEN w.work_site IS NULL THEN c.village_code ELSE w.work_site_village_code END,
               coalesce(w.work_site_district_code, c.district_code),
               left(coalesce(w.work_site_district_code, c.district_code), 5), coalesce(w.work_site, c.geom),
               c.id
          FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.foreign_national_id IS NOT NULL
           AND (ids IS NULL OR w.foreign_national_id = ANY(ids))
           AND w.created_at::date <= d
           AND least(w.permit_valid_until, w.itas_valid_until) >= d
           AND (w.status = 'active' OR w.updated_at::date > d)
        UNION ALL
        SELECT ls.foreign_national_id, 'lodging', 3, ls.check_in,
               NULL, NULL, l.village_code, l.district_code, l.regency_code, l.geom, NULL
          FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id
         WHERE ls.check_in <= d AND ls.counted_until >= d
           AND (ids IS NULL OR ls.foreign_national_id = ANY(ids))
    )
    SELECT DISTINCT ON (c.foreign_national_id)
           c.foreign_national_id, c.source, c.purpose, c.permit_type, c.village_code, c.district_code,
           c.regency_code, c.geom, c.sponsor_company_id
      FROM candidates c
     ORDER BY c.foreign_national_id, c.rank, c.since DESC
$$;

-- Everyone: the same signature and result as 0100's (its callers are unchanged).
CREATE OR REPLACE FUNCTION foreign_nationals_present(d date)
RETURNS TABLE (foreign_national_id bigint, source text, purpose text, permit_type text,
               village_code text, district_code text, regency_code text, geom geometry(Point, 4326),
               sponsor_company_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT * FROM foreign_nationals_present(d, NULL::bigint[])
$$;

-- Whether the counts may answer for day `d` in the caller's snapshot.
CREATE FUNCTION fn_present_ready(d date) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (SELECT s.day FROM fn_present_day s) = d AND NOT EXISTS (SELECT 1 FROM fn_present_dirty)
$$;

-- Queues the persons whose presence may differ between the days `counted_on` and `d`: those with a
-- date of the rule in between (a superset: the refresh finds who really changed).
CREATE FUNCTION fn_present_queue_day_change(counted_on date, d date) RETURNS void LANGUAGE sql AS $$
    INSERT INTO fn_present_dirty (foreign_national_id)
    SELECT s.foreign_national_id FROM foreign_national_stays s
     WHERE s.valid_from BETWEEN least(counted_on, d) AND greatest(counted_on, d)
        OR s.valid_until BETWEEN least(counted_on, d) - 1 AND greatest(counted_on, d)
    UNION
    SELECT w.foreign_national_id FROM foreign_workers w
     WHERE w.foreign_national_id IS NOT NULL
       AND (w.created_at::date BETWEEN least(counted_on, d) AND greatest(counted_on, d)
            OR least(w.permit_valid_until, w.itas_valid_until) BETWEEN least(counted_on, d) - 1 AND greatest(counted_on, d)
            OR (w.status <> 'active' AND w.updated_at::date BETWEEN least(counted_on, d) - 1 AND greatest(counted_on, d)))
    UNION
    SELECT ls.foreign_national_id FROM lodging_stays ls
     WHERE ls.check_in BETWEEN least(counted_on, d) AND greatest(counted_on, d)
        OR ls.counted_until BETWEEN least(counted_on, d) - 1 AND greatest(counted_on, d)
$$;

-- Counts the queued persons (at most `batch`; NULL: all) on day `d`, first moving to that day;
-- returns how many were counted. Nothing counted yet: everyone, in one statement.
CREATE FUNCTION fn_present_refresh(d date, batch integer DEFAULT NULL) RETURNS integer LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan SET jit = off AS $$
DECLARE
    counted_on date;
    ids bigint[];
    counted integer;
BEGIN
    -- One refresh at a time. READ COMMITTED: every statement below sees what the previous one did.
    SELECT s.day INTO counted_on FROM fn_present_day s FOR UPDATE;
    IF counted_on IS NULL THEN
        DELETE FROM fn_present_dirty;
        DELETE FROM fn_present;
        DELETE FROM fn_present_counts;
        DELETE FROM fn_present_village_counts;
        INSERT INTO fn_present
        SELECT p.foreign_national_id, p.village_code, p.district_code, p.regency_code, n.nationality,
               coalesce(p.purpose, 'tidak_diketahui'), coalesce(p.permit_type, 'tidak_diketahui')
          FROM foreign_nationals_present(d) p JOIN foreign_nationals n ON n.id = p.foreign_national_id;
        GET DIAGNOSTICS counted = ROW_COUNT;
        INSERT INTO fn_present_village_counts
        SELECT village_code, district_code, regency_code, nationality, purpose, permit_type, count(*)
          FROM fn_present GROUP BY 1, 2, 3, 4, 5, 6;
        INSERT INTO fn_present_counts
        SELECT district_code, regency_code, nationality, purpose, permit_type, sum(n)
          FROM fn_present_village_counts GROUP BY 1, 2, 3, 4, 5;
        UPDATE fn_present_day SET day = d;
        RETURN counted;
    END IF;
    IF counted_on <> d THEN
        PERFORM fn_present_queue_day_change(counted_on, d);
        UPDATE fn_present_day SET day = d;
    END IF;
    SELECT array_agg(q.foreign_national_id) INTO ids
      FROM (SELECT DISTINCT foreign_national_id FROM fn_present_dirty LIMIT batch) q;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    -- Also entries queued since the line above: committed before this statement, so seen by the next.
    DELETE FROM fn_present_dirty WHERE foreign_national_id = ANY(ids);
    -- One statement: the tables read and the counts changed in the same snapshot.
    WITH now_p AS MATERIALIZED (
        SELECT p.foreign_national_id, p.village_code, p.district_code, p.regency_code, n.nationality,
               coalesce(p.purpose, 'tidak_diketahui') AS purpose,
               coalesce(p.permit_type, 'tidak_diketahui') AS permit_type
          FROM foreign_nationals_present(d, ids) p JOIN foreign_nationals n ON n.id = p.foreign_national_id
    ),
    old_p AS MATERIALIZED (SELECT f.* FROM fn_present f WHERE f.foreign_national_id = ANY(ids)),
    delta AS MATERIALIZED (
        SELECT village_code, district_code, regency_code, nationality, purpose, permit_type, sum(n)::int AS n
          FROM (SELECT village_code, district_code, regency_code, nationality, purpose, permit_type, 1 AS n FROM now_p
                UNION ALL
                SELECT village_code, district_code, regency_code, nationality, purpose, permit_type, -1 FROM old_p) x
         GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(n) <> 0
    ),
    add_v AS (
        INSERT INTO fn_present_village_counts AS t SELECT * FROM delta
        ON CONFLICT (village_code, district_code, regency_code, nationality, purpose, permit_type)
        DO UPDATE SET n = t.n + EXCLUDED.n
    ),
    add AS (
        INSERT INTO fn_present_counts AS t
        SELECT district_code, regency_code, nationality, purpose, permit_type, sum(n)::int FROM delta
         GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
        ON CONFLICT (district_code, regency_code, nationality, purpose, permit_type)
        DO UPDATE SET n = t.n + EXCLUDED.n
    ),
    put AS (
        INSERT INTO fn_present AS t SELECT * FROM now_p
        ON CONFLICT (foreign_national_id) DO UPDATE SET
            village_code = EXCLUDED.village_code, district_code = EXCLUDED.district_code,
            regency_code = EXCLUDED.regency_code, nationality = EXCLUDED.nationality,
            purpose = EXCLUDED.purpose, permit_type = EXCLUDED.permit_type
        WHERE t IS DISTINCT FROM EXCLUDED
    ),
    gone AS (
        DELETE FROM fn_present t
         USING (SELECT foreign_national_id FROM old_p EXCEPT SELECT foreign_national_id FROM now_p) g
         WHERE t.foreign_national_id = g.foreign_national_id
    )
    SELECT count(*) INTO counted FROM now_p;
    DELETE FROM fn_present_counts WHERE n = 0;
    DELETE FROM fn_present_village_counts WHERE n = 0;
    RETURN cardinality(ids);
END $$;

-- Queues the persons of the rows a statement wrote. TG_ARGV[0]: how a row leads to persons ('person':
-- its foreign_national_id column; 'lodging': the guests of the lodging `id`; 'company': the workers of
-- the company `id`; 'self': the row is the person); for UPDATE, only rows whose columns TG_ARGV[1:]
-- (the ones the rule reads) changed. Constants below.
CREATE FUNCTION fn_present_queue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    via text := TG_ARGV[0];
    col text := CASE TG_ARGV[0] WHEN 'person' THEN 'foreign_national_id' ELSE 'id' END;
    rows_sql text;
    old_cols text;
    new_cols text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO fn_present_dirty (foreign_national_id) SELECT foreign_national_id FROM fn_present;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        rows_sql := format('SELECT n.%I AS id FROM new_rows n', col);
    ELSIF TG_OP = 'DELETE' THEN
        rows_sql := format('SELECT o.%I AS id FROM old_rows o', col);
    ELSE
        SELECT string_agg('o.' || quote_ident(c), ', '), string_agg('n.' || quote_ident(c), ', ')
          INTO old_cols, new_cols FROM unnest(TG_ARGV[1:]) AS c;
        rows_sql := format('SELECT v.id FROM old_rows o JOIN new_rows n ON n.id = o.id '
                           'CROSS JOIN LATERAL (VALUES (o.%1$I), (n.%1$I)) AS v(id) '
                           'WHERE (%2$s) IS DISTINCT FROM (%3$s)', col, old_cols, new_cols);
    END IF;
    EXECUTE CASE via
        WHEN 'lodging' THEN 'INSERT INTO fn_present_dirty (foreign_national_id) SELECT DISTINCT ls.foreign_national_id '
                            'FROM lodging_stays ls WHERE ls.lodging_id IN (' || rows_sql || ')'
        WHEN 'company' THEN 'INSERT INTO fn_present_dirty (foreign_national_id) SELECT DISTINCT w.foreign_national_id '
                            'FROM foreign_workers w WHERE w.company_id IN (' || rows_sql || ') '
                            'AND w.foreign_national_id IS NOT NULL'
        ELSE 'INSERT INTO fn_present_dirty (foreign_national_id) SELECT DISTINCT r.id FROM (' || rows_sql || ') r '
             'WHERE r.id IS NOT NULL'
    END;
    RETURN NULL;
END $$;

-- One trigger per event: a trigger with transition tables may name only the tables its event has.
CREATE TRIGGER foreign_national_stays_present_ins AFTER INSERT ON foreign_national_stays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER foreign_national_stays_present_upd AFTER UPDATE ON foreign_national_stays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('person', 'foreign_national_id', 'permit_type', 'valid_from', 'valid_until',
                                      'purpose', 'village_code', 'district_code', 'regency_code');
CREATE TRIGGER foreign_national_stays_present_del AFTER DELETE ON foreign_national_stays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER foreign_national_stays_present_trunc AFTER TRUNCATE ON foreign_national_stays
    FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');

CREATE TRIGGER lodging_stays_present_ins AFTER INSERT ON lodging_stays
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER lodging_stays_present_upd AFTER UPDATE ON lodging_stays
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('person', 'foreign_national_id', 'lodging_id', 'check_in', 'counted_until');
CREATE TRIGGER lodging_stays_present_del AFTER DELETE ON lodging_stays
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER lodging_stays_present_trunc AFTER TRUNCATE ON lodging_stays
    FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');

-- updated_at is read by the rule for workers no longer active, so any change of one queues its person.
CREATE TRIGGER foreign_workers_present_ins AFTER INSERT ON foreign_workers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER foreign_workers_present_upd AFTER UPDATE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('person', 'foreign_national_id', 'company_id', 'status', 'created_at',
                                      'updated_at', 'permit_valid_until', 'itas_valid_until', 'work_site',
                                      'work_site_district_code', 'work_site_village_code');
CREATE TRIGGER foreign_workers_present_del AFTER DELETE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');
CREATE TRIGGER foreign_workers_present_trunc AFTER TRUNCATE ON foreign_workers
    FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('person');

-- A new person is present only through a stay, record or lodging stay (queued by those); a deleted
-- one's stays go with it (cascades, queued) and its worker records keep it.
CREATE TRIGGER foreign_nationals_present_upd AFTER UPDATE ON foreign_nationals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('self', 'nationality');
CREATE TRIGGER foreign_nationals_present_del AFTER DELETE ON foreign_nationals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fn_present_queue('self');

CREATE TRIGGER lodgings_present_upd AFTER UPDATE ON lodgings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('lodging', 'village_code', 'district_code', 'regency_code');
CREATE TRIGGER companies_present_upd AFTER UPDATE ON companies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION fn_present_queue('company', 'village_code', 'district_code');

-- Backfill: everyone present on the database's current date (the first read on the province's day
-- moves the counts to it).
SELECT fn_present_refresh(current_date);
