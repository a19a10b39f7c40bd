-- Files checked on the web page (/imports) and waiting for the user's decision (issue 18): the commit
-- imports these very bytes, never a second upload. The id is a random token known only to the page of
-- the user who uploaded; a row is reachable by that user only, until it expires. The bytes are dropped
-- once committed (the batch keeps file name, sha256 and report).
CREATE TABLE import_uploads (
    id            text PRIMARY KEY CHECK (length(id) >= 32),
    username      text NOT NULL,
    source        text NOT NULL REFERENCES agencies (code),
    regencies     text[],  -- the uploader's scope at check time (NULL = the whole province)
    state         text NOT NULL CHECK (state IN ('checked', 'committing', 'committed', 'failed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    check_reports jsonb NOT NULL,  -- one ImportReport per file, in KINDS order
    commit_mode   text CHECK (commit_mode IN ('all_or_nothing', 'skip_invalid')),
    commit_reports jsonb,
    committed_at  timestamptz
);
CREATE INDEX import_uploads_expires_idx ON import_uploads (expires_at);

CREATE TABLE import_upload_files (
    upload_id  text NOT NULL REFERENCES import_uploads (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    kind       text NOT NULL,
    file_name  text NOT NULL,
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint NOT NULL,
    data       bytea,  -- NULL once committed
    PRIMARY KEY (upload_id, position)
);

-- The history page lists an agency's batches, newest first.
CREATE INDEX import_batches_agency_idx ON import_batches (agency, finished_at DESC);
