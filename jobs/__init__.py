"""Jobs that drive crawls over the layers below: every source at once (`crawl_all`), sources one after
another (`in_turn`), a backfill as Scrapyd jobs over several machines (`plan`)."""
