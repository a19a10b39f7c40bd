-- Counting a company's active workers (tiles, statistics) from the index alone.
CREATE INDEX foreign_workers_company_active_idx ON foreign_workers (company_id) INCLUDE (nationality)
    WHERE status = 'active';
