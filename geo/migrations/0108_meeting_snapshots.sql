-- The meeting pack's change table (issue 19 item 3, geo/meetings/changes.py): the figures of the
-- meeting's day, kept when a meeting is recorded on (or around) that day. Recomputed later from the
-- data's dates they would miss what is not historised (a departure dated by the worker's last change,
-- a permit renewed since, a record deleted since); kept now they are the statistics of that moment.
-- Per district, unfiltered: the pack sums them per regency and within a user's scope, and uses them
-- only for a report without the user-chosen filters (sector, nationality, RPTKA) and when the
-- snapshot was taken on the meeting's day in the province's time (checked by the application).

-- Per district: the counts of geo.stats (region_stats, foreign_region_stats) on day d, as they are now.
CREATE FUNCTION meeting_snapshot_figures(d date) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH co AS (
        SELECT c.district_code AS code, count(*) AS companies,
               count(*) FILTER (WHERE c.rptka_valid_until < d) AS rptka_expired
          FROM companies c GROUP BY 1
    ), wk AS (
        SELECT c.district_code AS code, count(*) AS foreign_workers,
               count(*) FILTER (WHERE LEAST(w.permit_valid_until, w.itas_valid_until) < d) AS permits_expired
          FROM foreign_workers w JOIN companies c ON c.id = w.company_id
         WHERE w.status = 'active' GROUP BY 1
    ), ins AS (
        SELECT c.district_code AS code, count(*) AS inspections_12m
          FROM inspections i JOIN companies c ON c.id = i.company_id
         WHERE i.inspected_on > (d - interval '12 months')::date AND i.inspected_on <= d GROUP BY 1
    ), fn AS (
        SELECT f.district_code AS code, count(*) AS foreign_nationals
          FROM foreign_nationals_present(d) f GROUP BY 1
    ), codes AS (
        SELECT code FROM co UNION SELECT code FROM wk UNION SELECT code FROM ins UNION SELECT code FROM fn
    )
    SELECT coalesce(jsonb_object_agg(codes.code, jsonb_build_object(
               'companies', coalesce(co.companies, 0), 'rptka_expired', coalesce(co.rptka_expired, 0),
               'foreign_workers', coalesce(wk.foreign_workers, 0), 'permits_expired', coalesce(wk.permits_expired, 0),
               'inspections_12m', coalesce(ins.inspections_12m, 0),
               'foreign_nationals', coalesce(fn.foreign_nationals, 0))), '{}'::jsonb)
      FROM codes LEFT JOIN co USING (code) LEFT JOIN wk USING (code) LEFT JOIN ins USING (code)
      LEFT JOIN fn USING (code)
$$;

CREATE TABLE meeting_snapshots (
    meeting_id bigint PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    held_on    date NOT NULL,  -- the meeting's day the figures were counted on
    taken_at   timestamptz NOT NULL DEFAULT now(),
    figures    jsonb NOT NULL  -- {district code: {figure: count}}
);

-- A meeting recorded within a day of its date (either side, for the time zones): its figures now.
-- One recorded later gets none (the pack then recomputes them from the data's dates).
CREATE FUNCTION meetings_take_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.held_on BETWEEN current_date - 1 AND current_date + 1 THEN
        INSERT INTO meeting_snapshots (meeting_id, held_on, figures)
        VALUES (NEW.id, NEW.held_on, meeting_snapshot_figures(NEW.held_on))
        ON CONFLICT (meeting_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER meetings_snapshot AFTER INSERT ON meetings
    FOR EACH ROW EXECUTE FUNCTION meetings_take_snapshot();
