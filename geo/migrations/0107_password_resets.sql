-- One-time links to set a password (issue 18 item 5): an admin makes one for a new user (the first
-- password) or for a user who forgot theirs, and passes it on. Only the SHA-256 of the random token
-- is stored; a link works once, until it expires, and a newer link for the same user ends the older.
CREATE TABLE password_resets (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    purpose     text NOT NULL CHECK (purpose IN ('first', 'reset')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX password_resets_open_idx ON password_resets (user_id) WHERE used_at IS NULL AND revoked_at IS NULL;
