-- The planner's row estimate of a query, for numberMatched when counting exactly would cost more
-- than the page (geo/features/sql.py). Called inside the page statement, so a large result needs
-- no second round trip. Only the server's own SELECTs reach it; EXPLAIN without ANALYZE runs nothing.
CREATE FUNCTION plan_row_estimate(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    IF query !~* '^\s*SELECT\s' THEN
        RAISE EXCEPTION 'plan_row_estimate: not a SELECT';
    END IF;
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric);
END $$;
