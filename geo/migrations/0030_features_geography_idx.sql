-- Radius and nearest-k queries measure on the spheroid (geography); this index lets ST_DWithin and
-- the <-> ordering on companies.geom::geography use an index instead of scanning every company.
CREATE INDEX companies_geog_idx ON companies USING gist ((geom::geography));
