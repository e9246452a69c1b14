-- Second factors: TOTP with recovery codes, passkeys, and how each session was established. Every new
-- column is defaulted, so replicas of the previous release keep working against this schema.

-- RFC 8176 methods of the signin that started the session; a refresh carries them into every access token.
ALTER TABLE sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';

-- The user object's `mfa`, kept on the row so every read of a user stays one row: changed in the same
-- transaction as the factor tables below.
ALTER TABLE users
    ADD COLUMN totp_enabled  boolean NOT NULL DEFAULT false,
    ADD COLUMN passkey_count integer NOT NULL DEFAULT 0;

-- One TOTP secret per user, sealed under the key-encryption key (associated data 'totp:<user id>').
-- confirmed_at is null while a setup waits for its first code. last_used_step is the newest time step
-- accepted: a code is accepted only for a later step, in one UPDATE, so it is never accepted twice,
-- whichever replica sees it.
CREATE TABLE totp_secrets (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret  bytea NOT NULL,
    kek_id         text NOT NULL,
    created_at     timestamptz NOT NULL,
    confirmed_at   timestamptz,
    last_used_step bigint NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes of 80 random bits each.
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A signin whose password was right and that waits for its second factor: the mfaToken's hash.
CREATE TABLE mfa_challenges (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    failures   integer NOT NULL DEFAULT 0,
    used_at    timestamptz
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);

-- WebAuthn credentials (passkeys). The user handle is the user's id (16 bytes), which says nothing about the user.
CREATE TABLE passkeys (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    public_key    bytea NOT NULL,
    sign_count    bigint NOT NULL,
    aaguid        uuid,
    transports    text[] NOT NULL DEFAULT '{}',
    name          text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- WebAuthn ceremonies in flight: the options sent (challenge included), single use, short-lived.
-- user_id is the registering user; null for a passwordless signin.
CREATE TABLE webauthn_challenges (
    id         uuid PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('register', 'signin')),
    options    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expires_at ON webauthn_challenges (expires_at);

-- rotate_refresh_token_v3 (unreleased) now also returns the session's amr and the user's factors: a changed
-- result type cannot be replaced in place, and the function is created again right after the migrations.
DROP FUNCTION IF EXISTS rotate_refresh_token_v3(bytea, bytea, interval, interval, interval, text, text, text);
