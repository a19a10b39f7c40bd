-- Coordination meetings (rapat koordinasi), their recommendations and the follow-up of each (issue 19).
-- Files (minutes, evidence, the meeting's report) are kept in the database, as report jobs are, so
-- that every server process and a backup hold them; their size is limited where they are uploaded.

-- Each code of an array column must be a known agency / boundary: a trigger, since arrays take no FK.
CREATE FUNCTION meetings_check_agencies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.agencies) a WHERE a NOT IN (SELECT code FROM agencies)) THEN
        RAISE EXCEPTION 'unknown agency in meetings.agencies' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TABLE meetings (
    id          bigserial PRIMARY KEY,
    held_on     date NOT NULL,
    place       text NOT NULL CHECK (btrim(place) <> '' AND length(place) <= 300),
    period      text NOT NULL CHECK (period ~ '^\d{4}-Q[1-4]$'),  -- the quarter the meeting covers
    agencies    text[] NOT NULL DEFAULT '{}',  -- agency codes of those present, sorted
    minutes     text NOT NULL DEFAULT '' CHECK (length(minutes) <= 100000),
    -- The minutes as an uploaded file (PDF, DOCX, image): one per meeting, a new upload replaces it.
    minutes_file_name   text,
    minutes_file_type   text,
    minutes_file        bytea,
    minutes_file_sha256 text CHECK (minutes_file_sha256 ~ '^[0-9a-f]{64}$'),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1,
    CHECK ((minutes_file IS NULL) = (minutes_file_sha256 IS NULL))
);
CREATE INDEX meetings_held_on_idx ON meetings (held_on DESC, id DESC);
CREATE TRIGGER meetings_agencies_known BEFORE INSERT OR UPDATE OF agencies ON meetings
    FOR EACH ROW EXECUTE FUNCTION meetings_check_agencies();

-- The report made for a meeting (its pack), kept with its content hash: what was handed out.
CREATE TABLE meeting_reports (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('pdf', 'html', 'xlsx')),
    file_name   text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content     bytea NOT NULL,
    made_by     text NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_reports_meeting_idx ON meeting_reports (meeting_id, made_at DESC);

CREATE FUNCTION recommendations_check_regions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.regions) r
               WHERE r NOT IN (SELECT code FROM boundaries WHERE level IN ('regency', 'district'))) THEN
        RAISE EXCEPTION 'unknown region in recommendations.regions' USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TABLE recommendations (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (btrim(text) <> '' AND length(text) <= 5000),
    agency      text NOT NULL REFERENCES agencies (code),  -- responsible for carrying it out
    due_date    date NOT NULL,
    status      text NOT NULL DEFAULT 'baru'
                CHECK (status IN ('baru', 'diproses', 'selesai', 'tidak_dapat_dilaksanakan')),
    -- Regency (62.02) or district (62.02.01) codes it concerns; empty = the whole province.
    -- The regencies of the companies it names are added on creation, so scope follows them.
    regions     text[] NOT NULL DEFAULT '{}',
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recommendations_meeting_idx ON recommendations (meeting_id, id);
CREATE INDEX recommendations_agency_idx ON recommendations (agency, status);
CREATE INDEX recommendations_due_idx ON recommendations (due_date) WHERE status IN ('baru', 'diproses');
CREATE INDEX recommendations_regions_idx ON recommendations USING gin (regions);
CREATE TRIGGER recommendations_regions_known BEFORE INSERT OR UPDATE OF regions ON recommendations
    FOR EACH ROW EXECUTE FUNCTION recommendations_check_regions();

-- Overdue: past its due date and still open. One rule, used by the pages, the pack and attention.
CREATE FUNCTION recommendation_overdue(due date, status text, today date) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT due < today AND status NOT IN ('selesai', 'tidak_dapat_dilaksanakan') $$;

CREATE TABLE recommendation_companies (
    recommendation_id bigint NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    company_id        bigint NOT NULL REFERENCES companies (id),
    PRIMARY KEY (recommendation_id, company_id)
);
CREATE INDEX recommendation_companies_company_idx ON recommendation_companies (company_id);

-- Groups of foreign nationals a recommendation concerns (e.g. tourists of one nationality in a regency).
CREATE TABLE recommendation_groups (
    id                bigserial PRIMARY KEY,
    recommendation_id bigint NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    regency_code      text REFERENCES boundaries (code),
    purpose           text REFERENCES stay_purposes (code),
    nationality       text CHECK (nationality ~ '^[A-Z]{2}$'),  -- ISO 3166-1 alpha-2, as foreign_nationals
    label             text NOT NULL CHECK (btrim(label) <> '' AND length(label) <= 300)
);
CREATE INDEX recommendation_groups_rec_idx ON recommendation_groups (recommendation_id);

-- The history of each recommendation, append-only: its creation (status_from NULL) and every
-- update (status change and/or progress note) with who, of which agency, when.
CREATE TABLE recommendation_notes (
    id                bigserial PRIMARY KEY,
    recommendation_id bigint NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    username          text NOT NULL,
    agency            text NOT NULL,
    status_from       text,
    status_to         text NOT NULL,
    note              text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    version           integer NOT NULL  -- the recommendation's version after this entry
);
CREATE INDEX recommendation_notes_rec_idx ON recommendation_notes (recommendation_id, at DESC, id DESC);

-- Evidence files of a progress note (photos, letters, PDFs).
CREATE TABLE recommendation_evidence (
    id                bigserial PRIMARY KEY,
    note_id           bigint NOT NULL REFERENCES recommendation_notes (id) ON DELETE CASCADE,
    recommendation_id bigint NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    file_name         text NOT NULL,
    media_type        text NOT NULL,
    size_bytes        integer NOT NULL,
    sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content           bytea NOT NULL,
    uploaded_by       text NOT NULL,
    uploaded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recommendation_evidence_rec_idx ON recommendation_evidence (recommendation_id, note_id);

CREATE FUNCTION recommendation_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER recommendation_notes_no_change BEFORE UPDATE ON recommendation_notes
    FOR EACH ROW EXECUTE FUNCTION recommendation_history_append_only();
CREATE TRIGGER recommendation_evidence_no_change BEFORE UPDATE ON recommendation_evidence
    FOR EACH ROW EXECUTE FUNCTION recommendation_history_append_only();
