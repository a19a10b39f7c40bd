-- What every imported row costs to write, made smaller without losing a guarantee.

-- Passport numbers are capital letters and digits only (CHECK constraints on both tables), so the
-- letters-and-digits form 0114 indexed is their lower case: geo/activity_text.py now looks them up in
-- upper case through the (passport_number, nationality) key's index, which every write keeps anyway,
-- and these two indexes only cost every insert (a workers import writes each of them twice).
DROP INDEX foreign_nationals_passport_compact_idx;
DROP INDEX foreign_workers_passport_compact_idx;

-- A report names its batch and agency: one reference to the batch of that agency instead of one to
-- each. PostgreSQL checks a foreign key row by row, and both were the same for every row of an import;
-- the agency stays a known one through import_batches.agency's own reference, and a report can no
-- longer name a batch another agency sent.
ALTER TABLE import_batches ADD CONSTRAINT import_batches_id_agency_key UNIQUE (id, agency);
ALTER TABLE company_reports
    DROP CONSTRAINT company_reports_agency_fkey,
    DROP CONSTRAINT company_reports_batch_id_fkey,
    ADD CONSTRAINT company_reports_batch_agency_fkey FOREIGN KEY (batch_id, agency) REFERENCES import_batches (id, agency);
ALTER TABLE worker_reports
    DROP CONSTRAINT worker_reports_agency_fkey,
    DROP CONSTRAINT worker_reports_batch_id_fkey,
    ADD CONSTRAINT worker_reports_batch_agency_fkey FOREIGN KEY (batch_id, agency) REFERENCES import_batches (id, agency);

-- The workers' three row triggers, on insert, called only when they would change something: an
-- import supplies each row's person, district and village (0010, 0118), and a row without a work
-- site needs neither place. Each WHEN is the negation of its function's own "nothing to do" test
-- (PostgreSQL evaluates it just before the call, on the row as earlier triggers left it); updates
-- call the functions as before. Same order: triggers fire by name.
DROP TRIGGER workers_link_person ON foreign_workers;
DROP TRIGGER workers_locate_site ON foreign_workers;
DROP TRIGGER workers_locate_site_village ON foreign_workers;
CREATE TRIGGER workers_link_person BEFORE UPDATE ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION workers_link_person();
CREATE TRIGGER workers_link_person_ins BEFORE INSERT ON foreign_workers
    FOR EACH ROW WHEN (NEW.foreign_national_id IS NULL
                       OR coalesce(current_setting('pantau.linked_by_import', true), '') <> 'on')
    EXECUTE FUNCTION workers_link_person();
CREATE TRIGGER workers_locate_site BEFORE UPDATE ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION workers_locate_site();
CREATE TRIGGER workers_locate_site_ins BEFORE INSERT ON foreign_workers
    FOR EACH ROW WHEN (NOT ((NEW.work_site IS NULL AND NEW.work_site_district_code IS NULL)
                            OR (NEW.work_site IS NOT NULL AND NEW.work_site_district_code IS NOT NULL
                                AND coalesce(current_setting('pantau.located_by_import', true), '') = 'on')))
    EXECUTE FUNCTION workers_locate_site();
CREATE TRIGGER workers_locate_site_village BEFORE UPDATE OF work_site, work_site_district_code ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION workers_locate_site_village();
CREATE TRIGGER workers_locate_site_village_ins BEFORE INSERT ON foreign_workers
    FOR EACH ROW WHEN (NOT ((NEW.work_site IS NULL AND NEW.work_site_village_code IS NULL)
                            OR (NEW.work_site_village_code IS NOT NULL
                                AND coalesce(current_setting('pantau.located_by_import', true), '') = 'on')))
    EXECUTE FUNCTION workers_locate_site_village();
