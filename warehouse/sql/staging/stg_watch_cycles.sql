-- stg_watch_cycles: the watch_cycles table as the views read it (no logic).
-- Grain: one row per watch cycle.
CREATE OR REPLACE VIEW stg_watch_cycles AS
SELECT
    cycle_id,
    started,
    finished,
    status,
    model,
    detail
FROM watch_cycles;
