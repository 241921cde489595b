-- normalize strips tracking parameters from URLs.
SELECT id, url FROM v_articles_clean WHERE regexp_matches(url, '[?&](utm_|fbclid=|gclid=)')
