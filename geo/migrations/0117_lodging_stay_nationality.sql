-- The lodging guests counted with a nationality filter (the statistics' foreign-national columns and
-- quarterly series, geo/stats/foreign.py) joined each guest of the window to every person of that
-- nationality (242,798 hashed per request at bench scale). A person's nationality is part of their
-- identity (UNIQUE (passport_number, nationality); no writer changes it): each stay keeps a copy, set
-- from the person on insert, and the window's index holds it.
ALTER TABLE lodging_stays ADD COLUMN nationality text;
-- Filling the copy is not a change of the stays: their version and the presence queue stay as they are.
ALTER TABLE lodging_stays DISABLE TRIGGER lodging_stays_version, DISABLE TRIGGER lodging_stays_present_upd;
UPDATE lodging_stays ls SET nationality = p.nationality FROM foreign_nationals p WHERE p.id = ls.foreign_national_id;
ALTER TABLE lodging_stays ENABLE TRIGGER lodging_stays_version, ENABLE TRIGGER lodging_stays_present_upd;
ALTER TABLE lodging_stays ALTER COLUMN nationality SET NOT NULL;

CREATE FUNCTION lodging_stay_nationality() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.nationality INTO NEW.nationality FROM foreign_nationals p WHERE p.id = NEW.foreign_national_id;
    RETURN NEW;
END $$;
CREATE TRIGGER lodging_stays_nationality BEFORE INSERT OR UPDATE OF foreign_national_id, nationality ON lodging_stays
    FOR EACH ROW EXECUTE FUNCTION lodging_stay_nationality();

-- Should a person's nationality ever be corrected in SQL, their stays follow.
CREATE FUNCTION foreign_national_nationality_to_stays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lodging_stays SET nationality = NEW.nationality WHERE foreign_national_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER foreign_nationals_nationality_to_stays AFTER UPDATE OF nationality ON foreign_nationals
    FOR EACH ROW WHEN (OLD.nationality IS DISTINCT FROM NEW.nationality)
    EXECUTE FUNCTION foreign_national_nationality_to_stays();

DROP INDEX lodging_stays_window_idx;
CREATE INDEX lodging_stays_window_idx ON lodging_stays (counted_until)
    INCLUDE (check_in, lodging_id, foreign_national_id, nationality);
