-- The statistics' foreign-national columns count, on every request, the lodging guests of the 30 days
-- up to the day and the activities of the 12 months up to it (geo/stats/foreign.py counts_sql).
-- Guests: lodging_stays_dates_idx led with check_in, so "check_in <= day" read every stay since the
-- first; by counted_until only the window's (and later ones) are read, from the index alone. The
-- presence rule's "check_in <= d AND counted_until >= d" is answered the same way.
-- Activities: the window by held_on, with the places counted, from the index alone.
CREATE INDEX lodging_stays_window_idx ON lodging_stays (counted_until) INCLUDE (check_in, lodging_id, foreign_national_id);
DROP INDEX lodging_stays_dates_idx;
CREATE INDEX monitoring_activities_held_idx ON monitoring_activities (held_on) INCLUDE (regency_code, district_code);
DROP INDEX monitoring_activities_date_idx;  -- the new one leads with the same column
