-- Running a user base: roles carried in access tokens, disabled accounts, the admin API's listing,
-- email change, and who acted in an audit event. Every column is nullable or defaulted, so replicas of
-- the previous release keep working against this schema during a rolling update.
ALTER TABLE users
    ADD COLUMN roles          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN disabled_at    timestamptz,
    ADD COLUMN last_signin_at timestamptz;

-- The admin listing pages newest first by (created_at, id): keyset pagination walks this index.
CREATE INDEX users_created_at_id ON users (created_at DESC, id DESC);

-- Email change: a confirmation link to the new address carries the address it confirms.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('verify', 'reset', 'email_change'));
ALTER TABLE email_tokens ADD COLUMN new_email text;

-- The user who acted (an admin, for admin calls); user_id stays the account the event is about.
ALTER TABLE audit_events ADD COLUMN actor_id uuid;
CREATE INDEX audit_events_actor_id ON audit_events (actor_id, created_at) WHERE actor_id IS NOT NULL;
