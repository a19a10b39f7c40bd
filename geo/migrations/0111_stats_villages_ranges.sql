-- Villages and RPTKA date ranges from the statistics' aggregates (#16 item 7), instead of counted
-- from the tables (geo/stats/aggregates.py):
-- - what the sums of 0090 do not key, the company's village (companies.village_code, 0100) and its
--   RPTKA end date, kept in its rows of stats_company and stats_company_workers, with the company's
--   place, sector and RPTKA status also in its workers' rows: villages are summed from these two
--   tables alone, filtered like the sums;
-- - the sums of 0090 also per month of the RPTKA end date (stats_company_months,
--   stats_worker_months; companies with a known date only): a date range sums the months it covers
--   whole, and the per-company rows of the days at its two ends.
--
-- A move within a district changes only the village: it now queues the company too. stats_refresh
-- as in 0096, also writing the new columns and month sums from the same snapshot as the counts.

ALTER TABLE stats_company ADD COLUMN village_code text, ADD COLUMN rptka_valid_until date;
ALTER TABLE stats_company_workers ADD COLUMN regency_code text, ADD COLUMN district_code text,
    ADD COLUMN village_code text, ADD COLUMN sector text, ADD COLUMN rptka_status text,
    ADD COLUMN rptka_valid_until date;

-- The rows counted so far: their company's values now; one queued since is counted again anyway.
UPDATE stats_company s SET village_code = c.village_code, rptka_valid_until = c.rptka_valid_until
  FROM companies c WHERE c.id = s.company_id;
UPDATE stats_company_workers w
   SET regency_code = s.regency_code, district_code = s.district_code, village_code = s.village_code,
       sector = s.sector, rptka_status = s.rptka_status, rptka_valid_until = s.rptka_valid_until
  FROM stats_company s WHERE s.company_id = w.company_id;
-- A worker row without its company row (none expected): counted again by the next refresh.
INSERT INTO stats_dirty (company_id) SELECT DISTINCT company_id FROM stats_company_workers WHERE regency_code IS NULL;
DELETE FROM stats_company_workers WHERE regency_code IS NULL;
ALTER TABLE stats_company_workers ALTER COLUMN regency_code SET NOT NULL, ALTER COLUMN district_code SET NOT NULL,
    ALTER COLUMN sector SET NOT NULL, ALTER COLUMN rptka_status SET NOT NULL;

-- Villages of a regency or a district, and the days at a date range's ends, read these.
CREATE INDEX stats_company_regency_idx ON stats_company (regency_code);
CREATE INDEX stats_company_district_idx ON stats_company (district_code);
CREATE INDEX stats_company_rptka_idx ON stats_company (rptka_valid_until);
CREATE INDEX stats_company_workers_regency_idx ON stats_company_workers (regency_code);
CREATE INDEX stats_company_workers_district_idx ON stats_company_workers (district_code);
CREATE INDEX stats_company_workers_rptka_idx ON stats_company_workers (rptka_valid_until);

CREATE TABLE stats_company_months (
    regency_code    text NOT NULL,
    district_code   text NOT NULL,
    sector          text NOT NULL,
    rptka_status    text NOT NULL,
    nationalities   text[] NOT NULL,
    month           date NOT NULL,  -- first day of the RPTKA end date's month
    companies       integer NOT NULL,
    inspected_12m   integer NOT NULL,
    inspections_12m integer NOT NULL,
    UNIQUE (regency_code, district_code, sector, rptka_status, nationalities, month)
);
CREATE TABLE stats_worker_months (
    regency_code       text NOT NULL,
    district_code      text NOT NULL,
    sector             text NOT NULL,
    rptka_status       text NOT NULL,
    nationality        text NOT NULL,
    month              date NOT NULL,
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
    UNIQUE (regency_code, district_code, sector, rptka_status, nationality, month)
);
CREATE INDEX stats_company_months_month_idx ON stats_company_months (month);
CREATE INDEX stats_worker_months_month_idx ON stats_worker_months (month);
CREATE INDEX stats_company_months_empty_idx ON stats_company_months (companies) WHERE companies = 0;
CREATE INDEX stats_worker_months_empty_idx ON stats_worker_months (workers) WHERE workers = 0;
INSERT INTO stats_company_months
SELECT regency_code, district_code, sector, rptka_status, nationalities, date_trunc('month', rptka_valid_until)::date,
       count(*), count(*) FILTER (WHERE inspections_12m > 0), sum(inspections_12m)
  FROM stats_company WHERE rptka_valid_until IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_worker_months
SELECT regency_code, district_code, sector, rptka_status, nationality, date_trunc('month', rptka_valid_until)::date,
       sum(workers), sum(permits_expired), sum(permits_30d), sum(permits_31_90d), sum(sex_l), sum(sex_p),
       sum(sex_unknown), sum(level_direktur), sum(level_komisaris), sum(level_manajer), sum(level_profesional),
       sum(level_konsultan)
  FROM stats_company_workers WHERE rptka_valid_until IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

-- The summary's inspections of the quarter by finding (geo/stats/aggregates.py summary_sql) from the
-- index alone, without visiting the inspection rows.
CREATE INDEX inspections_date_finding_idx ON inspections (inspected_on) INCLUDE (company_id, finding);

DROP TRIGGER companies_stats_upd ON companies;
CREATE TRIGGER companies_stats_upd AFTER UPDATE ON companies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION stats_queue('id', 'regency_code', 'district_code', 'sector', 'rptka_valid_until', 'village_code');

CREATE OR REPLACE FUNCTION stats_refresh(d date, batch integer DEFAULT NULL) RETURNS integer LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan SET random_page_cost = 1.1 SET jit = off AS $$
DECLARE
    counted_on date;
    ids bigint[];
    existing integer;
BEGIN
    -- One refresh at a time. READ COMMITTED: every statement below sees what the previous one did.
    SELECT s.day INTO counted_on FROM stats_day s FOR UPDATE;
    IF counted_on IS DISTINCT FROM d THEN
        PERFORM stats_queue_day_change(counted_on, d);
        UPDATE stats_day SET day = d;
    END IF;
    SELECT array_agg(q.company_id) INTO ids FROM (SELECT DISTINCT company_id FROM stats_dirty LIMIT batch) q;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    -- Also entries queued since the line above: committed before this statement, so seen by the next.
    DELETE FROM stats_dirty WHERE company_id = ANY(ids);
    -- One statement: the tables read and the sums changed in the same snapshot. A write committed
    -- since the queue was taken is seen here and queued again: the next refresh counts it again,
    -- which changes nothing. Each plan is made for this many ids (plan_cache_mode above).
    WITH co AS MATERIALIZED (
        SELECT c.id, c.regency_code, c.district_code, c.sector, permit_status(c.rptka_valid_until, d) AS rptka_status,
               c.village_code, c.rptka_valid_until
          FROM companies c WHERE c.id = ANY(ids)
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
                  FROM foreign_workers w
                 WHERE w.company_id = ANY(ids) AND w.status = 'active') w
         GROUP BY 1, 2
    ),
    cn AS MATERIALIZED (
        SELECT co.id, co.regency_code, co.district_code, co.sector, co.rptka_status,
               coalesce(n.nationalities, '{}') AS nationalities, coalesce(i.n, 0) AS inspections_12m,
               co.village_code, co.rptka_valid_until
          FROM co
          LEFT JOIN (SELECT company_id, array_agg(nationality ORDER BY nationality) AS nationalities
                       FROM wn GROUP BY 1) n ON n.company_id = co.id
          LEFT JOIN (SELECT i.company_id, count(*)::int AS n
                       FROM inspections i
                      WHERE i.company_id = ANY(ids) AND stats_in_12m(i.inspected_on, d) GROUP BY 1) i ON i.company_id = co.id
    ),
    old_c AS MATERIALIZED (SELECT s.* FROM stats_company s WHERE s.company_id = ANY(ids)),
    old_w AS MATERIALIZED (SELECT w.* FROM stats_company_workers w WHERE w.company_id = ANY(ids)),
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
                  FROM old_w w JOIN old_c o ON o.company_id = w.company_id) d
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
    cm_delta AS (
        SELECT regency_code, district_code, sector, rptka_status, nationalities, month,
               sum(companies)::int AS companies, sum(inspected)::int AS inspected_12m,
               sum(inspections)::int AS inspections_12m
          FROM (SELECT regency_code, district_code, sector, rptka_status, nationalities,
                       date_trunc('month', rptka_valid_until)::date AS month, 1 AS companies,
                       (inspections_12m > 0)::int AS inspected, inspections_12m AS inspections
                  FROM cn WHERE rptka_valid_until IS NOT NULL
                UNION ALL
                SELECT regency_code, district_code, sector, rptka_status, nationalities,
                       date_trunc('month', rptka_valid_until)::date, -1, -(inspections_12m > 0)::int, -inspections_12m
                  FROM old_c WHERE rptka_valid_until IS NOT NULL) d
         GROUP BY 1, 2, 3, 4, 5, 6
        HAVING (sum(companies), sum(inspected), sum(inspections)) <> (0, 0, 0)
    ),
    wm_delta AS (
        SELECT regency_code, district_code, sector, rptka_status, nationality, month,
               sum(workers)::int AS workers, sum(permits_expired)::int AS permits_expired,
               sum(permits_30d)::int AS permits_30d, sum(permits_31_90d)::int AS permits_31_90d,
               sum(sex_l)::int AS sex_l, sum(sex_p)::int AS sex_p, sum(sex_unknown)::int AS sex_unknown,
               sum(level_direktur)::int AS level_direktur, sum(level_komisaris)::int AS level_komisaris,
               sum(level_manajer)::int AS level_manajer, sum(level_profesional)::int AS level_profesional,
               sum(level_konsultan)::int AS level_konsultan
          FROM (SELECT c.regency_code, c.district_code, c.sector, c.rptka_status, w.nationality,
                       date_trunc('month', c.rptka_valid_until)::date AS month,
                       w.workers, w.permits_expired, w.permits_30d, w.permits_31_90d, w.sex_l, w.sex_p,
                       w.sex_unknown, w.level_direktur, w.level_komisaris, w.level_manajer,
                       w.level_profesional, w.level_konsultan
                  FROM wn w JOIN cn c ON c.id = w.company_id WHERE c.rptka_valid_until IS NOT NULL
                UNION ALL
                SELECT o.regency_code, o.district_code, o.sector, o.rptka_status, w.nationality,
                       date_trunc('month', o.rptka_valid_until)::date,
                       -w.workers, -w.permits_expired, -w.permits_30d, -w.permits_31_90d, -w.sex_l, -w.sex_p,
                       -w.sex_unknown, -w.level_direktur, -w.level_komisaris, -w.level_manajer,
                       -w.level_profesional, -w.level_konsultan
                  FROM old_w w JOIN old_c o ON o.company_id = w.company_id WHERE o.rptka_valid_until IS NOT NULL) d
         GROUP BY 1, 2, 3, 4, 5, 6
        HAVING (sum(workers), sum(permits_expired), sum(permits_30d), sum(permits_31_90d), sum(sex_l), sum(sex_p),
                sum(sex_unknown), sum(level_direktur), sum(level_komisaris), sum(level_manajer),
                sum(level_profesional), sum(level_konsultan)) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ),
    add_wm AS (
        INSERT INTO stats_worker_months AS t SELECT * FROM wm_delta
        ON CONFLICT (regency_code, district_code, sector, rptka_status, nationality, month) DO UPDATE SET
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
    add_cm AS (
        INSERT INTO stats_company_months AS t SELECT * FROM cm_delta
        ON CONFLICT (regency_code, district_code, sector, rptka_status, nationalities, month) DO UPDATE SET
            companies = t.companies + EXCLUDED.companies, inspected_12m = t.inspected_12m + EXCLUDED.inspected_12m,
            inspections_12m = t.inspections_12m + EXCLUDED.inspections_12m
    ),
    add_c AS (
        INSERT INTO stats_company_counts AS t SELECT * FROM c_delta
        ON CONFLICT (regency_code, district_code, sector, rptka_status, nationalities) DO UPDATE SET
            companies = t.companies + EXCLUDED.companies, inspected_12m = t.inspected_12m + EXCLUDED.inspected_12m,
            inspections_12m = t.inspections_12m + EXCLUDED.inspections_12m
    ),
    put_w AS (
        INSERT INTO stats_company_workers AS t
        SELECT w.*, c.regency_code, c.district_code, c.village_code, c.sector, c.rptka_status, c.rptka_valid_until
          FROM wn w JOIN cn c ON c.id = w.company_id
        ON CONFLICT (company_id, nationality) DO UPDATE SET
            workers = EXCLUDED.workers, permits_expired = EXCLUDED.permits_expired,
            permits_30d = EXCLUDED.permits_30d, permits_31_90d = EXCLUDED.permits_31_90d,
            sex_l = EXCLUDED.sex_l, sex_p = EXCLUDED.sex_p, sex_unknown = EXCLUDED.sex_unknown,
            level_direktur = EXCLUDED.level_direktur, level_komisaris = EXCLUDED.level_komisaris,
            level_manajer = EXCLUDED.level_manajer, level_profesional = EXCLUDED.level_profesional,
            level_konsultan = EXCLUDED.level_konsultan,
            regency_code = EXCLUDED.regency_code, district_code = EXCLUDED.district_code,
            village_code = EXCLUDED.village_code, sector = EXCLUDED.sector, rptka_status = EXCLUDED.rptka_status,
            rptka_valid_until = EXCLUDED.rptka_valid_until
        WHERE t IS DISTINCT FROM EXCLUDED
    ),
    drop_w AS (
        DELETE FROM stats_company_workers t
         USING (SELECT company_id, nationality FROM old_w EXCEPT SELECT company_id, nationality FROM wn) gone
         WHERE t.company_id = gone.company_id AND t.nationality = gone.nationality
    ),
    put_c AS (
        INSERT INTO stats_company AS t SELECT * FROM cn
        ON CONFLICT (company_id) DO UPDATE SET
            regency_code = EXCLUDED.regency_code, district_code = EXCLUDED.district_code, sector = EXCLUDED.sector,
            rptka_status = EXCLUDED.rptka_status, nationalities = EXCLUDED.nationalities,
            inspections_12m = EXCLUDED.inspections_12m, village_code = EXCLUDED.village_code,
            rptka_valid_until = EXCLUDED.rptka_valid_until
        WHERE t IS DISTINCT FROM EXCLUDED
    ),
    drop_c AS (
        DELETE FROM stats_company t
         USING (SELECT company_id FROM old_c EXCEPT SELECT id FROM co) gone
         WHERE t.company_id = gone.company_id
    )
    SELECT count(*) INTO existing FROM co;
    -- A sum with no company or worker left is no row (what changed was added above).
    DELETE FROM stats_worker_counts WHERE workers = 0;
    DELETE FROM stats_company_counts WHERE companies = 0;
    DELETE FROM stats_worker_months WHERE workers = 0;
    DELETE FROM stats_company_months WHERE companies = 0;
    RETURN cardinality(ids);
END $$;


ANALYZE stats_company;
ANALYZE stats_company_workers;
ANALYZE stats_company_months;
ANALYZE stats_worker_months;
