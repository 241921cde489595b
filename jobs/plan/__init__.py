"""`newsalign crawl plan`: a backfill as Scrapyd jobs over several machines (planner, Scrapyd client, lake ledger)."""
