-- Report jobs (POST /api/reports/jobs): a report built in the background, its status and, once
-- done, the file. In the database so that every server worker process sees every job (the one
-- that builds it may not be the one a poll reaches). Rows are removed after expires_at.
CREATE TABLE report_jobs (
    id           uuid PRIMARY KEY,  -- random (uuid4): unguessable, and still checked against user_id
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What to build, as the request named it once checked and scoped: period, format, filter
    -- (the filter's URL parameters), scope (the user's regencies), threshold, agency, personal.
    options      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress     smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    step         text NOT NULL DEFAULT '',
    error        text,  -- what the user reads; never a personal value
    filename     text,
    media_type   text,
    content_hash text,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Touched by the server process that owns the job while it is queued or running: a job whose
    -- heartbeat stopped belongs to a process that ended, and reads as failed.
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX report_jobs_user_idx ON report_jobs (user_id, created_at);
CREATE INDEX report_jobs_expires_idx ON report_jobs (expires_at);
