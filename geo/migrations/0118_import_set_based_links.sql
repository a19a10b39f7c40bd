-- Bulk imports without per-row work in the triggers (bench/RESULTS-imports.md, 2026-12-06).
--
-- workers_link_person (0100) looked each inserted worker's person up and inserted the missing ones
-- one row at a time; each such INSERT ... ON CONFLICT DO UPDATE also fired foreign_nationals'
-- statement triggers (0110's presence queue, re-planned on every call). The workers importer now
-- makes the missing persons of a file in one statement by the same rule and supplies each row's
-- person (geo/imports/store.py), saying so with the transaction-local setting
-- pantau.linked_by_import, as pantau.located_by_import does for the location (0010); only then is a
-- supplied person kept on INSERT. The API and other writers are looked up as before.
CREATE OR REPLACE FUNCTION workers_link_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.foreign_national_id IS NOT NULL
       AND current_setting('pantau.linked_by_import', true) = 'on' THEN
        RETURN NEW;  -- linked by the importer in this transaction
    END IF;
    IF TG_OP = 'INSERT' OR NEW.passport_number IS DISTINCT FROM OLD.passport_number
       OR NEW.nationality IS DISTINCT FROM OLD.nationality OR NEW.foreign_national_id IS NULL THEN
        SELECT p.id INTO NEW.foreign_national_id FROM foreign_nationals p
         WHERE p.passport_number = NEW.passport_number AND p.nationality = NEW.nationality;
        IF NEW.foreign_national_id IS NULL THEN
            INSERT INTO foreign_nationals AS p (passport_number, nationality, full_name, sex)
            VALUES (NEW.passport_number, NEW.nationality, NEW.full_name, NEW.sex)
            ON CONFLICT (passport_number, nationality) DO UPDATE SET sex = coalesce(p.sex, EXCLUDED.sex)
            RETURNING id INTO NEW.foreign_national_id;
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- The villages of imported points: companies_locate_village and workers_locate_site_village called
-- village_of() once per row, a spatial query over the district's whole village polygons. The importer
-- now places all its points at once by the same rule (geo/imports/store.py) and supplies the village
-- under pantau.located_by_import (0010), like the district; only then is a supplied village kept on
-- INSERT. An UPDATE of the point, and every other writer, are placed here as before.
CREATE OR REPLACE FUNCTION companies_locate_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.village_code IS NOT NULL
       AND current_setting('pantau.located_by_import', true) = 'on' THEN
        RETURN NEW;  -- placed by the importer in this transaction
    END IF;
    NEW.village_code := village_of(NEW.geom, NEW.district_code);
    RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION workers_locate_site_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.work_site_village_code IS NOT NULL
       AND current_setting('pantau.located_by_import', true) = 'on' THEN
        RETURN NEW;  -- placed by the importer in this transaction
    END IF;
    NEW.work_site_village_code := CASE WHEN NEW.work_site IS NULL THEN NULL
                                       ELSE village_of(NEW.work_site, NEW.work_site_district_code) END;
    RETURN NEW;
END $$;

-- A company's differing report fields (0109, locks by bucket from 0115): recomputed for all the
-- statement's companies in one statement instead of one company_report_differences_of() call per
-- company, which an import of 100,000 companies paid 100,000 times; and only for companies reported
-- by two agencies or more (a field differs between agencies, so one report alone has no difference).
-- Same rule and result; the bucket locks are all taken first as before, so the one statement sees
-- every writer that held them.
CREATE OR REPLACE FUNCTION company_report_differences_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bucket integer;
BEGIN
    FOR bucket IN SELECT DISTINCT hashtext(u::text) & 127 FROM unnest(ids) u ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(hashtext('company_report_differences'), bucket);
    END LOOP;
    WITH touched AS MATERIALIZED (SELECT DISTINCT u AS company_id FROM unnest(ids) u),
    several AS MATERIALIZED (
        SELECT cr.company_id FROM touched t JOIN company_reports cr ON cr.company_id = t.company_id
         GROUP BY cr.company_id HAVING count(*) > 1
    ),
    found AS MATERIALIZED (
        SELECT f.company_id, jsonb_object_agg(f.key, f.by_agency) AS differences
          FROM (SELECT cr.company_id, kv.key, jsonb_object_agg(cr.agency, kv.value) AS by_agency
                  FROM several t JOIN company_reports cr ON cr.company_id = t.company_id
                 CROSS JOIN LATERAL jsonb_each(cr.reported_values) kv
                 GROUP BY cr.company_id, kv.key
                HAVING count(DISTINCT kv.value) > 1) f
         GROUP BY f.company_id
    ),
    gone AS (
        DELETE FROM company_report_differences d USING touched t
         WHERE d.company_id = t.company_id
           AND NOT EXISTS (SELECT 1 FROM found x WHERE x.company_id = d.company_id)
    )
    INSERT INTO company_report_differences (company_id, differences)
    SELECT company_id, differences FROM found ORDER BY company_id
        ON CONFLICT (company_id) DO UPDATE SET differences = excluded.differences;
END $$;
