-- Parameters of the label views (warehouse/sql), one row per name. Change them with
-- UPDATE label_params SET value = '0.5' WHERE name = 'min_rise'; views read them on every query.

CREATE TABLE label_params (
    name         VARCHAR NOT NULL,   -- key
    value        VARCHAR NOT NULL,
    description  VARCHAR NOT NULL
);

INSERT INTO label_params VALUES
    ('signal_combiner',    'or',        'v_signal.signal from the two parts: or | and | gpt | trend'),
    ('trend_rule',         'thesis',    'which trend label feeds v_signal: thesis (v_trend_signal) | rising (v_trend_rising)'),
    ('topic_combiner',     'any',       'an article is a trend signal if any | majority of its scored topics fire'),
    ('topics_per_article', '5',         'the first N topics of each article (most specific first) are looked up and scored'),
    ('anchor',             'published', 'which series the labels use: published (no look-ahead) | fetch (as the thesis did)'),
    ('geo',                '',          'Google geo code of the series the labels use; empty = worldwide'),
    ('g5_over_g3',         '1.64',      'thesis rule: fires when g5 >= this * g3 (or g3 = 0) ...'),
    ('g10_over_g5',        '1.9',       '... and g5 > 0 and g10 >= this * g5'),
    ('window_rescale',     'true',      'true: each window sum is rescaled to its own peak = 100, as separate Trends requests were; false: raw sums'),
    ('include_partial',    'false',     'count a month Google marks partial (not over when fetched) in the windows'),
    ('rise_months',        '12',        'rising rule: mean of the last N months against the mean of the N before'),
    ('min_rise',           '0.2',       'rising rule: fires when recent mean > 0 and >= (1 + this) * prior mean');
