"""Google Trends enrichment: one monthly 10-year interest series per distinct (topic, anchor month,
geo), shared by every article with that topic; the 3-, 5- and 10-year windows are cut from it in SQL.

`series` holds the data type and the window arithmetic, `backends` the sources (pytrends, csv),
`fetch` plans and sends the requests (backoff, resume, shards), `store` writes and merges results.
"""
