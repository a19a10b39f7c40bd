-- The upkeep a workers import triggers, sized to what it wrote (bench/RESULTS-imports.md).

-- The workers' facts rows name their company through 0122's per-statement check. PostgreSQL checked
-- each row's key twice: on the insert that makes the row exist, and again on the update that fills
-- it (a row inserted by the same transaction is re-checked whatever the update changes).
SELECT reference_per_statement('company_worker_facts_company_id_fkey', 'company_worker_facts', 'company_id',
                               'companies', 'id', 'cascade', 'unique');

-- 0050's aggregate, named: active workers per company, in total and per nationality (keys sorted).
CREATE FUNCTION company_worker_counts(ids bigint[])
RETURNS TABLE (company_id bigint, workers int, by_nationality json) LANGUAGE sql STABLE AS $$
    SELECT x.company_id, sum(x.n)::int, json_object_agg(x.nationality, x.n ORDER BY x.nationality)
      FROM (SELECT w.company_id, w.nationality, count(*) AS n FROM foreign_workers w
             WHERE w.company_id = ANY(ids) AND w.status = 'active' GROUP BY 1, 2) x
     GROUP BY 1
$$;

-- Facts rows the statement creates get their values as they are inserted; only the rows that already
-- existed are locked and recomputed by 0050's protocol (in id order, after the inserts, which are in
-- id order too). Why a created row may skip the protocol: the insert creates a company's row only if
-- no other transaction has one, committed or in flight (it waits for one in flight and then leaves
-- it to the update below), and every writer of a company's active workers makes that row exist
-- before it commits. So no committed write is missing from what the insert reads, and a writer still
-- in flight will find the new row, wait for this transaction and recompute.
CREATE OR REPLACE FUNCTION refresh_company_workers(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    existing bigint[];
BEGIN
    WITH created AS (
        INSERT INTO company_worker_facts AS f (company_id, workers, by_nationality)
        SELECT u.id, coalesce(a.workers, 0), coalesce(a.by_nationality, '{}'::json)
          FROM unnest(ids) AS u(id)
          LEFT JOIN company_worker_counts(ids) a ON a.company_id = u.id
         ORDER BY u.id
            ON CONFLICT (company_id) DO NOTHING
        RETURNING f.company_id)
    SELECT array_agg(u.id ORDER BY u.id) INTO existing
      FROM unnest(ids) AS u(id) WHERE u.id NOT IN (SELECT company_id FROM created);
    IF existing IS NULL THEN
        RETURN;
    END IF;
    PERFORM lock_company_facts('company_worker_facts', existing);
    UPDATE company_worker_facts f
       SET workers = coalesce(a.workers, 0), by_nationality = coalesce(a.by_nationality, '{}'::json)
      FROM unnest(existing) AS u(id)
      LEFT JOIN company_worker_counts(existing) a ON a.company_id = u.id
     WHERE f.company_id = u.id;
END $$;

-- Planned at each call (EXECUTE) with the transition table's real size: the cached plan of 0121's
-- function counted on one row and sorted half a million reports by their text keys.
CREATE OR REPLACE FUNCTION worker_report_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$
        INSERT INTO worker_report_counts AS w (company_nib, by_agency)
        SELECT nib, jsonb_object_agg(agency, n)
          FROM (SELECT company_nib AS nib, agency, count(*) AS n FROM new_rows GROUP BY 1, 2) d
         GROUP BY nib ORDER BY nib
            ON CONFLICT (company_nib) DO UPDATE SET by_agency = counts_add(w.by_agency, excluded.by_agency)
    $q$;
    RETURN NULL;
END $$;
