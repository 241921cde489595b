"""`newsalign review`: a local page where a person labels articles one key at a time, written into the lake
(`human_labels`) and counted everywhere the labels count (`v_human_signal`, `v_signal`, `v_label_stats`)."""
