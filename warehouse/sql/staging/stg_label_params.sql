-- stg_label_params: label_params (name, value rows) as one typed row.
-- Grain: exactly one row. A missing or malformed value fails every label query with a message naming it.
CREATE OR REPLACE VIEW stg_label_params AS
WITH raw AS (
    SELECT
        any_value(value) FILTER (WHERE name = 'signal_combiner')    AS signal_combiner,
        any_value(value) FILTER (WHERE name = 'trend_rule')         AS trend_rule,
        any_value(value) FILTER (WHERE name = 'topic_combiner')     AS topic_combiner,
        any_value(value) FILTER (WHERE name = 'topics_per_article') AS topics_per_article,
        any_value(value) FILTER (WHERE name = 'anchor')             AS anchor,
        any_value(value) FILTER (WHERE name = 'geo')                AS geo,
        any_value(value) FILTER (WHERE name = 'g5_over_g3')         AS g5_over_g3,
        any_value(value) FILTER (WHERE name = 'g10_over_g5')        AS g10_over_g5,
        any_value(value) FILTER (WHERE name = 'window_rescale')     AS window_rescale,
        any_value(value) FILTER (WHERE name = 'include_partial')    AS include_partial,
        any_value(value) FILTER (WHERE name = 'rise_months')        AS rise_months,
        any_value(value) FILTER (WHERE name = 'min_rise')           AS min_rise,
        any_value(value) FILTER (WHERE name = 'human_labels')       AS human_labels
    FROM label_params
)
SELECT
    CASE WHEN signal_combiner IN ('or', 'and', 'gpt', 'trend') THEN signal_combiner
         ELSE error('label_params.signal_combiner must be or, and, gpt or trend, not ' || coalesce(signal_combiner, 'missing')) END AS signal_combiner,
    CASE WHEN trend_rule IN ('thesis', 'rising') THEN trend_rule
         ELSE error('label_params.trend_rule must be thesis or rising, not ' || coalesce(trend_rule, 'missing')) END AS trend_rule,
    CASE WHEN topic_combiner IN ('any', 'majority') THEN topic_combiner
         ELSE error('label_params.topic_combiner must be any or majority, not ' || coalesce(topic_combiner, 'missing')) END AS topic_combiner,
    CASE WHEN try_cast(topics_per_article AS INTEGER) >= 1 THEN topics_per_article::INTEGER
         ELSE error('label_params.topics_per_article must be a whole number >= 1, not ' || coalesce(topics_per_article, 'missing')) END AS topics_per_article,
    CASE WHEN anchor IN ('published', 'fetch') THEN anchor
         ELSE error('label_params.anchor must be published or fetch, not ' || coalesce(anchor, 'missing')) END AS anchor,
    CASE WHEN geo IS NOT NULL THEN geo ELSE error('label_params.geo is missing (use an empty value for worldwide)') END AS geo,
    CASE WHEN try_cast(g5_over_g3 AS DOUBLE) > 0 THEN g5_over_g3::DOUBLE
         ELSE error('label_params.g5_over_g3 must be a number > 0, not ' || coalesce(g5_over_g3, 'missing')) END AS g5_over_g3,
    CASE WHEN try_cast(g10_over_g5 AS DOUBLE) > 0 THEN g10_over_g5::DOUBLE
         ELSE error('label_params.g10_over_g5 must be a number > 0, not ' || coalesce(g10_over_g5, 'missing')) END AS g10_over_g5,
    CASE WHEN try_cast(window_rescale AS BOOLEAN) IS NOT NULL THEN window_rescale::BOOLEAN
         ELSE error('label_params.window_rescale must be true or false, not ' || coalesce(window_rescale, 'missing')) END AS window_rescale,
    CASE WHEN try_cast(include_partial AS BOOLEAN) IS NOT NULL THEN include_partial::BOOLEAN
         ELSE error('label_params.include_partial must be true or false, not ' || coalesce(include_partial, 'missing')) END AS include_partial,
    CASE WHEN try_cast(rise_months AS INTEGER) BETWEEN 1 AND 60 THEN rise_months::INTEGER
         ELSE error('label_params.rise_months must be a whole number from 1 to 60, not ' || coalesce(rise_months, 'missing')) END AS rise_months,
    CASE WHEN try_cast(min_rise AS DOUBLE) >= 0 THEN min_rise::DOUBLE
         ELSE error('label_params.min_rise must be a number >= 0, not ' || coalesce(min_rise, 'missing')) END AS min_rise,
    CASE WHEN human_labels IN ('override', 'ignore') THEN human_labels
         ELSE error('label_params.human_labels must be override or ignore, not ' || coalesce(human_labels, 'missing')) END AS human_labels
FROM raw;
