-- Bus ingester: the inbox (one row per message taken into account, written
-- in the same transaction as the handler's writes, so a message takes
-- effect once however often it is delivered) and the dead letters
-- (messages whose handler kept failing; `pdc retry` runs them again).

CREATE TABLE ingest_inbox (
    -- Normalised id: fedmsg's `YYYY-<uuid>` and fedora-messaging's `<uuid>` are one key.
    message_id text PRIMARY KEY,
    raw_id text NOT NULL,
    topic text NOT NULL,
    sent_at timestamptz,
    processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    handler text NOT NULL,
    -- 'applied' (the handler ran; it may have changed nothing) or 'skipped'
    -- (the handler declined the message, e.g. a non-final compose state).
    outcome text NOT NULL CHECK (outcome IN ('applied', 'skipped')),
    detail text,
    changeset_pk bigint REFERENCES changeset(id) ON DELETE SET NULL
);
CREATE INDEX ingest_inbox_topic ON ingest_inbox (topic, processed_at);

CREATE TABLE ingest_dead_letter (
    message_id text PRIMARY KEY,
    topic text NOT NULL,
    -- The normalised message (id, raw_id, topic, sent_at, headers, body).
    message jsonb NOT NULL,
    error text NOT NULL,
    attempts integer NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
