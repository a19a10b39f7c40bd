-- Agency discrepancies kept current as reports change (geo/discrepancies.py reads them), so counting
-- them no longer aggregates every worker and company report on each request (bench/RESULTS-attention.md).
--   worker_report_counts: per employer NIB, how many workers each agency reports ({agency: n});
--     `differ` when agencies' counts disagree (what the worker count discrepancy is).
--   company_report_differences: per company, the reported fields whose values differ between agencies
--     ({field: {agency: value}}); a company without differing fields has no row.
-- Statement-level triggers with transition tables keep both (one pass per import statement, not per row).
-- Worker counts change by deltas under the row's lock, so concurrent imports add up; a company's fields
-- are recomputed under a per-company advisory lock, each statement seeing what committed before it.

CREATE FUNCTION counts_differ(counts jsonb) RETURNS boolean IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT coalesce(min(v::bigint) <> max(v::bigint), false) FROM jsonb_each_text(counts) e(k, v)
$$;

CREATE FUNCTION counts_add(a jsonb, b jsonb) RETURNS jsonb IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT coalesce(jsonb_object_agg(k, n) FILTER (WHERE n <> 0), '{}'::jsonb)
      FROM (SELECT k, sum(v::bigint) AS n
              FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) s(k, v)
             GROUP BY k) t
$$;

CREATE TABLE worker_report_counts (
    company_nib text PRIMARY KEY,
    by_agency   jsonb NOT NULL,
    differ      boolean GENERATED ALWAYS AS (counts_differ(by_agency)) STORED
);
CREATE INDEX worker_report_counts_differ_idx ON worker_report_counts (company_nib) WHERE differ;

-- The regency of an employer by its NIB without reading the wide companies rows (per-regency worker counts).
CREATE INDEX companies_nib_regency_idx ON companies (nib, regency_code);

CREATE TABLE company_report_differences (
    company_id  bigint PRIMARY KEY,
    differences jsonb NOT NULL
);

CREATE FUNCTION company_report_differences_of(cid bigint) RETURNS jsonb STABLE LANGUAGE sql AS $$
    SELECT jsonb_object_agg(key, by_agency)
      FROM (SELECT kv.key, jsonb_object_agg(cr.agency, kv.value) AS by_agency
              FROM company_reports cr CROSS JOIN LATERAL jsonb_each(cr.reported_values) kv
             WHERE cr.company_id = cid
             GROUP BY kv.key
            HAVING count(DISTINCT kv.value) > 1) f
$$;

CREATE FUNCTION worker_report_counts_apply(deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
-- deltas: [{nib, agency, n}], n positive or negative
BEGIN
    INSERT INTO worker_report_counts AS w (company_nib, by_agency)
    SELECT d.nib, jsonb_object_agg(d.agency, d.n)
      FROM jsonb_to_recordset(deltas) d(nib text, agency text, n bigint)
     GROUP BY d.nib ORDER BY d.nib
        ON CONFLICT (company_nib) DO UPDATE SET by_agency = counts_add(w.by_agency, excluded.by_agency);
    DELETE FROM worker_report_counts
     WHERE company_nib IN (SELECT d.nib FROM jsonb_to_recordset(deltas) d(nib text)) AND by_agency = '{}'::jsonb;
END $$;

CREATE FUNCTION worker_report_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    deltas jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(jsonb_build_object('nib', nib, 'agency', agency, 'n', n)) INTO deltas
          FROM (SELECT company_nib AS nib, agency, count(*) AS n FROM new_rows GROUP BY 1, 2) s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_agg(jsonb_build_object('nib', nib, 'agency', agency, 'n', -n)) INTO deltas
          FROM (SELECT company_nib AS nib, agency, count(*) AS n FROM old_rows GROUP BY 1, 2) s;
    ELSE
        SELECT jsonb_agg(jsonb_build_object('nib', nib, 'agency', agency, 'n', n)) INTO deltas
          FROM (SELECT nib, agency, sum(n) AS n
                  FROM (SELECT company_nib AS nib, agency, 1 AS n FROM new_rows
                        UNION ALL SELECT company_nib, agency, -1 FROM old_rows) u
                 GROUP BY 1, 2 HAVING sum(n) <> 0) s;
    END IF;
    IF deltas IS NOT NULL THEN
        PERFORM worker_report_counts_apply(deltas);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER worker_report_counts_ins AFTER INSERT ON worker_reports
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION worker_report_counts_keep();
CREATE TRIGGER worker_report_counts_upd AFTER UPDATE ON worker_reports
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION worker_report_counts_keep();
CREATE TRIGGER worker_report_counts_del AFTER DELETE ON worker_reports
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION worker_report_counts_keep();

CREATE FUNCTION company_report_differences_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    found jsonb;
BEGIN
    FOR cid IN SELECT DISTINCT u FROM unnest(ids) u ORDER BY u LOOP
        PERFORM pg_advisory_xact_lock(hashtext('company_report_differences'), hashtext(cid::text));
        found := company_report_differences_of(cid);
        IF found IS NULL THEN
            DELETE FROM company_report_differences WHERE company_id = cid;
        ELSE
            INSERT INTO company_report_differences (company_id, differences) VALUES (cid, found)
                ON CONFLICT (company_id) DO UPDATE SET differences = excluded.differences;
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION company_report_differences_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM company_report_differences_refresh(ARRAY(SELECT company_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM company_report_differences_refresh(ARRAY(SELECT company_id FROM old_rows));
    ELSE
        PERFORM company_report_differences_refresh(
            ARRAY(SELECT company_id FROM new_rows UNION SELECT company_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER company_report_differences_ins AFTER INSERT ON company_reports
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_report_differences_keep();
CREATE TRIGGER company_report_differences_upd AFTER UPDATE ON company_reports
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_report_differences_keep();
CREATE TRIGGER company_report_differences_del AFTER DELETE ON company_reports
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION company_report_differences_keep();

CREATE FUNCTION discrepancy_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'worker_reports' THEN
        DELETE FROM worker_report_counts;
    ELSE
        DELETE FROM company_report_differences;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER worker_report_counts_truncate AFTER TRUNCATE ON worker_reports
    FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_facts_truncate();
CREATE TRIGGER company_report_differences_truncate AFTER TRUNCATE ON company_reports
    FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_facts_truncate();

-- The reports already held.
INSERT INTO worker_report_counts (company_nib, by_agency)
SELECT nib, jsonb_object_agg(agency, n)
  FROM (SELECT company_nib AS nib, agency, count(*) AS n FROM worker_reports GROUP BY 1, 2) s
 GROUP BY nib;

INSERT INTO company_report_differences (company_id, differences)
SELECT company_id, jsonb_object_agg(key, by_agency)
  FROM (SELECT cr.company_id, kv.key, jsonb_object_agg(cr.agency, kv.value) AS by_agency
          FROM company_reports cr CROSS JOIN LATERAL jsonb_each(cr.reported_values) kv
         GROUP BY cr.company_id, kv.key
        HAVING count(DISTINCT kv.value) > 1) f
 GROUP BY company_id;

ANALYZE worker_report_counts;
ANALYZE company_report_differences;
