-- Replaces 0041's index with one that also covers what the statistics group active workers by,
-- so both the tiles' worker counts and the statistics read the workers from the index alone.
DROP INDEX IF EXISTS foreign_workers_company_active_idx;
CREATE INDEX foreign_workers_active_facts_idx ON foreign_workers (company_id)
    INCLUDE (nationality, sex, position_level, permit_valid_until, itas_valid_until)
    WHERE status = 'active';
