-- Login limits shared by every worker process, aggregated audit rows for repeated login noise,
-- server-side web sessions and a per-user token version.

-- One row per failed (or in-flight) login attempt and limit key: 'a:<address>' (every user name from
-- one address) and 'u:<sha256 of address|user name>' (one user name from one address; hashed because
-- a mistyped user name may be a password). Rows of refused and successful attempts are removed.
CREATE TABLE login_attempts (
    id  bigserial PRIMARY KEY,
    key text NOT NULL CHECK (key ~ '^[au]:'),
    at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_attempts_key_idx ON login_attempts (key, at);
CREATE INDEX login_attempts_at_idx ON login_attempts (at);

-- Repeats of one kind of login noise (unknown user names, rate-limited attempts) from one address:
-- the first is audited at once, the rest counted here and written as one audit row when the
-- window ends. address '' = unknown; username '' = no such user.
CREATE TABLE login_audit_windows (
    address   text NOT NULL,
    reason    text NOT NULL CHECK (reason IN ('unknown_user', 'rate_limited')),
    username  text NOT NULL DEFAULT '',
    opened_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    repeats   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (address, reason, username)
);
CREATE INDEX login_audit_windows_opened_idx ON login_audit_windows (opened_at);

-- Web sessions: the signed cookie carries a random id whose SHA-256 is stored here, so logout,
-- disabling the user and a password change end the session at once.
CREATE TABLE sessions (
    id_hash    text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Bearer access tokens (JWT) carry the version they were issued at; a password change or disabling
-- the user increments it, which invalidates every token issued before.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
