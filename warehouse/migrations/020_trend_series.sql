-- Google Trends interest: one row per request (topic, geo, anchor, anchor month), shared by every
-- article with that topic. Written by `newsalign enrich trends`, combined from shards by `newsalign merge`.

CREATE TABLE trend_series (
    topic         VARCHAR NOT NULL,   -- as sent to Google: lower(trim(topic)); Trends ignores case
    geo           VARCHAR NOT NULL,   -- '' = worldwide, else a Google geo code (US, GB, US-CA)
    anchor        VARCHAR NOT NULL,   -- published (series ends the month before publication) | fetch (ends when fetched)
    anchor_month  DATE NOT NULL,      -- published: the articles' publication month; fetch: the month it was fetched
    timeframe     VARCHAR NOT NULL,   -- the window requested, 'YYYY-MM-DD YYYY-MM-DD'
    backend       VARCHAR NOT NULL,   -- pytrends | csv | ...
    status        VARCHAR NOT NULL,   -- ok | empty (Trends has no data for the topic) | error (retried next run)
    months        DATE[],             -- first day of each month, ascending (ok only)
    interest      INTEGER[],          -- 0..100, relative to the peak of the requested window (ok only)
    partial       BOOLEAN[],          -- Google's isPartial: the month was not over when fetched (ok only)
    error         VARCHAR,            -- what went wrong (error only)
    fetched_at    TIMESTAMPTZ NOT NULL
    -- key: (topic, geo, anchor, anchor_month)
);
