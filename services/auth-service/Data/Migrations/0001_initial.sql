-- Users, sessions (refresh-token families), email tokens, outbox, signing keys, audit, lockout.
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL UNIQUE,
    password_hash     text NOT NULL,
    email_verified_at timestamptz,
    display_name      text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE sessions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    idle_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    user_agent      text,
    ip              text
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz,
    replaced_by bigint REFERENCES refresh_tokens (id)
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify', 'reset')),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_tokens_user_purpose ON email_tokens (user_id, purpose);

CREATE TABLE signin_failures (
    email        text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL,
    locked_until timestamptz
);

CREATE TABLE outbox_emails (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "to"        text NOT NULL,
    subject     text NOT NULL,
    text        text NOT NULL,
    html        text NOT NULL,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error  text
);
CREATE INDEX outbox_emails_pending ON outbox_emails (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_emails_to ON outbox_emails ("to", id DESC);

CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    alg         text NOT NULL,
    public_jwk  jsonb NOT NULL,
    private_key bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    not_before  timestamptz NOT NULL,
    retire_at   timestamptz,
    expires_at  timestamptz
);

CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid,
    kind       text NOT NULL,
    ip         text,
    user_agent text,
    created_at timestamptz NOT NULL,
    details    jsonb
);
CREATE INDEX audit_events_user_id ON audit_events (user_id, created_at);
