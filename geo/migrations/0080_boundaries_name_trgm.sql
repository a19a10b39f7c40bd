-- The map search box (GET /api/search) matches region names by substring (ILIKE) and by spelling
-- (pg_trgm's %): with the national boundaries (~84,000 villages) a scan per keystroke is too slow.
CREATE INDEX IF NOT EXISTS boundaries_name_trgm_idx ON boundaries USING gin (name gin_trgm_ops);
