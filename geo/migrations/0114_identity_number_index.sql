-- The identity numbers a free text may quote (geo/activity_text.py): looked up by their letters and
-- digits (lower case, nothing else), as geo.redaction compares them, instead of reading every person
-- on record in the text's regencies. Same expression as the query's (keep them identical).
CREATE INDEX foreign_nationals_passport_compact_idx ON foreign_nationals
    ((regexp_replace(lower(passport_number), '[^a-z0-9]', '', 'g')));
CREATE INDEX foreign_national_stays_permit_compact_idx ON foreign_national_stays
    ((regexp_replace(lower(permit_number), '[^a-z0-9]', '', 'g')));
CREATE INDEX foreign_workers_passport_compact_idx ON foreign_workers
    ((regexp_replace(lower(passport_number), '[^a-z0-9]', '', 'g')));
CREATE INDEX foreign_workers_itas_compact_idx ON foreign_workers
    ((regexp_replace(lower(itas_number), '[^a-z0-9]', '', 'g')));
