-- Monitoring data: companies employing foreign workers (TKA), the workers, field inspections.

-- Controlled lists ------------------------------------------------------------------------------
CREATE TABLE agencies (
    code text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    name text NOT NULL
);
INSERT INTO agencies (code, name) VALUES
    ('kesbangpol', 'Badan Kesatuan Bangsa dan Politik (Kesbangpol)'),
    ('imigrasi', 'Imigrasi (Tim PORA)'),
    ('polda', 'Polda Kalimantan Tengah'),
    ('disnakertrans', 'Dinas Tenaga Kerja dan Transmigrasi (Disnakertrans)'),
    ('kemendagri', 'Kementerian Dalam Negeri (Kemendagri)'),
    ('pemkab', 'Pemerintah Kabupaten/Kota (Tim POA)');

-- Sectors as agencies name them, each in one of Kemnaker's three broad groups.
CREATE TABLE sectors (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    label text NOT NULL UNIQUE,
    kemnaker_group text NOT NULL CHECK (kemnaker_group IN ('jasa', 'industri', 'pertanian_maritim'))
);
INSERT INTO sectors (code, label, kemnaker_group) VALUES
    ('perkebunan_sawit', 'Perkebunan kelapa sawit', 'pertanian_maritim'),
    ('kehutanan', 'Kehutanan', 'pertanian_maritim'),
    ('pertambangan_batubara', 'Pertambangan batubara', 'industri'),
    ('pertambangan_emas', 'Pertambangan emas', 'industri'),
    ('pertambangan_zirkon', 'Pertambangan zirkon', 'industri'),
    ('smelter', 'Smelter', 'industri'),
    ('energi', 'Energi dan pembangkit listrik', 'industri'),
    ('konstruksi', 'Konstruksi', 'industri'),
    ('industri_pengolahan', 'Industri pengolahan', 'industri'),
    ('perdagangan', 'Perdagangan', 'jasa'),
    ('pendidikan', 'Pendidikan', 'jasa'),
    ('jasa', 'Jasa', 'jasa');

-- Where a point lies: the district whose polygon covers it, or else the nearest district within
-- 2 km (points in gaps or on the coast between simplified polygons), flagged as such.
CREATE FUNCTION locate_district(pt geometry, OUT district_code text, OUT regency_code text,
                                OUT method text, OUT distance_m double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH covering AS (
        SELECT b.code, b.parent_code, 'contains'::text AS method, 0::float8 AS distance_m
          FROM boundaries b
         WHERE b.level = 'district' AND ST_Covers(b.geom, pt)
         ORDER BY b.code LIMIT 1
    ), nearest AS (
        SELECT b.code, b.parent_code, 'nearest'::text, ST_Distance(b.geom::geography, pt::geography)
          FROM boundaries b
         WHERE b.level = 'district' AND NOT EXISTS (SELECT 1 FROM covering)
           AND ST_DWithin(b.geom::geography, pt::geography, 2000)
         ORDER BY b.geom <-> pt, b.code LIMIT 1
    )
    SELECT * FROM covering UNION ALL SELECT * FROM nearest LIMIT 1
$$;

-- Companies ---------------------------------------------------------------------------------------
CREATE TABLE companies (
    id                 bigserial PRIMARY KEY,
    nib                text NOT NULL UNIQUE CHECK (nib ~ '^\d{13}$'),
    name               text NOT NULL CHECK (btrim(name) <> ''),
    sector             text NOT NULL REFERENCES sectors (code),
    kbli               text CHECK (kbli ~ '^\d{5}$'),
    address            text,
    geom               geometry(Point, 4326) NOT NULL,
    -- Computed from geom by the trigger below; never taken from the source file.
    regency_code       text NOT NULL REFERENCES boundaries (code),
    district_code      text NOT NULL REFERENCES boundaries (code),
    location_method    text NOT NULL CHECK (location_method IN ('contains', 'nearest')),
    location_distance_m double precision NOT NULL DEFAULT 0,
    -- As the source declared them, kept beside the computed ones.
    declared_regency   text,
    declared_district  text,
    location_mismatch  boolean NOT NULL DEFAULT false,
    rptka_valid_until  date,
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'closed')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0)
);
CREATE INDEX companies_geom_idx ON companies USING gist (geom);
CREATE INDEX companies_regency_idx ON companies (regency_code);
CREATE INDEX companies_district_idx ON companies (district_code);
CREATE INDEX companies_sector_idx ON companies (sector);
CREATE INDEX companies_rptka_idx ON companies (rptka_valid_until);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX companies_name_trgm_idx ON companies USING gin (name gin_trgm_ops);

CREATE FUNCTION companies_locate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE loc record;
BEGIN
    IF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) OR NEW.district_code IS NULL THEN
        SELECT * INTO loc FROM locate_district(NEW.geom);
        IF loc.district_code IS NULL THEN
            RAISE EXCEPTION 'location % lies in no loaded district (not even within 2 km)', ST_AsText(NEW.geom)
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.district_code := loc.district_code;
        NEW.regency_code := loc.regency_code;
        NEW.location_method := loc.method;
        NEW.location_distance_m := loc.distance_m;
    END IF;
    NEW.location_mismatch :=
        (NEW.declared_regency IS NOT NULL AND NEW.declared_regency <> NEW.regency_code)
        OR (NEW.declared_district IS NOT NULL AND NEW.declared_district <> NEW.district_code);
    RETURN NEW;
END $$;
CREATE TRIGGER companies_locate BEFORE INSERT OR UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_locate();

-- Every real change bumps version and updated_at: the basis of optimistic locking.
CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER companies_version BEFORE UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Foreign workers (TKA). full_name, passport_number and itas_number are personal data (UU 27/2022).
CREATE TABLE foreign_workers (
    id                 bigserial PRIMARY KEY,
    company_id         bigint NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    full_name          text NOT NULL CHECK (btrim(full_name) <> ''),
    passport_number    text NOT NULL CHECK (passport_number ~ '^[A-Z0-9]{5,20}$'),
    nationality        text NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
    sex                text CHECK (sex IN ('L', 'P')),
    position           text NOT NULL CHECK (btrim(position) <> ''),
    position_level     text NOT NULL CHECK (position_level IN ('direktur', 'komisaris', 'manajer', 'profesional', 'konsultan')),
    rptka_number       text,
    permit_valid_until date,
    itas_number        text,
    itas_valid_until   date,
    work_site          geometry(Point, 4326),
    work_site_district_code text REFERENCES boundaries (code),
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'departed', 'deported')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    UNIQUE (passport_number, nationality)
);
CREATE INDEX foreign_workers_company_idx ON foreign_workers (company_id);
CREATE INDEX foreign_workers_nationality_idx ON foreign_workers (nationality);
CREATE INDEX foreign_workers_permit_idx ON foreign_workers (permit_valid_until);
CREATE INDEX foreign_workers_site_idx ON foreign_workers USING gist (work_site);

CREATE FUNCTION workers_locate_site() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.work_site IS NULL THEN
        NEW.work_site_district_code := NULL;
    ELSIF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.work_site, OLD.work_site) OR OLD.work_site IS NULL THEN
        NEW.work_site_district_code := (SELECT district_code FROM locate_district(NEW.work_site));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER workers_locate_site BEFORE INSERT OR UPDATE ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION workers_locate_site();
CREATE TRIGGER workers_version BEFORE UPDATE ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Field inspections ---------------------------------------------------------------------------------
CREATE TABLE inspections (
    id           bigserial PRIMARY KEY,
    company_id   bigint NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    inspected_on date NOT NULL CHECK (inspected_on >= DATE '2000-01-01'),
    -- Participating agencies, sorted, so the same team always has the same key.
    team         text[] NOT NULL CHECK (cardinality(team) > 0),
    finding      text NOT NULL CHECK (finding IN
                     ('none', 'expired_permit', 'position_mismatch', 'location_mismatch', 'no_permit', 'other')),
    notes        text,
    follow_up    text,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'closed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    UNIQUE (company_id, inspected_on, team)
);
CREATE INDEX inspections_company_idx ON inspections (company_id, inspected_on DESC);
CREATE INDEX inspections_date_idx ON inspections (inspected_on);
CREATE TRIGGER inspections_version BEFORE UPDATE ON inspections
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Permit status as everyone in Pantau means it: expired (before today), expiring (within 90 days), valid.
CREATE FUNCTION permit_status(valid_until date, today date DEFAULT current_date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN valid_until IS NULL THEN 'unknown'
                WHEN valid_until < today THEN 'expired'
                WHEN valid_until <= today + 90 THEN 'expiring'
                ELSE 'valid' END
$$;

-- Provenance --------------------------------------------------------------------------------------
-- Every import: which agency sent which file (by checksum), who loaded it, with what result.
CREATE TABLE import_batches (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('companies', 'workers', 'inspections')),
    agency       text NOT NULL REFERENCES agencies (code),
    file_name    text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    imported_by  text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('all_or_nothing', 'skip_invalid')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    rows_total   integer NOT NULL CHECK (rows_total >= 0),
    imported     integer NOT NULL CHECK (imported >= 0),
    updated      integer NOT NULL CHECK (updated >= 0),
    unchanged    integer NOT NULL CHECK (unchanged >= 0),
    rejected     integer NOT NULL CHECK (rejected >= 0),
    report       jsonb NOT NULL
);

-- What each agency last reported about a record, kept per agency so disagreements stay visible
-- (e.g. Imigrasi lists 27 workers at a company, Disnakertrans 12) instead of the last file winning.
CREATE TABLE company_reports (
    company_id      bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    agency          text NOT NULL REFERENCES agencies (code),
    batch_id        bigint NOT NULL REFERENCES import_batches (id),
    reported_values jsonb NOT NULL,
    reported_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, agency)
);

CREATE TABLE worker_reports (
    worker_id       bigint NOT NULL REFERENCES foreign_workers (id) ON DELETE CASCADE,
    agency          text NOT NULL REFERENCES agencies (code),
    batch_id        bigint NOT NULL REFERENCES import_batches (id),
    company_nib     text NOT NULL,   -- the employer this agency names, which may differ from another's
    reported_values jsonb NOT NULL,  -- personal fields included: read only through role checks
    reported_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker_id, agency)
);
CREATE INDEX worker_reports_nib_idx ON worker_reports (company_nib, agency);
