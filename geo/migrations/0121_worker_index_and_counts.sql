-- Fewer entries per imported worker, the same reads (bench/RESULTS-imports.md).

-- One index by employer instead of two: 0003's plain one (the employer's foreign key, a company's
-- workers of any status) and 0042's partial one for active workers' facts. Both had the same key;
-- with the status among the covered columns the tiles' and statistics' counts of active workers
-- still read the index alone, and the plain one's readers lose nothing.
DROP INDEX foreign_workers_active_facts_idx;
DROP INDEX foreign_workers_company_idx;
CREATE INDEX foreign_workers_company_idx ON foreign_workers (company_id)
    INCLUDE (status, nationality, sex, position_level, permit_valid_until, itas_valid_until);

-- No statement filters or orders workers by permit_valid_until alone: a permit ends on the earlier of
-- it and itas_valid_until (LEAST(...), which this index cannot serve) or is counted in an aggregate's
-- FILTER. The index was written by every insert and read by nothing.
DROP INDEX foreign_workers_permit_idx;

-- Inserted worker reports counted from the statement's transition table directly: 0109's function
-- builds a JSON array of the deltas and parses it back, which a large import paid for every NIB.
-- Same deltas, same lock order (by NIB); an insert only adds, so it leaves no NIB whose counts all
-- went to zero. Updates and deletes keep 0109's function; the trigger keeps its name (and so its
-- place in the firing order).
CREATE FUNCTION worker_report_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_report_counts AS w (company_nib, by_agency)
    SELECT nib, jsonb_object_agg(agency, n)
      FROM (SELECT company_nib AS nib, agency, count(*) AS n FROM new_rows GROUP BY 1, 2) d
     GROUP BY nib ORDER BY nib
        ON CONFLICT (company_nib) DO UPDATE SET by_agency = counts_add(w.by_agency, excluded.by_agency);
    RETURN NULL;
END $$;
DROP TRIGGER worker_report_counts_ins ON worker_reports;
CREATE TRIGGER worker_report_counts_ins AFTER INSERT ON worker_reports
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION worker_report_counts_insert();
