-- Bulk imports: companies_locate() called locate_district() for every inserted row; a SQL function
-- called from PL/pgSQL is re-planned on each call (~1 ms), which dominated large imports. Same
-- answer as locate_district(): the covering district (lowest code), else the nearest within 2 km;
-- the covering case is now written inline so PL/pgSQL caches its plan. And the bulk importer, which
-- locates all its points in one set-based statement by this same rule inside its own transaction
-- (geo/imports/store.py), says so with the transaction-local setting pantau.located_by_import;
-- only then is a supplied location kept on INSERT (never set by the API or taken from a file).
CREATE OR REPLACE FUNCTION companies_locate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE loc record;
BEGIN
    IF TG_OP = 'INSERT' AND NEW.district_code IS NOT NULL AND NEW.location_method IS NOT NULL
       AND current_setting('pantau.located_by_import', true) = 'on' THEN
        NULL;  -- located by the importer in this transaction
    ELSIF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) OR NEW.district_code IS NULL THEN
        SELECT b.code AS district_code, b.parent_code AS regency_code, 'contains'::text AS method,
               0::float8 AS distance_m
          INTO loc
          FROM boundaries b
         WHERE b.level = 'district' AND ST_Covers(b.geom, NEW.geom)
         ORDER BY b.code LIMIT 1;
        IF NOT FOUND THEN
            SELECT * INTO loc FROM locate_district(NEW.geom);
        END IF;
        IF loc.district_code IS NULL THEN
            RAISE EXCEPTION 'location % lies in no loaded district (not even within 2 km)', ST_AsText(NEW.geom)
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.district_code := loc.district_code;
        NEW.regency_code := loc.regency_code;
        NEW.location_method := loc.method;
        NEW.location_distance_m := loc.distance_m;
    END IF;
    NEW.location_mismatch :=
        (NEW.declared_regency IS NOT NULL AND NEW.declared_regency <> NEW.regency_code)
        OR (NEW.declared_district IS NOT NULL AND NEW.declared_district <> NEW.district_code);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION workers_locate_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.work_site IS NULL THEN
        NEW.work_site_district_code := NULL;
    ELSIF TG_OP = 'INSERT' AND NEW.work_site_district_code IS NOT NULL
          AND current_setting('pantau.located_by_import', true) = 'on' THEN
        NULL;  -- located by the importer in this transaction
    ELSIF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.work_site, OLD.work_site) OR OLD.work_site IS NULL THEN
        NEW.work_site_district_code := (
            SELECT b.code FROM boundaries b
             WHERE b.level = 'district' AND ST_Covers(b.geom, NEW.work_site) ORDER BY b.code LIMIT 1);
        IF NEW.work_site_district_code IS NULL THEN
            NEW.work_site_district_code := (SELECT district_code FROM locate_district(NEW.work_site));
        END IF;
    END IF;
    RETURN NEW;
END $$;
