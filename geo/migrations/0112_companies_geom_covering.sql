-- A page of companies in a bounding box (the features API: ST_Intersects, ORDER BY id, LIMIT) finds
-- its ids from the spatial index alone: the index also carries each row's id, point and regency, so
-- ST_Intersects is checked on the point kept in the index (the same exact test, not the index's
-- rounded box) and neither a viewer's box nor a regency user's reads the table (an index-only scan,
-- once VACUUM has marked the pages all-visible). Before, a city-sized box read one scattered table
-- page per company in it: thousands for a dense box (bench/RESULTS-features.md, #16 item 8).
-- It replaces the plain index of 0003 under the same name and key: every query that used that one
-- can use this one, and writes keep maintaining a single spatial index.
DROP INDEX companies_geom_idx;
CREATE INDEX companies_geom_idx ON companies USING gist (geom) INCLUDE (id, geom, regency_code);
