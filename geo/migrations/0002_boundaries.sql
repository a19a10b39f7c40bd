-- Administrative boundaries: province, regency (kabupaten/kota), district (kecamatan),
-- village (desa/kelurahan). Official Kepmendagri codes are the keys.
CREATE TABLE boundaries (
    code        text PRIMARY KEY,
    level       text NOT NULL CHECK (level IN ('province', 'regency', 'district', 'village')),
    parent_code text,
    name        text NOT NULL CHECK (name <> ''),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    label_point geometry(Point, 4326) NOT NULL,
    area_km2    double precision NOT NULL,
    layer       text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    -- The code's shape must match its level: 62 / 62.71 / 62.71.01 / 62.71.01.1001.
    CONSTRAINT code_matches_level CHECK (
        (level = 'province' AND code ~ '^\d{2}$' AND parent_code IS NULL) OR
        (level = 'regency'  AND code ~ '^\d{2}\.\d{2}$' AND parent_code = left(code, 2)) OR
        (level = 'district' AND code ~ '^\d{2}\.\d{2}\.\d{2}$' AND parent_code = left(code, 5)) OR
        (level = 'village'  AND code ~ '^\d{2}\.\d{2}\.\d{2}\.\d{4}$' AND parent_code = left(code, 8))
    )
);
CREATE INDEX boundaries_geom_idx ON boundaries USING gist (geom);
CREATE INDEX boundaries_level_idx ON boundaries (level, code);
CREATE INDEX boundaries_parent_idx ON boundaries (parent_code);

-- One row per `pantau boundaries load`: what was loaded from where, and what had to be done to it.
CREATE TABLE boundary_loads (
    id          bigserial PRIMARY KEY,
    layer_set   text NOT NULL,
    source      text NOT NULL,
    layers      jsonb NOT NULL,   -- [{layer, level, file, sha256, features}]
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now()
);

-- Every repair and hierarchy finding of a load, by code: nothing is changed or kept silently.
CREATE TABLE boundary_issues (
    load_id  bigint NOT NULL REFERENCES boundary_loads (id) ON DELETE CASCADE,
    code     text NOT NULL,
    level    text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('repaired', 'missing_parent', 'outside_parent', 'label_moved')),
    detail   text NOT NULL,
    PRIMARY KEY (load_id, code, kind)
);
