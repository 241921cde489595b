"""Google Trends enrichment: one monthly interest series per distinct (topic, geo), shared by every
article with that topic. With the published anchor it spans the ten years before the topic's first
article to the month before its last; each article's 3-, 5- and 10-year windows are cut from it in
SQL, ending before the article's own publication month.

`series` holds the data type and the window arithmetic, `backends` the sources (pytrends, csv),
`fetch` plans and sends the requests (backoff, resume, shards), `batch` groups up to five topics a
request, `precision` decides whether a shared answer settles a topic's labels, `store` writes and
merges results.
"""
