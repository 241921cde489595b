-- `newsalign review` (review/): a person's judgement, one row per decision made on the review page.
-- Each decision is its own short transaction, so an answer the page acknowledged survives a kill -9.
-- Undo marks the row (undone_at) instead of deleting it: the lake keeps what was said and taken back.
-- Grain: one row per decision; key decision_id.
CREATE TABLE human_labels (
    decision_id  VARCHAR NOT NULL,       -- key; a random id made by the server
    article_id   VARCHAR NOT NULL,       -- articles.id
    annotator    VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL,       -- signal | not | skip
    queue        VARCHAR NOT NULL,       -- gold | disagree | uncertain
    decided_at   TIMESTAMPTZ NOT NULL,
    seconds      DOUBLE,                 -- time the article was on screen before the decision
    undone_at    TIMESTAMPTZ             -- NULL unless the annotator undid it
);

-- The gold sample: articles drawn at random, stratified by source, never chosen by a model. Drawn once
-- per lake (the first `review --queue gold`), so articles crawled later do not reorder it; `seed` is the
-- seed it was drawn with. position orders the queue; overlap marks the share asked of two annotators.
-- Grain: one row per article in the sample; key article_id.
CREATE TABLE review_gold (
    article_id   VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    position     INTEGER NOT NULL,
    overlap      BOOLEAN NOT NULL,
    seed         BIGINT NOT NULL,
    drawn_at     TIMESTAMPTZ NOT NULL
);

-- Which annotator has which gold article on screen (or preloaded), so two people at once never get the
-- same one (except the overlap share). A claim older than the server's claim timeout no longer holds.
-- Grain: one row per (article, annotator) claim.
CREATE TABLE review_claims (
    article_id   VARCHAR NOT NULL,
    annotator    VARCHAR NOT NULL,
    claimed_at   TIMESTAMPTZ NOT NULL
);

INSERT INTO label_params VALUES
    ('human_labels', 'override', 'v_signal takes a person''s decision (v_human_signal) where there is one: override | ignore');
