-- Each company as a GeoJSON Feature with its own columns as properties, kept in its row. Building
-- this JSON for every row of every page was the largest part of a page's PostgreSQL time
-- (bench/RESULTS-features.md, #16 item 8); a page now appends only the properties that come from
-- other tables or from the day (geo/features/catalog.py: COMPANY_FEATURE).
--
-- A stored generated column: PostgreSQL recomputes it on every INSERT and UPDATE of the row, after
-- the BEFORE triggers that locate the company and bump its version, so it cannot go stale.
-- IMMUTABLE although json_build_object is STABLE: that is for types whose JSON follows settings
-- (timestamptz); text, bigint, integer, boolean, date (always ISO 8601 in JSON) and
-- ST_AsGeoJSON's text give the same JSON whatever the settings. The keys and their order follow
-- COMPANY_COLUMNS; tests/test_features_stored.py compares both ways of building a page.
-- SET search_path: pg_restore creates the table with an empty search_path, where ST_AsGeoJSON
-- would not be found (tests/test_backup.py).
CREATE FUNCTION company_feature(
    id bigint, geom geometry, nib text, name text, sector text, kbli text, address text,
    regency_code text, district_code text, location_method text, location_mismatch boolean,
    rptka_valid_until date, status text, version integer
) RETURNS json LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 6)::json,
        'properties', json_build_object('nib', nib, 'name', name, 'sector', sector, 'kbli', kbli,
            'address', address, 'regency_code', regency_code, 'district_code', district_code,
            'location_method', location_method, 'location_mismatch', location_mismatch,
            'rptka_valid_until', rptka_valid_until, 'status', status, 'version', version))
$$;

ALTER TABLE companies ADD COLUMN feature json GENERATED ALWAYS AS (company_feature(
    id, geom, nib, name, sector, kbli, address, regency_code, district_code, location_method,
    location_mismatch, rptka_valid_until, status, version)) STORED;
