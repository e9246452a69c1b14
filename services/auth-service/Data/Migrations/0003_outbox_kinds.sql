-- Outbox rows carry the mail's kind and parameters, so a mail can be rendered (and its link
-- minted) when it is sent rather than when it was requested, and so SQL functions can queue a
-- mail in their own transaction. subject/text/html are filled in when the row is rendered;
-- rows written already rendered keep kind 'notice'. A row made obsolete by a newer one of the
-- same kind to the same address is dropped (dropped_at), never sent.
ALTER TABLE outbox_emails
    ADD COLUMN kind       text NOT NULL DEFAULT 'notice',
    ADD COLUMN params     jsonb,
    ADD COLUMN user_id    uuid,
    ADD COLUMN dropped_at timestamptz,
    ALTER COLUMN subject DROP NOT NULL,
    ALTER COLUMN text    DROP NOT NULL,
    ALTER COLUMN html    DROP NOT NULL;

DROP INDEX outbox_emails_pending;
CREATE INDEX outbox_emails_pending ON outbox_emails (next_attempt_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_emails_to_kind ON outbox_emails ("to", kind, sent_at);
