-- validate rejects dates in the future (a day of clock skew allowed).
SELECT id, date_published FROM v_articles_clean WHERE date_published > now() + INTERVAL 1 DAY
