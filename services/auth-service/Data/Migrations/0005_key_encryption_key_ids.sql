-- Key-encryption key rotation (Auth:KeyEncryptionKeys). Every sealed value records the id of the KEK that
-- sealed it, so a replica knows which key opens it and `rewrap-keys` knows what is left to move. Rows from
-- before this migration were sealed under the single Auth:KeyEncryptionKey, whose id is 'legacy'; the
-- default also labels the keys that pods of the previous release insert during a rolling update.
ALTER TABLE signing_keys ADD COLUMN kek_id text NOT NULL DEFAULT 'legacy';

-- The service's own secrets, random and sealed under the KEK like the signing keys, so rotating the KEK
-- leaves them as they are (ServerSecretStore). The first is the refresh-token successor key, which the
-- previous release derived from the KEK. A row without a value is pending (below); kek_id goes with the value.
CREATE TABLE server_secrets (
    name         text PRIMARY KEY,
    sealed_value bytea,
    kek_id       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((sealed_value IS NULL) = (kek_id IS NULL))
);

-- A database that already has sessions keeps the successor key they were rotated with. SQL cannot derive it
-- (that takes the KEK), so this only marks it pending: the first replica of this release to start derives it
-- as the previous release did and seals it here (RefreshSuccessorKey). A new database gets a random one.
INSERT INTO server_secrets (name)
SELECT 'refresh_successor_key' WHERE EXISTS (SELECT 1 FROM sessions) OR EXISTS (SELECT 1 FROM signing_keys);
