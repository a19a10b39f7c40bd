-- A load of many companies' reports in one statement ran out of PostgreSQL's shared lock table
-- (max_locks_per_transaction x max_connections): 0109 took one advisory lock per company it
-- recomputed, so a demo or an import of 100,000 companies failed with "out of shared memory". The
-- companies are now locked by bucket (at most 128 locks per statement), every bucket taken in order
-- before any company is recomputed, so two writers still never recompute the same company at once.
CREATE OR REPLACE FUNCTION company_report_differences_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    bucket integer;
    found jsonb;
BEGIN
    FOR bucket IN SELECT DISTINCT hashtext(u::text) & 127 FROM unnest(ids) u ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(hashtext('company_report_differences'), bucket);
    END LOOP;
    FOR cid IN SELECT DISTINCT u FROM unnest(ids) u ORDER BY u LOOP
        found := company_report_differences_of(cid);
        IF found IS NULL THEN
            DELETE FROM company_report_differences WHERE company_id = cid;
        ELSE
            INSERT INTO company_report_differences (company_id, differences) VALUES (cid, found)
                ON CONFLICT (company_id) DO UPDATE SET differences = excluded.differences;
        END IF;
    END LOOP;
END $$;
