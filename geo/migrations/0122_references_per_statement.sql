-- The import's heaviest references checked once per statement instead of once per row.
--
-- PostgreSQL checks a foreign key row by row: a workers import of half a million rows made more than
-- two million lookups for the references below, about a fifth of its time, most of them the same key
-- again (every report of a file names the same batch; a company's workers all name it)
-- (bench/RESULTS-imports.md). The same guarantees are kept here by triggers:
--
--   referencing side (AFTER INSERT, AFTER UPDATE, per statement): every key the statement's rows
--     name, NULL-free (MATCH SIMPLE), is present in the referenced table: one anti-join;
--   referenced side: a key a DELETE or TRUNCATE removes (per statement) or an UPDATE changes (per
--     row, fired only when the key changes) is named by no row (restrict / no action), or the rows
--     naming a deleted key are deleted with it (cascade).
--
-- Both raise SQLSTATE 23503 (foreign_key_violation), as the constraints did.
--
-- Concurrency. A foreign key's check locks each referenced row KEY SHARE. Here the referencing side
-- takes one shared advisory lock per referenced table instead, held to the end of its transaction, and
-- a statement that removes or re-keys referenced rows takes the same lock exclusively before looking
-- for rows that name them. So a delete waits for writers in flight and then sees their committed rows
-- (each statement of a PL/pgSQL function in READ COMMITTED reads what is committed when it starts);
-- a writer that starts after an uncommitted delete either still sees the row and makes the deleter
-- fail when it looks, or waits for the deleter's lock and finds the row gone. Only statements that
-- remove keys take the exclusive lock (Pantau never deletes these records: they end by status), so
-- the import's own updates never wait on it. The argument needs READ COMMITTED, Pantau's only level
-- for writes: a writer of these rows in a stricter level is refused rather than trusted.

CREATE FUNCTION reference_columns(alias text, columns text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(quote_ident(alias) || '.' || quote_ident(trim(c)), ', ' ORDER BY n)
      FROM unnest(string_to_array(columns, ',')) WITH ORDINALITY AS u(c, n)
$$;

CREATE FUNCTION reference_lock_key(referenced text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtext('pantau.references:' || referenced)
$$;

CREATE FUNCTION reference_read_committed() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE feature_not_supported USING MESSAGE =
            'references checked per statement (migration 0122) need READ COMMITTED writers';
    END IF;
END $$;

-- The referencing side. TG_ARGV: referenced table, its key columns, this table's columns (same
-- order), and whether a statement's rows tend to repeat a key ('repeated': each distinct key is
-- looked up once) or name one each ('unique': each row's key is looked up, without first collecting
-- the distinct ones, whose count the planner cannot know).
CREATE FUNCTION references_present() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced text := TG_ARGV[0];
    theirs text := reference_columns('p', TG_ARGV[1]);
    ours text := reference_columns('n', TG_ARGV[2]);
    keys text := CASE TG_ARGV[3] WHEN 'repeated'
                      THEN format('(SELECT DISTINCT %s FROM new_rows)', reference_columns('new_rows', TG_ARGV[2]))
                      ELSE 'new_rows' END;
    missing text;
BEGIN
    PERFORM reference_read_committed();
    PERFORM pg_advisory_xact_lock_shared(hashtext('pantau.references'), reference_lock_key(referenced));
    EXECUTE format('SELECT ROW(%2$s)::text FROM %4$s n '
                   'WHERE ROW(%2$s) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %1$I p WHERE (%3$s) = (%2$s)) LIMIT 1',
                   referenced, ours, theirs, keys) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('insert or update on table "%s" violates its reference to "%s"', TG_TABLE_NAME, referenced),
            DETAIL = format('Key (%s)=%s is not present in table "%s".', TG_ARGV[2], missing, referenced);
    END IF;
    RETURN NULL;
END $$;

-- The referenced side. TG_ARGV: referencing table, its columns, this table's key columns (same
-- order), 'restrict' or 'cascade' (what a delete does; a key update is refused while named, as the
-- constraints had no ON UPDATE action). Deletes and truncates are checked per statement; a key
-- update (which nothing in Pantau makes) per row, by a trigger that fires only when the key changes,
-- so ordinary updates of these tables pay nothing.
CREATE FUNCTION references_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referencing text := TG_ARGV[0];
    theirs text := reference_columns('c', TG_ARGV[1]);
    removed text;   -- which referencing rows name a removed key
    named text;
BEGIN
    PERFORM reference_read_committed();
    PERFORM pg_advisory_xact_lock(hashtext('pantau.references'), reference_lock_key(TG_TABLE_NAME));
    removed := CASE TG_OP
        WHEN 'DELETE' THEN format('(%s) IN (SELECT %s FROM old_rows o)', theirs, reference_columns('o', TG_ARGV[2]))
        WHEN 'UPDATE' THEN format('(%s) = (SELECT %s FROM (SELECT ($1).*) o)', theirs, reference_columns('o', TG_ARGV[2]))
        ELSE 'true' END;  -- TRUNCATE: the table is empty now
    IF TG_ARGV[3] = 'cascade' AND TG_OP <> 'UPDATE' THEN
        EXECUTE format('DELETE FROM %I c WHERE ROW(%s) IS NOT NULL AND %s', referencing, theirs, removed);
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT ROW(%1$s)::text FROM %2$I c WHERE ROW(%1$s) IS NOT NULL AND %3$s LIMIT 1',
                   theirs, referencing, removed) INTO named USING OLD;
    IF named IS NOT NULL THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('%s on table "%s" violates the reference from "%s"', lower(TG_OP), TG_TABLE_NAME, referencing),
            DETAIL = format('Key (%s)=%s is still referenced from table "%s".', TG_ARGV[1], named, referencing);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END $$;

-- Replaces `name` (a foreign key of `referencing`) by the triggers above; later migrations use it too.
CREATE FUNCTION reference_per_statement(name text, referencing text, columns text, referenced text,
                                        key text, action text, keys text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    present text := format('%s, %L, %L, %L', quote_literal(referenced), key, columns, keys);
    kept text := format('%s, %L, %L, %L', quote_literal(referencing), columns, key, action);
BEGIN
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', referencing, name);
    EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION references_present(%3$s)', name || '_ins', referencing, present);
    EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION references_present(%3$s)', name || '_upd', referencing, present);
    EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION references_kept(%3$s)', name || '_del', referenced, kept);
    EXECUTE format('CREATE TRIGGER %1$I BEFORE UPDATE OF %3$s ON %2$I FOR EACH ROW WHEN ((%4$s) IS DISTINCT FROM (%5$s)) '
                   'EXECUTE FUNCTION references_kept(%6$s)', name || '_rekey', referenced, key,
                   reference_columns('old', key), reference_columns('new', key), kept);
    EXECUTE format('CREATE TRIGGER %1$I AFTER TRUNCATE ON %2$I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION references_kept(%3$s)', name || '_trunc', referenced, kept);
END $$;

SELECT reference_per_statement('company_reports_batch_agency_fkey', 'company_reports', 'batch_id, agency',
                               'import_batches', 'id, agency', 'restrict', 'repeated');
SELECT reference_per_statement('worker_reports_batch_agency_fkey', 'worker_reports', 'batch_id, agency',
                               'import_batches', 'id, agency', 'restrict', 'repeated');
SELECT reference_per_statement('company_reports_company_id_fkey', 'company_reports', 'company_id',
                               'companies', 'id', 'cascade', 'unique');
SELECT reference_per_statement('worker_reports_worker_id_fkey', 'worker_reports', 'worker_id',
                               'foreign_workers', 'id', 'cascade', 'unique');
SELECT reference_per_statement('foreign_workers_company_id_fkey', 'foreign_workers', 'company_id',
                               'companies', 'id', 'restrict', 'repeated');
SELECT reference_per_statement('foreign_workers_foreign_national_id_fkey', 'foreign_workers', 'foreign_national_id',
                               'foreign_nationals', 'id', 'restrict', 'unique');
-- The places and sector a company or a work site is in: a few distinct keys per statement.
SELECT reference_per_statement(format('companies_%s_fkey', c), 'companies', c, 'boundaries', 'code', 'restrict', 'repeated')
  FROM unnest(ARRAY['regency_code', 'district_code', 'village_code']) c;
SELECT reference_per_statement('companies_sector_fkey', 'companies', 'sector', 'sectors', 'code', 'restrict', 'repeated');
SELECT reference_per_statement(format('foreign_workers_%s_fkey', c), 'foreign_workers', c, 'boundaries', 'code',
                               'restrict', 'repeated')
  FROM unnest(ARRAY['work_site_district_code', 'work_site_village_code']) c;
