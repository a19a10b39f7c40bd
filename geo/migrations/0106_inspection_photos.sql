-- Inspections recorded in the field from the web form (#18): where the team stood, and its photos.
-- The point is optional (imports and older inspections have none).
ALTER TABLE inspections ADD COLUMN location geometry(Point, 4326);

-- Photos are kept in the database (bytea), not as files under PANTAU_HOME: a photo commits or rolls
-- back with its inspection in one transaction, is reached only through the inspection's company (the
-- same scope join as every record), and is in every pg_dump backup; no orphan files to clean up.
-- Only the re-encoded copy is stored (geo/photos.py): EXIF, GPS and other metadata stripped, so
-- there is no original that some role must not download.
CREATE TABLE inspection_photos (
    id            bigserial PRIMARY KEY,
    inspection_id bigint NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
    media_type    text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
    width         integer NOT NULL CHECK (width > 0),
    height        integer NOT NULL CHECK (height > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content       bytea NOT NULL,
    uploaded_by   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- JPEG and PNG are compressed already: store out of line without trying to compress again.
ALTER TABLE inspection_photos ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX inspection_photos_inspection_idx ON inspection_photos (inspection_id, id);
