-- The statistics' refresh (0090): plans made for the size of the queue, and cheaper where it runs
-- most, the first read of a day and the read after an edit.
--
-- A new day queues the companies with a date that changes bucket: written as date ranges (an RPTKA
-- or permit end, an inspection, between the two days or 31 / 91 days on), which the date indexes
-- answer, instead of computing both days' buckets for every active worker and company.
CREATE OR REPLACE FUNCTION stats_queue_day_change(counted_on date, d date) RETURNS void LANGUAGE sql AS $$
    WITH b AS (SELECT least(counted_on, d) AS lo, greatest(counted_on, d) AS hi)
    INSERT INTO stats_dirty (company_id)
    SELECT c.id FROM companies c WHERE counted_on IS NULL
    UNION
    -- permit_status(): expired before the day, expiring up to 90 days after it
    SELECT c.id FROM companies c, b
     WHERE (c.rptka_valid_until >= b.lo AND c.rptka_valid_until < b.hi)
        OR (c.rptka_valid_until >= b.lo + 91 AND c.rptka_valid_until < b.hi + 91)
    UNION
    -- stats_permit_bucket(): expired before the day, then up to 30 and up to 90 days after it
    SELECT w.company_id
      FROM foreign_workers w, b, LATERAL (SELECT LEAST(w.permit_valid_until, w.itas_valid_until) AS e) x
     WHERE w.status = 'active'
       AND ((x.e >= b.lo AND x.e < b.hi) OR (x.e >= b.lo + 31 AND x.e < b.hi + 31)
            OR (x.e >= b.lo + 91 AND x.e < b.hi + 91))
    UNION
    -- stats_in_12m(): after the day 12 months back, up to the day
    SELECT i.company_id FROM inspections i, b
     WHERE (i.inspected_on > (b.lo - interval '12 months')::date AND i.inspected_on <= (b.hi - interval '12 months')::date)
        OR (i.inspected_on > b.lo AND i.inspected_on <= b.hi)
$$;

-- Sums that dropped to nothing are deleted after every refresh: found by these instead of a scan.
CREATE INDEX IF NOT EXISTS stats_company_counts_empty_idx ON stats_company_counts (companies) WHERE companies = 0;
CREATE INDEX IF NOT EXISTS stats_worker_counts_empty_idx ON stats_worker_counts (workers) WHERE workers = 0;

-- stats_refresh as in 0090, with the queue taken first into an array: the plans are made for its
-- length (a few ids after an edit, all of them after a load). In 0090 they were made for the queue
-- table's statistics, which say it is empty, and a recount of thousands of companies took minutes.
-- The rows these tables hold are read once (old_c, old_w) and looked up by key, which the planner
-- prefers to whole-table scans once it knows they are in memory (random_page_cost). No JIT: compiling
-- the statement cost more than running it.
CREATE OR REPLACE FUNCTION stats_refresh(d date) RETURNS integer LANGUAGE plpgsql
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
    WITH queued AS (DELETE FROM stats_dirty RETURNING company_id)
    SELECT array_agg(DISTINCT company_id) INTO ids FROM queued;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    -- One statement: the tables read and the sums changed in the same snapshot. A write committed
    -- since the queue was taken is seen here and queued again: the next refresh counts it again,
    -- which changes nothing. Each plan is made for this many ids (plan_cache_mode above).
    WITH co AS MATERIALIZED (
        SELECT c.id, c.regency_code, c.district_code, c.sector, permit_status(c.rptka_valid_until, d) AS rptka_status
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
               coalesce(n.nationalities, '{}') AS nationalities, coalesce(i.n, 0) AS inspections_12m
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
        DELETE FROM stats_company_workers t
         USING (SELECT company_id, nationality FROM old_w EXCEPT SELECT company_id, nationality FROM wn) gone
         WHERE t.company_id = gone.company_id AND t.nationality = gone.nationality
    ),
    put_c AS (
        INSERT INTO stats_company AS t SELECT * FROM cn
        ON CONFLICT (company_id) DO UPDATE SET
            regency_code = EXCLUDED.regency_code, district_code = EXCLUDED.district_code, sector = EXCLUDED.sector,
            rptka_status = EXCLUDED.rptka_status, nationalities = EXCLUDED.nationalities,
            inspections_12m = EXCLUDED.inspections_12m
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
    RETURN cardinality(ids);
END $$;

