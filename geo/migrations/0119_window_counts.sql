-- The statistics' two window columns without counting the window on every request (#16 item 7): the
-- distinct lodging guests of the 30 days up to a day (lodging_guests_30d) and the monitoring
-- activities of the 12 months up to it (activities_12m), kept per region for one day
-- (geo/stats/foreign.py counts_sql reads them; the tables answer when they are not current).
--
-- Distinct guests do not add up across regions (a guest of two lodgings counts once in their
-- common region), so they are kept at every level: per (level, region, nationality). Activities add
-- up: per district.
--
-- Writers only queue: a statement on lodging_stays, lodgings (place) or monitoring_activities adds
-- a row to fn_window_dirty. fn_window_refresh(day) counts both windows again, whole (a few tens of
-- thousands of rows at the largest benchmark: cheaper to count again than to keep deltas of distinct
-- counts), and moves them to `day`. One refresh at a time (it locks the fn_window_day row). A read
-- uses the counts only when, in its own snapshot, the queue is empty and they are counted on the
-- read's day (fn_window_ready), as fn_present_ready (0110). A person's nationality reaches the
-- guests through lodging_stays.nationality (0117: an update there queues).

CREATE TABLE fn_window_day (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    day      date  -- NULL: nothing counted yet
);
INSERT INTO fn_window_day DEFAULT VALUES;

CREATE TABLE fn_window_dirty (queued_at timestamptz NOT NULL DEFAULT now());

-- Distinct guests per region of each level; regency_code / district_code: the region's own or its
-- parents' (NULL above the region), for the place filters. Codes and counts only.
CREATE TABLE fn_guest_counts (
    level         text NOT NULL CHECK (level IN ('province', 'regency', 'district', 'village')),
    region        text NOT NULL,
    regency_code  text,
    district_code text,
    nationality   text,
    n             int8 NOT NULL
);
CREATE INDEX fn_guest_counts_level_idx ON fn_guest_counts (level, region);

CREATE TABLE fn_activity_counts (
    district_code text PRIMARY KEY,
    regency_code  text NOT NULL,
    n             int8 NOT NULL
);

CREATE FUNCTION fn_window_ready(d date) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (SELECT s.day FROM fn_window_day s) = d AND NOT EXISTS (SELECT 1 FROM fn_window_dirty)
$$;

-- Counts both windows on day `d` when they are not counted on it or something is queued; returns
-- the rows it wrote (0: nothing to do). `batch` is accepted for geo.stats.kept's one
-- calling form; the count is always whole.
CREATE FUNCTION fn_window_refresh(d date, batch integer DEFAULT NULL) RETURNS integer LANGUAGE plpgsql
SET jit = off AS $$
DECLARE
    counted_on date;
    counted integer;
    districts integer;
BEGIN
    -- One refresh at a time. READ COMMITTED: a writer that commits after the DELETE below keeps its
    -- queue row, so a write is either counted here or queued for the next refresh.
    SELECT s.day INTO counted_on FROM fn_window_day s FOR UPDATE;
    IF counted_on IS NOT DISTINCT FROM d AND NOT EXISTS (SELECT 1 FROM fn_window_dirty) THEN
        RETURN 0;
    END IF;
    DELETE FROM fn_window_dirty;
    DELETE FROM fn_guest_counts;
    -- The window of geo.stats.foreign.GUEST_WINDOW_DAYS: stays overlapping the 30 days up to d.
    INSERT INTO fn_guest_counts (level, region, regency_code, district_code, nationality, n)
    SELECT CASE GROUPING(g.regency_code, g.district_code, g.village_code)
                WHEN 7 THEN 'province' WHEN 3 THEN 'regency' WHEN 1 THEN 'district' ELSE 'village' END,
           CASE GROUPING(g.regency_code, g.district_code, g.village_code)
                WHEN 7 THEN g.province WHEN 3 THEN g.regency_code WHEN 1 THEN g.district_code
                ELSE g.village_code END,
           g.regency_code, g.district_code, g.nationality, count(DISTINCT g.id)
      FROM (SELECT DISTINCT ls.foreign_national_id AS id, ls.nationality, left(l.regency_code, 2) AS province,
                   l.regency_code, l.district_code, l.village_code
              FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id
             WHERE ls.check_in <= d AND ls.counted_until > d - 30) g
     GROUP BY GROUPING SETS ((g.province, g.nationality),
                             (g.province, g.regency_code, g.nationality),
                             (g.province, g.regency_code, g.district_code, g.nationality),
                             (g.province, g.regency_code, g.district_code, g.village_code, g.nationality))
    HAVING CASE GROUPING(g.regency_code, g.district_code, g.village_code)
                WHEN 7 THEN g.province WHEN 3 THEN g.regency_code WHEN 1 THEN g.district_code
                ELSE g.village_code END IS NOT NULL;
    GET DIAGNOSTICS counted = ROW_COUNT;
    DELETE FROM fn_activity_counts;
    INSERT INTO fn_activity_counts (district_code, regency_code, n)
    SELECT a.district_code, a.regency_code, count(*)
      FROM monitoring_activities a
     WHERE a.held_on > (d - interval '12 months')::date AND a.held_on <= d
     GROUP BY 1, 2;
    GET DIAGNOSTICS districts = ROW_COUNT;
    UPDATE fn_window_day SET day = d;
    RETURN counted + districts;
END $$;

CREATE FUNCTION fn_window_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fn_window_dirty DEFAULT VALUES;
    RETURN NULL;
END $$;

CREATE TRIGGER lodging_stays_window_queue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lodging_stays
    FOR EACH STATEMENT EXECUTE FUNCTION fn_window_queue();
CREATE TRIGGER lodgings_window_queue AFTER UPDATE OF regency_code, district_code, village_code OR DELETE
    OR TRUNCATE ON lodgings FOR EACH STATEMENT EXECUTE FUNCTION fn_window_queue();
CREATE TRIGGER monitoring_activities_window_queue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON monitoring_activities FOR EACH STATEMENT EXECUTE FUNCTION fn_window_queue();
