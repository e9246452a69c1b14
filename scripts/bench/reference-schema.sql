-- The tables of the pgbench references (scripts/bench/rotation.sql, update.sql): a session row and a token log.
DROP TABLE IF EXISTS bench_tokens, bench_sessions;
CREATE TABLE bench_sessions (id integer PRIMARY KEY, last_used_at timestamptz NOT NULL, generation integer NOT NULL);
CREATE TABLE bench_tokens (id bigserial PRIMARY KEY, session_id integer NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO bench_sessions SELECT g, now(), 0 FROM generate_series(1, 10000) g;
VACUUM ANALYZE bench_sessions;
