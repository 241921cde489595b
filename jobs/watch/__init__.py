"""`newsalign watch`: crawl what is fresh on a schedule, enrich, score, and report each new signal once."""
