-- Statistics without reading every worker (#16 item 7): the counts of GET /api/stats/{province,
-- regency,district} (and the maps and reports built on them) summed from two small tables instead of
-- grouping every active worker of every company on each request (geo/stats/aggregates.py).
--
-- Writers only queue. A statement on companies, foreign_workers or inspections adds the ids of the
-- companies it touched to stats_dirty (statement triggers with transition tables: one INSERT per
-- statement, COPY included). No writer waits for another over these tables, and none computes a
-- count inside its own transaction.
--
-- stats_refresh(day), called by the statistics before they read, takes the queue and recomputes those
-- companies from the tables in one statement (one snapshot): it subtracts what each contributed when
-- last counted (stats_company, stats_company_workers) and adds what it contributes now. One refresh
-- runs at a time (it locks the stats_day row). A read uses the sums only when, in its own snapshot,
-- the queue is empty and they are counted on the read's day; otherwise it refreshes first, or reads
-- the tables. A committed write and its queue entry become visible together, so a read never uses
-- sums that miss a change it can see.
--
-- Day-dependent counts (RPTKA expired / ending within 90 days, worker permits expired / ending within
-- 30 and 90 days, inspections in the last 12 months) are those of stats_day.day. Counting on another
-- day queues only the companies with a date that falls in another bucket on that day.

CREATE TABLE stats_day (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    day      date  -- NULL: nothing counted yet
);
INSERT INTO stats_day DEFAULT VALUES;

CREATE TABLE stats_dirty (company_id bigint NOT NULL);

-- What each company contributed when last counted (no foreign keys: a deleted company's rows are
-- removed by the refresh that subtracts them).
CREATE TABLE stats_company (
    company_id      bigint PRIMARY KEY,
    regency_code    text NOT NULL,
    district_code   text NOT NULL,
    sector          text NOT NULL,
    rptka_status    text NOT NULL,     -- permit_status(rptka_valid_until, day)
    nationalities   text[] NOT NULL,   -- of its active workers, sorted: the nationality filter's companies
    inspections_12m integer NOT NULL   -- dated in (day - 12 months, day]
);
-- Its active workers per nationality. Sex and position level are counted in fixed columns: the CHECK
-- constraints of foreign_workers (0003) allow exactly these values (tests/test_stats_aggregates.py
-- holds the two lists together).
CREATE TABLE stats_company_workers (
    company_id         bigint NOT NULL,
    nationality        text NOT NULL,
    workers            integer NOT NULL,
    permits_expired    integer NOT NULL,  -- permit ends before day
    permits_30d        integer NOT NULL,  -- ends day .. day + 30
    permits_31_90d     integer NOT NULL,  -- ends day + 31 .. day + 90
    sex_l              integer NOT NULL,
    sex_p              integer NOT NULL,
    sex_unknown        integer NOT NULL,
    level_direktur     integer NOT NULL,
    level_komisaris    integer NOT NULL,
    level_manajer      integer NOT NULL,
    level_profesional  integer NOT NULL,
    level_konsultan    integer NOT NULL,
    PRIMARY KEY (company_id, nationality)
);

-- The sums the statistics read, keyed by what the filters select on (rows with nothing are deleted).
CREATE TABLE stats_company_counts (
    regency_code    text NOT NULL,
    district_code   text NOT NULL,
    sector          text NOT NULL,
    rptka_status    text NOT NULL,
    nationalities   text[] NOT NULL,
    companies       integer NOT NULL,
    inspected_12m   integer NOT NULL,  -- companies with an inspection in the last 12 months
    inspections_12m integer NOT NULL,
    UNIQUE (regency_code, district_code, sector, rptka_status, nationalities)
);
CREATE TABLE stats_worker_counts (
    regency_code       text NOT NULL,
    district_code      text NOT NULL,
    sector             text NOT NULL,
    rptka_status       text NOT NULL,
    nationality        text NOT NULL,
    workers            integer NOT NULL,
    permits_expired    integer NOT NULL,
    permits_30d        integer NOT NULL,
    permits_31_90d     integer NOT NULL,
    sex_l              integer NOT NULL,
    sex_p              integer NOT NULL,
    sex_unknown        integer NOT NULL,
    level_direktur     integer NOT NULL,
    level_komisaris    integer NOT NULL,
    level_manajer      integer NOT NULL,
    level_profesional  integer NOT NULL,
    level_konsultan    integer NOT NULL,
    UNIQUE (regency_code, district_code, sector, rptka_status, nationality)
);

-- A worker's permit ends on the earlier of permit_valid_until and itas_valid_until (the known one when
-- only one is); its bucket on day `d`, as geo/stats/common.py counts it.
CREATE FUNCTION stats_permit_bucket(until date, d date) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN until IS NULL THEN 'unknown'
                WHEN until < d THEN 'expired'
                WHEN until <= d + 30 THEN 'd30'
                WHEN until <= d + 90 THEN 'd90'
                ELSE 'later' END
$$;

CREATE FUNCTION stats_in_12m(on_day date, d date) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT on_day > (d - interval '12 months')::date AND on_day <= d
$$;

-- Whether the sums may answer for day `d` in the caller's snapshot.
CREATE FUNCTION stats_ready(d date) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (SELECT s.day FROM stats_day s) = d AND NOT EXISTS (SELECT 1 FROM stats_dirty)
$$;

-- Queues the companies whose counts differ between the days `counted_on` and `d` (all of them when
-- nothing was counted yet).
CREATE FUNCTION stats_queue_day_change(counted_on date, d date) RETURNS void LANGUAGE sql AS $$
    INSERT INTO stats_dirty (company_id)
    SELECT c.id FROM companies c WHERE counted_on IS NULL
    UNION
    SELECT c.id FROM companies c
     WHERE counted_on IS NOT NULL
       AND c.rptka_valid_until BETWEEN least(counted_on, d) AND greatest(counted_on, d) + 90
       AND permit_status(c.rptka_valid_until, counted_on) <> permit_status(c.rptka_valid_until, d)
    UNION
    SELECT w.company_id FROM foreign_workers w
     WHERE counted_on IS NOT NULL AND w.status = 'active'
       AND stats_permit_bucket(LEAST(w.permit_valid_until, w.itas_valid_until), counted_on)
           <> stats_permit_bucket(LEAST(w.permit_valid_until, w.itas_valid_until), d)
    UNION
    SELECT i.company_id FROM inspections i
     WHERE counted_on IS NOT NULL
       AND i.inspected_on > (least(counted_on, d) - interval '12 months')::date
       AND i.inspected_on <= greatest(counted_on, d)
       AND stats_in_12m(i.inspected_on, counted_on) <> stats_in_12m(i.inspected_on, d)
$$;

-- Counts the queued companies on day `d` (first moving every count to that day); returns how many.
CREATE FUNCTION stats_refresh(d date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    counted_on date;
    refreshed integer;
BEGIN
    -- One refresh at a time. READ COMMITTED: every statement below sees what the previous one did.
    SELECT s.day INTO counted_on FROM stats_day s FOR UPDATE;
    IF counted_on IS DISTINCT FROM d THEN
        PERFORM stats_queue_day_change(counted_on, d);
        UPDATE stats_day SET day = d;
    END IF;
    -- One statement: the queue taken, the tables read and the sums changed in the same snapshot.
    WITH queued AS (DELETE FROM stats_dirty RETURNING company_id),
    ids AS MATERIALIZED (SELECT DISTINCT company_id AS id FROM queued),
    co AS MATERIALIZED (
        SELECT c.id, c.regency_code, c.district_code, c.sector, permit_status(c.rptka_valid_until, d) AS rptka_status
          FROM companies c JOIN ids ON ids.id = c.id
    ),
    wn AS MATERIALIZED (
        SELECT w.company_id, w.nationality, count(*)::int AS workers,
               count(*) FILTER (WHERE w.bucket = 'expired')::int AS permits_expired,
               count(*) FILTER (WHERE w.bucket = 'd30')::int AS permits_30d,
               count(*) FILTER (WHERE w.bucket = 'd90')::int AS permits_31_90d,
               count(*) FILTER (WHERE w.sex = 'L')::int AS sex_l,
               count(*) FILTER (WHERE w.sex = 'P')::int AS sex_p,
               count(*) FILTER (WHERE w.sex IS NULL)::int AS sex_unknown,
               count(*) FILTER (WHERE w.position_level = 'direktur')::int AS level_direktur,
               count(*) FILTER (WHERE w.position_level = 'komisaris')::int AS level_komisaris,
               count(*) FILTER (WHERE w.position_level = 'manajer')::int AS level_manajer,
               count(*) FILTER (WHERE w.position_level = 'profesional')::int AS level_profesional,
               count(*) FILTER (WHERE w.position_level = 'konsultan')::int AS level_konsultan
          FROM (SELECT w.company_id, w.nationality, w.sex, w.position_level,
                       stats_permit_bucket(LEAST(w.permit_valid_until, w.itas_valid_until), d) AS bucket
                  FROM foreign_workers w JOIN co ON co.id = w.company_id
                 WHERE w.status = 'active') w
         GROUP BY 1, 2
    ),
    cn AS MATERIALIZED (
        SELECT co.id, co.regency_code, co.district_code, co.sector, co.rptka_status,
               coalesce(n.nationalities, '{}') AS nationalities, coalesce(i.n, 0) AS inspections_12m
          FROM co
          LEFT JOIN (SELECT company_id, array_agg(nationality ORDER BY nationality) AS nationalities
                       FROM wn GROUP BY 1) n ON n.company_id = co.id
          LEFT JOIN (SELECT i.company_id, count(*)::int AS n
                       FROM inspections i JOIN co ON co.id = i.company_id
                      WHERE stats_in_12m(i.inspected_on, d) GROUP BY 1) i ON i.company_id = co.id
    ),
    old_c AS MATERIALIZED (SELECT s.* FROM stats_company s JOIN ids ON ids.id = s.company_id),
    w_delta AS (
        SELECT regency_code, district_code, sector, rptka_status, nationality,
               sum(workers)::int AS workers, sum(permits_expired)::int AS permits_expired,
               sum(permits_30d)::int AS permits_30d, sum(permits_31_90d)::int AS permits_31_90d,
               sum(sex_l)::int AS sex_l, sum(sex_p)::int AS sex_p, sum(sex_unknown)::int AS sex_unknown,
               sum(level_direktur)::int AS level_direktur, sum(level_komisaris)::int AS level_komisaris,
               sum(level_manajer)::int AS level_manajer, sum(level_profesional)::int AS level_profesional,
               sum(level_konsultan)::int AS level_konsultan
          FROM (SELECT c.regency_code, c.district_code, c.sector, c.rptka_status, w.nationality,
                       w.workers, w.permits_expired, w.permits_30d, w.permits_31_90d, w.sex_l, w.sex_p,
                       w.sex_unknown, w.level_direktur, w.level_komisaris, w.level_manajer,
                       w.level_profesional, w.level_konsultan
                  FROM wn w JOIN cn c ON c.id = w.company_id
                UNION ALL
                SELECT o.regency_code, o.district_code, o.sector, o.rptka_status, w.nationality,
                       -w.workers, -w.permits_expired, -w.permits_30d, -w.permits_31_90d, -w.sex_l, -w.sex_p,
                       -w.sex_unknown, -w.level_direktur, -w.level_komisaris, -w.level_manajer,
                       -w.level_profesional, -w.level_konsultan
                  FROM stats_company_workers w JOIN old_c o ON o.company_id = w.company_id) d
         GROUP BY 1, 2, 3, 4, 5
        HAVING (sum(workers), sum(permits_expired), sum(permits_30d), sum(permits_31_90d), sum(sex_l), sum(sex_p),
                sum(sex_unknown), sum(level_direktur), sum(level_komisaris), sum(level_manajer),
                sum(level_profesional), sum(level_konsultan)) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ),
    c_delta AS (
        SELECT regency_code, district_code, sector, rptka_status, nationalities,
               sum(companies)::int AS companies, sum(inspected)::int AS inspected_12m,
               sum(inspections)::int AS inspections_12m
          FROM (SELECT regency_code, district_code, sector, rptka_status, nationalities, 1 AS companies,
                       (inspections_12m > 0)::int AS inspected, inspections_12m AS inspections
                  FROM cn
                UNION ALL
                SELECT regency_code, district_code, sector, rptka_status, nationalities, -1,
                       -(inspections_12m > 0)::int, -inspections_12m
                  FROM old_c) d
         GROUP BY 1, 2, 3, 4, 5
        HAVING (sum(companies), sum(inspected), sum(inspections)) <> (0, 0, 0)
    ),
    add_w AS (
        INSERT INTO stats_worker_counts AS t SELECT * FROM w_delta
        ON CONFLICT (regency_code, district_code, sector, rptka_status, nationality) DO UPDATE SET
            workers = t.workers + EXCLUDED.workers, permits_expired = t.permits_expired + EXCLUDED.permits_expired,
            permits_30d = t.permits_30d + EXCLUDED.permits_30d,
            permits_31_90d = t.permits_31_90d + EXCLUDED.permits_31_90d,
            sex_l = t.sex_l + EXCLUDED.sex_l, sex_p = t.sex_p + EXCLUDED.sex_p,
            sex_unknown = t.sex_unknown + EXCLUDED.sex_unknown,
            level_direktur = t.level_direktur + EXCLUDED.level_direktur,
            level_komisaris = t.level_komisaris + EXCLUDED.level_komisaris,
            level_manajer = t.level_manajer + EXCLUDED.level_manajer,
            level_profesional = t.level_profesional + EXCLUDED.level_profesional,
            level_konsultan = t.level_konsultan + EXCLUDED.level_konsultan
    ),
    add_c AS (
        INSERT INTO stats_company_counts AS t SELECT * FROM c_delta
        ON CONFLICT (regency_code, district_code, sector, rptka_status, nationalities) DO UPDATE SET
            companies = t.companies + EXCLUDED.companies, inspected_12m = t.inspected_12m + EXCLUDED.inspected_12m,
            inspections_12m = t.inspections_12m + EXCLUDED.inspections_12m
    ),
    put_w AS (
        INSERT INTO stats_company_workers AS t SELECT * FROM wn
        ON CONFLICT (company_id, nationality) DO UPDATE SET
            workers = EXCLUDED.workers, permits_expired = EXCLUDED.permits_expired,
            permits_30d = EXCLUDED.permits_30d, permits_31_90d = EXCLUDED.permits_31_90d,
            sex_l = EXCLUDED.sex_l, sex_p = EXCLUDED.sex_p, sex_unknown = EXCLUDED.sex_unknown,
            level_direktur = EXCLUDED.level_direktur, level_komisaris = EXCLUDED.level_komisaris,
            level_manajer = EXCLUDED.level_manajer, level_profesional = EXCLUDED.level_profesional,
            level_konsultan = EXCLUDED.level_konsultan
    ),
    drop_w AS (
        DELETE FROM stats_company_workers t USING ids
         WHERE t.company_id = ids.id
           AND NOT EXISTS (SELECT 1 FROM wn WHERE wn.company_id = t.company_id AND wn.nationality = t.nationality)
    ),
    put_c AS (
        INSERT INTO stats_company AS t SELECT * FROM cn
        ON CONFLICT (company_id) DO UPDATE SET
            regency_code = EXCLUDED.regency_code, district_code = EXCLUDED.district_code, sector = EXCLUDED.sector,
            rptka_status = EXCLUDED.rptka_status, nationalities = EXCLUDED.nationalities,
            inspections_12m = EXCLUDED.inspections_12m
    ),
    drop_c AS (
        DELETE FROM stats_company t USING ids
         WHERE t.company_id = ids.id AND NOT EXISTS (SELECT 1 FROM co WHERE co.id = t.company_id)
    )
    SELECT count(*) INTO refreshed FROM ids;
    -- A sum with no company or worker left is no row (what changed was added above).
    DELETE FROM stats_worker_counts WHERE workers = 0;
    DELETE FROM stats_company_counts WHERE companies = 0;
    RETURN refreshed;
END $$;

-- Queues the companies of the rows a statement wrote. TG_ARGV[0]: the company id column; for UPDATE,
-- only rows whose other named columns (TG_ARGV[1:], the ones counted) changed. Constants below.
CREATE FUNCTION stats_queue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    id_col text := quote_ident(TG_ARGV[0]);
    old_cols text;
    new_cols text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO stats_dirty (company_id) SELECT company_id FROM stats_company;
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO stats_dirty (company_id) SELECT DISTINCT %s FROM new_rows', id_col);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO stats_dirty (company_id) SELECT DISTINCT %s FROM old_rows', id_col);
    ELSE
        SELECT string_agg('o.' || quote_ident(c), ', '), string_agg('n.' || quote_ident(c), ', ')
          INTO old_cols, new_cols FROM unnest(TG_ARGV[1:]) AS c;
        EXECUTE format('INSERT INTO stats_dirty (company_id) SELECT DISTINCT v.id FROM old_rows o '
                       'JOIN new_rows n ON n.id = o.id CROSS JOIN LATERAL (VALUES (o.%1$s), (n.%1$s)) AS v(id) '
                       'WHERE (%2$s) IS DISTINCT FROM (%3$s)', id_col, old_cols, new_cols);
    END IF;
    RETURN NULL;
END $$;

-- One trigger per event: a trigger with transition tables may name only the tables its event has.
CREATE TRIGGER companies_stats_ins AFTER INSERT ON companies
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('id');
CREATE TRIGGER companies_stats_upd AFTER UPDATE ON companies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION stats_queue('id', 'regency_code', 'district_code', 'sector', 'rptka_valid_until');
CREATE TRIGGER companies_stats_del AFTER DELETE ON companies
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('id');
CREATE TRIGGER companies_stats_trunc AFTER TRUNCATE ON companies
    FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('id');

CREATE TRIGGER foreign_workers_stats_ins AFTER INSERT ON foreign_workers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');
CREATE TRIGGER foreign_workers_stats_upd AFTER UPDATE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION stats_queue('company_id', 'company_id', 'status', 'nationality', 'sex', 'position_level',
                                 'permit_valid_until', 'itas_valid_until');
CREATE TRIGGER foreign_workers_stats_del AFTER DELETE ON foreign_workers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');
CREATE TRIGGER foreign_workers_stats_trunc AFTER TRUNCATE ON foreign_workers
    FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');

CREATE TRIGGER inspections_stats_ins AFTER INSERT ON inspections
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');
CREATE TRIGGER inspections_stats_upd AFTER UPDATE ON inspections
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION stats_queue('company_id', 'company_id', 'inspected_on');
CREATE TRIGGER inspections_stats_del AFTER DELETE ON inspections
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');
CREATE TRIGGER inspections_stats_trunc AFTER TRUNCATE ON inspections
    FOR EACH STATEMENT EXECUTE FUNCTION stats_queue('company_id');

-- Backfill: count everything stored on the database's current date (the first read on the
-- province's day moves the counts to it).
SELECT stats_refresh(current_date);
