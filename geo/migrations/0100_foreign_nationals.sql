-- Foreign nationals (orang asing) in general, of whom foreign workers are one group (issue 17):
-- persons, their stays (permit and purpose), the guests hotels and lodgings report, and the
-- monitoring activities of Tim PORA and the regency teams. Personal data (UU 27/2022): a person's
-- name, passport and permit numbers, date of birth and residence (address and point).

-- Controlled lists -------------------------------------------------------------------------------
CREATE TABLE permit_types (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    label text NOT NULL UNIQUE
);
INSERT INTO permit_types (code, label) VALUES
    ('itas', 'ITAS (izin tinggal terbatas)'),
    ('itap', 'ITAP (izin tinggal tetap)'),
    ('visa_kunjungan', 'Visa kunjungan'),
    ('voa', 'Visa on arrival (VoA)'),
    ('bebas_visa', 'Bebas visa kunjungan'),
    ('diplomatik', 'Izin tinggal diplomatik/dinas');

CREATE TABLE stay_purposes (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    label text NOT NULL UNIQUE
);
INSERT INTO stay_purposes (code, label) VALUES
    ('bekerja', 'Bekerja'),
    ('keluarga', 'Keluarga/penyatuan keluarga'),
    ('studi', 'Studi'),
    ('penelitian', 'Penelitian'),
    ('keagamaan', 'Keagamaan'),
    ('sosial', 'Sosial/relawan/LSM'),
    ('jurnalistik', 'Jurnalistik'),
    ('investasi', 'Investasi'),
    ('lansia', 'Lansia/pensiunan'),
    ('wisata', 'Wisata/kunjungan'),
    ('lainnya', 'Lainnya');

CREATE TABLE activity_kinds (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    label text NOT NULL UNIQUE
);
INSERT INTO activity_kinds (code, label) VALUES
    ('rapat', 'Rapat koordinasi'),
    ('operasi_gabungan', 'Operasi gabungan'),
    ('pengawasan_lapangan', 'Pengawasan lapangan'),
    ('sosialisasi', 'Sosialisasi');

ALTER TABLE import_batches DROP CONSTRAINT import_batches_kind_check;
ALTER TABLE import_batches ADD CONSTRAINT import_batches_kind_check
    CHECK (kind IN ('companies', 'workers', 'inspections', 'foreign_nationals', 'lodgings', 'activities'));

-- Where a village-coded record lies: the village's district and regency from its code, and the
-- point as reported when it falls in the village or within 2 km of it, else an error naming both.
-- Without a reported point the village's label point stands in (flagged by location_source).
CREATE FUNCTION place_in_village(village text, pt geometry,
                                 OUT district_code text, OUT regency_code text,
                                 OUT geom geometry, OUT location_source text)
LANGUAGE plpgsql STABLE AS $$
DECLARE v record;
BEGIN
    SELECT b.code, b.parent_code, b.geom, b.label_point INTO v
      FROM boundaries b WHERE b.level = 'village' AND b.code = village;
    IF v.code IS NULL THEN
        RAISE EXCEPTION 'village % is not in the loaded boundaries', village USING ERRCODE = 'foreign_key_violation';
    END IF;
    district_code := v.parent_code;
    regency_code := left(v.parent_code, 5);
    IF pt IS NULL THEN
        geom := v.label_point;
        location_source := 'village';
    ELSIF ST_Covers(v.geom, pt) OR ST_DWithin(v.geom::geography, pt::geography, 2000) THEN
        geom := pt;
        location_source := 'reported';
    ELSE
        RAISE EXCEPTION 'point % lies more than 2 km outside village %', ST_AsText(pt), village
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

-- Persons ----------------------------------------------------------------------------------------
CREATE TABLE foreign_nationals (
    id              bigserial PRIMARY KEY,
    passport_number text NOT NULL CHECK (passport_number ~ '^[A-Z0-9]{5,20}$'),
    nationality     text NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
    full_name       text NOT NULL CHECK (btrim(full_name) <> ''),
    sex             text CHECK (sex IN ('L', 'P')),
    birth_date      date CHECK (birth_date >= DATE '1900-01-01'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    UNIQUE (passport_number, nationality)
);
CREATE INDEX foreign_nationals_nationality_idx ON foreign_nationals (nationality);
CREATE TRIGGER foreign_nationals_version BEFORE UPDATE ON foreign_nationals
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- A worker is a foreign national: every worker row points at its person, made when missing.
ALTER TABLE foreign_workers ADD COLUMN foreign_national_id bigint REFERENCES foreign_nationals (id);
CREATE INDEX foreign_workers_person_idx ON foreign_workers (foreign_national_id);

-- Looks the person up before inserting: most writes of a worker find its person already there.
CREATE FUNCTION workers_link_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.passport_number IS DISTINCT FROM OLD.passport_number
       OR NEW.nationality IS DISTINCT FROM OLD.nationality OR NEW.foreign_national_id IS NULL THEN
        SELECT p.id INTO NEW.foreign_national_id FROM foreign_nationals p
         WHERE p.passport_number = NEW.passport_number AND p.nationality = NEW.nationality;
        IF NEW.foreign_national_id IS NULL THEN
            INSERT INTO foreign_nationals AS p (passport_number, nationality, full_name, sex)
            VALUES (NEW.passport_number, NEW.nationality, NEW.full_name, NEW.sex)
            ON CONFLICT (passport_number, nationality) DO UPDATE SET sex = coalesce(p.sex, EXCLUDED.sex)
            RETURNING id INTO NEW.foreign_national_id;
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER workers_link_person BEFORE INSERT OR UPDATE ON foreign_workers
    FOR EACH ROW EXECUTE FUNCTION workers_link_person();

INSERT INTO foreign_nationals (passport_number, nationality, full_name, sex)
SELECT DISTINCT ON (passport_number, nationality) passport_number, nationality, full_name, sex
  FROM foreign_workers ORDER BY passport_number, nationality, id
ON CONFLICT DO NOTHING;
UPDATE foreign_workers w SET foreign_national_id = p.id
  FROM foreign_nationals p
 WHERE p.passport_number = w.passport_number AND p.nationality = w.nationality;

-- A worker's village, kept in the rows like its district so the presence rule reads a code instead
-- of a spatial look-up per worker on every call: the village of the point's computed district
-- covering it (the layers overlap a little at their edges, so a village is never taken from
-- another district), else that district's nearest village.
CREATE FUNCTION village_of(pt geometry, district text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT b.code FROM boundaries b
     WHERE b.level = 'village' AND b.parent_code = district
     ORDER BY NOT ST_Covers(b.geom, pt), b.geom <-> pt, b.code LIMIT 1
$$;
ALTER TABLE companies ADD COLUMN village_code text REFERENCES boundaries (code);
ALTER TABLE foreign_workers ADD COLUMN work_site_village_code text REFERENCES boundaries (code);
CREATE FUNCTION companies_locate_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.village_code := village_of(NEW.geom, NEW.district_code);
    RETURN NEW;
END $$;
-- Named to fire after companies_locate, which computes the district.
CREATE TRIGGER companies_locate_village BEFORE INSERT OR UPDATE OF geom, district_code ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_locate_village();
CREATE FUNCTION workers_locate_site_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.work_site_village_code := CASE WHEN NEW.work_site IS NULL THEN NULL
                                       ELSE village_of(NEW.work_site, NEW.work_site_district_code) END;
    RETURN NEW;
END $$;
-- Named to fire after workers_locate_site, which computes the site's district.
CREATE TRIGGER workers_locate_site_village BEFORE INSERT OR UPDATE OF work_site, work_site_district_code
    ON foreign_workers FOR EACH ROW EXECUTE FUNCTION workers_locate_site_village();
-- Existing rows: a derived column only, so neither versions nor data versions move (the table
-- owner may switch its own triggers off inside this transaction).
ALTER TABLE companies DISABLE TRIGGER USER;
UPDATE companies SET village_code = village_of(geom, district_code);
ALTER TABLE companies ENABLE TRIGGER USER;
ALTER TABLE foreign_workers DISABLE TRIGGER USER;
UPDATE foreign_workers SET work_site_village_code = village_of(work_site, work_site_district_code)
 WHERE work_site IS NOT NULL;
ALTER TABLE foreign_workers ENABLE TRIGGER USER;

-- Stays: one permit for one purpose, where the person lives ----------------------------------------
CREATE TABLE foreign_national_stays (
    id                  bigserial PRIMARY KEY,
    foreign_national_id bigint NOT NULL REFERENCES foreign_nationals (id) ON DELETE CASCADE,
    permit_type         text NOT NULL REFERENCES permit_types (code),
    permit_number       text CHECK (permit_number ~ '^[A-Z0-9/.-]{3,40}$'),
    valid_from          date NOT NULL CHECK (valid_from >= DATE '2000-01-01'),
    valid_until         date,
    purpose             text NOT NULL REFERENCES stay_purposes (code),
    -- The sponsor: a company (by NIB) when it is one, else a named person or institution.
    sponsor_company_id  bigint REFERENCES companies (id) ON DELETE RESTRICT,
    sponsor_name        text CHECK (btrim(sponsor_name) <> ''),
    address             text,
    village_code        text NOT NULL REFERENCES boundaries (code),
    -- Computed from village_code (and the reported point) by the trigger below.
    district_code       text NOT NULL REFERENCES boundaries (code),
    regency_code        text NOT NULL REFERENCES boundaries (code),
    geom                geometry(Point, 4326) NOT NULL,
    location_source     text NOT NULL CHECK (location_source IN ('reported', 'village')),
    agency              text NOT NULL REFERENCES agencies (code),
    reported_on         date NOT NULL,
    batch_id            bigint REFERENCES import_batches (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    -- Re-importing the same report updates the stay instead of adding another.
    UNIQUE (foreign_national_id, permit_type, valid_from)
);
CREATE INDEX foreign_national_stays_person_idx ON foreign_national_stays (foreign_national_id);
CREATE INDEX foreign_national_stays_regency_idx ON foreign_national_stays (regency_code);
CREATE INDEX foreign_national_stays_district_idx ON foreign_national_stays (district_code);
CREATE INDEX foreign_national_stays_village_idx ON foreign_national_stays (village_code);
CREATE INDEX foreign_national_stays_dates_idx ON foreign_national_stays (valid_from, valid_until);
CREATE INDEX foreign_national_stays_geom_idx ON foreign_national_stays USING gist (geom);
CREATE INDEX foreign_national_stays_sponsor_idx ON foreign_national_stays (sponsor_company_id);

-- Places a village-coded row; `geom` is taken as the reported point (NULL = none reported).
CREATE FUNCTION place_row_in_village() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE loc record; pt geometry;
BEGIN
    IF TG_OP = 'INSERT' THEN
        pt := NEW.geom;
    ELSIF NEW.village_code IS DISTINCT FROM OLD.village_code OR NEW.geom IS DISTINCT FROM OLD.geom THEN
        -- A new village without a new point: the old stand-in point goes with the old village.
        pt := CASE WHEN NEW.geom IS NOT DISTINCT FROM OLD.geom AND OLD.location_source = 'village'
                   THEN NULL ELSE NEW.geom END;
    ELSE
        RETURN NEW;
    END IF;
    SELECT * INTO loc FROM place_in_village(NEW.village_code, pt);
    NEW.district_code := loc.district_code;
    NEW.regency_code := loc.regency_code;
    NEW.geom := loc.geom;
    NEW.location_source := loc.location_source;
    RETURN NEW;
END $$;
CREATE TRIGGER foreign_national_stays_place BEFORE INSERT OR UPDATE ON foreign_national_stays
    FOR EACH ROW EXECUTE FUNCTION place_row_in_village();
CREATE TRIGGER foreign_national_stays_version BEFORE UPDATE ON foreign_national_stays
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Lodgings and the guests they report --------------------------------------------------------------
CREATE TABLE lodgings (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (btrim(name) <> ''),
    address         text,
    village_code    text NOT NULL REFERENCES boundaries (code),
    district_code   text NOT NULL REFERENCES boundaries (code),
    regency_code    text NOT NULL REFERENCES boundaries (code),
    geom            geometry(Point, 4326) NOT NULL,
    location_source text NOT NULL CHECK (location_source IN ('reported', 'village')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0)
);
-- An establishment is its name within its village, whatever the capitals and spaces of the file.
CREATE UNIQUE INDEX lodgings_identity_idx ON lodgings (village_code, lower(regexp_replace(btrim(name), '\s+', ' ', 'g')));
CREATE INDEX lodgings_regency_idx ON lodgings (regency_code);
CREATE INDEX lodgings_district_idx ON lodgings (district_code);
CREATE INDEX lodgings_geom_idx ON lodgings USING gist (geom);
CREATE TRIGGER lodgings_place BEFORE INSERT OR UPDATE ON lodgings
    FOR EACH ROW EXECUTE FUNCTION place_row_in_village();
CREATE TRIGGER lodgings_version BEFORE UPDATE ON lodgings
    FOR EACH ROW EXECUTE FUNCTION bump_version();

CREATE TABLE lodging_stays (
    id                  bigserial PRIMARY KEY,
    lodging_id          bigint NOT NULL REFERENCES lodgings (id) ON DELETE CASCADE,
    foreign_national_id bigint NOT NULL REFERENCES foreign_nationals (id) ON DELETE CASCADE,
    check_in            date NOT NULL CHECK (check_in >= DATE '2000-01-01'),
    check_out           date,
    -- The last day the guest counts as present: a check-in without a check-out counts for 30 days.
    counted_until       date GENERATED ALWAYS AS (coalesce(check_out, check_in + 30)) STORED,
    agency              text NOT NULL REFERENCES agencies (code),
    batch_id            bigint REFERENCES import_batches (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CHECK (check_out IS NULL OR check_out >= check_in),
    UNIQUE (lodging_id, foreign_national_id, check_in)
);
CREATE INDEX lodging_stays_person_idx ON lodging_stays (foreign_national_id);
CREATE INDEX lodging_stays_dates_idx ON lodging_stays (check_in, counted_until);
CREATE TRIGGER lodging_stays_version BEFORE UPDATE ON lodging_stays
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Monitoring activities of Tim PORA and the regency teams ----------------------------------------------
CREATE TABLE monitoring_activities (
    id            bigserial PRIMARY KEY,
    held_on       date NOT NULL CHECK (held_on >= DATE '2000-01-01'),
    kind          text NOT NULL REFERENCES activity_kinds (code),
    district_code text NOT NULL REFERENCES boundaries (code),
    regency_code  text NOT NULL REFERENCES boundaries (code),
    -- Agencies taking part, sorted, so the same team always has the same key.
    agencies      text[] NOT NULL CHECK (cardinality(agencies) > 0),
    -- Persons and other targets by name: free text that may hold personal data.
    targets       text,
    findings      text,
    follow_up     text,
    agency        text NOT NULL REFERENCES agencies (code),  -- the reporting agency
    batch_id      bigint REFERENCES import_batches (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CHECK (regency_code = left(district_code, 5)),
    UNIQUE (held_on, kind, district_code, agencies)
);
CREATE INDEX monitoring_activities_date_idx ON monitoring_activities (held_on);
CREATE INDEX monitoring_activities_regency_idx ON monitoring_activities (regency_code);
CREATE INDEX monitoring_activities_district_idx ON monitoring_activities (district_code);
CREATE TRIGGER monitoring_activities_version BEFORE UPDATE ON monitoring_activities
    FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Agencies are checked against the controlled list (an array cannot carry a foreign key).
CREATE FUNCTION activities_check_agencies() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE unknown text;
BEGIN
    SELECT a INTO unknown FROM unnest(NEW.agencies) a WHERE a NOT IN (SELECT code FROM agencies) LIMIT 1;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown agency %', unknown USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.agencies := ARRAY(SELECT DISTINCT a FROM unnest(NEW.agencies) a ORDER BY a);
    NEW.regency_code := left(NEW.district_code, 5);
    RETURN NEW;
END $$;
CREATE TRIGGER monitoring_activities_agencies BEFORE INSERT OR UPDATE ON monitoring_activities
    FOR EACH ROW EXECUTE FUNCTION activities_check_agencies();

CREATE TABLE activity_company_targets (
    activity_id bigint NOT NULL REFERENCES monitoring_activities (id) ON DELETE CASCADE,
    company_id  bigint NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    PRIMARY KEY (activity_id, company_id)
);
CREATE INDEX activity_company_targets_company_idx ON activity_company_targets (company_id);

-- Caches key on these versions like on the monitoring tables'.
INSERT INTO data_versions (name) VALUES ('foreign_nationals'), ('foreign_national_stays'), ('lodgings'),
    ('lodging_stays'), ('monitoring_activities'), ('activity_company_targets')
ON CONFLICT DO NOTHING;
-- The persons a worker write makes are counted once per statement of foreign_workers, not once per
-- row: every bump updates one row, and thousands of updates of one row in one transaction make an
-- import slow in the square of its size.
CREATE TRIGGER foreign_nationals_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON foreign_nationals
    FOR EACH STATEMENT WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION bump_data_version();
CREATE FUNCTION bump_named_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions AS d (name) VALUES (TG_ARGV[0])
    ON CONFLICT (name) DO UPDATE SET version = d.version + 1, changed_at = now();
    RETURN NULL;
END $$;
CREATE TRIGGER foreign_workers_persons_data_version AFTER INSERT OR UPDATE ON foreign_workers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_named_data_version('foreign_nationals');
CREATE TRIGGER foreign_national_stays_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON foreign_national_stays
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER lodgings_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lodgings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER lodging_stays_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lodging_stays
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER monitoring_activities_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON monitoring_activities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER activity_company_targets_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON activity_company_targets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();

-- Who is here on a date (issue 17 item 3) ---------------------------------------------------------------
-- One row per person present on `d`, placed once: a stay covering `d` (the latest begun) wins over
-- a worker record, which wins over a lodging stay (the latest check-in; no check-out = 30 days).
-- A worker counts as the statistics count workers: record made by `d`, the earlier of permit and
-- ITAS valid on `d`, departed/deported ones while their record was last changed after `d`; at
-- the work site when known, else at the company, with purpose 'bekerja' and permit 'itas'.
-- Lodging-only guests have neither purpose nor permit type (NULL).
CREATE FUNCTION foreign_nationals_present(d date)
RETURNS TABLE (foreign_national_id bigint, source text, purpose text, permit_type text,
               village_code text, district_code text, regency_code text, geom geometry(Point, 4326),
               sponsor_company_id bigint)
LANGUAGE sql STABLE AS $$
    WITH candidates AS (
        SELECT s.foreign_national_id, 'stay'::text AS source, 1 AS rank, s.valid_from AS since,
               s.purpose, s.permit_type, s.village_code, s.district_code, s.regency_code, s.geom,
               s.sponsor_company_id
          FROM foreign_national_stays s
         WHERE s.valid_from <= d AND (s.valid_until IS NULL OR s.valid_until >= d)
        UNION ALL
        SELECT w.foreign_national_id, 'worker', 2, w.created_at::date,
               'bekerja', 'itas',
               CASE WHEN w.work_site IS NULL THEN c.village_code ELSE w.work_site_village_code END,
               coalesce(w.work_site_district_code, c.district_code),
               left(coalesce(w.work_site_district_code, c.district_code), 5), coalesce(w.work_site, c.geom),
               c.id
          FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.foreign_national_id IS NOT NULL
           AND w.created_at::date <= d
           AND least(w.permit_valid_until, w.itas_valid_until) >= d
           AND (w.status = 'active' OR w.updated_at::date > d)
        UNION ALL
        SELECT ls.foreign_national_id, 'lodging', 3, ls.check_in,
               NULL, NULL, l.village_code, l.district_code, l.regency_code, l.geom, NULL
          FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id
         WHERE ls.check_in <= d AND ls.counted_until >= d
    )
    SELECT DISTINCT ON (c.foreign_national_id)
           c.foreign_national_id, c.source, c.purpose, c.permit_type, c.village_code, c.district_code,
           c.regency_code, c.geom, c.sponsor_company_id
      FROM candidates c
     ORDER BY c.foreign_national_id, c.rank, c.since DESC
$$;

-- A company's version moves only when a column other than its generated Feature changes: the
-- whole-row comparison of bump_version() has no equality for json and failed on an UPDATE that
-- changed nothing before that column.
CREATE FUNCTION companies_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'feature') IS DISTINCT FROM (to_jsonb(OLD) - 'feature') THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER companies_version ON companies;
CREATE TRIGGER companies_version BEFORE UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_bump_version();
