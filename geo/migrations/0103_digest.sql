-- E-mail digests of each user's "Perlu perhatian" list (issue 19 item 5, geo/digest/).
-- The address is checked by geo/digest/prefs.py (email-validator); the CHECK here only keeps out what
-- could never be one (spaces, control characters, no '@', over 254 characters).
ALTER TABLE users
    ADD COLUMN email text
        CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$')),
    ADD COLUMN digest_frequency text NOT NULL DEFAULT 'off'
        CHECK (digest_frequency IN ('off', 'daily', 'weekly')),
    -- ISO day of the week a weekly digest goes out: 1 = Senin ... 7 = Minggu.
    ADD COLUMN digest_weekday smallint NOT NULL DEFAULT 1 CHECK (digest_weekday BETWEEN 1 AND 7),
    -- The province's day (geo/clock.py) the last digest was sent for, and when: a second run on the
    -- same day sends nothing again. A run claims the day before sending and gives it back on failure.
    ADD COLUMN digest_sent_on date,
    ADD COLUMN digest_sent_at timestamptz,
    ADD CONSTRAINT users_digest_needs_email CHECK (digest_frequency = 'off' OR email IS NOT NULL);

-- The unsubscribe link needs no table: its token is an HMAC of the user id with the signing key
-- (geo/digest/tokens.py).
