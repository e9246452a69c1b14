-- Pre-account hijack: every signup of a not-yet-verified address keeps its own pending credential,
-- and a verify link belongs to exactly one signup. Verification copies that signup's credential to
-- the user; a newer signup voids the older ones (and with them their links).
CREATE TABLE signups (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    display_name  text,
    created_at    timestamptz NOT NULL,
    voided_at     timestamptz
);
CREATE INDEX signups_user_id ON signups (user_id, id);

ALTER TABLE email_tokens ADD COLUMN signup_id bigint REFERENCES signups (id) ON DELETE CASCADE;
CREATE INDEX email_tokens_signup_id ON email_tokens (signup_id) WHERE signup_id IS NOT NULL;

-- Unverified users from before this migration: their credential becomes their one signup, and
-- their open verify links belong to it. Links of verified users stay unbound and so stop working.
INSERT INTO signups (user_id, password_hash, display_name, created_at)
SELECT id, password_hash, display_name, created_at FROM users WHERE email_verified_at IS NULL;
UPDATE email_tokens t SET signup_id = s.id FROM signups s WHERE s.user_id = t.user_id AND t.purpose = 'verify';

-- Mail volume per address: a row is rendered (its link minted, subject/text/html written) in a
-- short transaction of its own and then sent; rendered_at is when it counted as "mailed" for
-- Email:MinIntervalPerAddress. Rows written already rendered get it at once.
ALTER TABLE outbox_emails ADD COLUMN rendered_at timestamptz;
UPDATE outbox_emails SET rendered_at = created_at WHERE text IS NOT NULL;
CREATE INDEX outbox_emails_unrendered ON outbox_emails (next_attempt_at) WHERE rendered_at IS NULL AND sent_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_emails_user_kind ON outbox_emails (user_id, kind) WHERE sent_at IS NULL AND dropped_at IS NULL;
CREATE INDEX outbox_emails_to_kind_rendered ON outbox_emails ("to", kind, rendered_at);
