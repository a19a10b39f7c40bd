-- Resolution notes on agency discrepancies (issue #18 item 4): which figure holds, chosen by whom, when
-- and why. Kept: a note is never changed, a later one for the same target and field supersedes it.
-- A discrepancy counts as resolved while its figures are still those recorded here (`figures`); when
-- an agency's figure changes it is open again and the note stays as history (geo/discrepancy_resolutions.py).
CREATE TABLE discrepancy_resolutions (
    id             bigserial PRIMARY KEY,
    target_kind    text NOT NULL CHECK (target_kind IN ('company', 'region')),
    company_id     bigint REFERENCES companies (id) ON DELETE CASCADE,
    regency_code   text NOT NULL,  -- a company's regency at resolution time, or the region itself
    field          text NOT NULL CHECK (field ~ '^[a-z_]{1,40}$'),  -- 'jumlah_tka' or a reported field
    figures        jsonb NOT NULL,  -- {agency: value} as shown when resolved
    chosen_agency  text REFERENCES agencies (code),
    chosen_value   text CHECK (length(chosen_value) BETWEEN 1 AND 200),
    note           text NOT NULL CHECK (length(note) BETWEEN 3 AND 2000),
    username       text NOT NULL,
    agency         text NOT NULL,
    resolved_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (chosen_agency IS NOT NULL OR chosen_value IS NOT NULL),
    CHECK ((target_kind = 'company') = (company_id IS NOT NULL))
);
CREATE INDEX discrepancy_resolutions_company_idx ON discrepancy_resolutions (company_id, field, resolved_at DESC)
    WHERE target_kind = 'company';
CREATE INDEX discrepancy_resolutions_region_idx ON discrepancy_resolutions (regency_code, field, resolved_at DESC);

CREATE FUNCTION discrepancy_resolutions_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'discrepancy_resolutions: a resolution note is kept as written (add a new one)';
END $$;
CREATE TRIGGER discrepancy_resolutions_no_update BEFORE UPDATE ON discrepancy_resolutions
    FOR EACH ROW EXECUTE FUNCTION discrepancy_resolutions_keep();
CREATE TRIGGER discrepancy_resolutions_no_truncate BEFORE TRUNCATE ON discrepancy_resolutions
    FOR EACH STATEMENT EXECUTE FUNCTION discrepancy_resolutions_keep();
