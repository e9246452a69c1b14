#!/usr/bin/env bash
# make bench-import: `import-users` on N generated users (default 100,000) against the local cluster (.data/pg,
# PG_PORT), from the Release publish output, under /usr/bin/time -v: rows/s from the command's summary, peak
# memory from time's "Maximum resident set size". A fresh database each run, so every user is imported.
# The users carry one bcrypt hash (hashing 100,000 passwords would measure bcrypt, not the import).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${IMPORT_USERS:-100000}
port=${PG_PORT:-54329}
db=auth_import_bench
file="$root/artifacts/bench-import/users.jsonl"
mkdir -p "$(dirname "$file")"

python3 - "$n" "$file" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
bcrypt = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"email": f"bench-user-{i}@example.com", "passwordHash": bcrypt, "emailVerified": i % 10 != 0,
                            "displayName": f"Bench User {i}", "roles": ["customer"] if i % 100 else ["customer", "support"],
                            "createdAt": "2021-03-04T05:06:07Z"}) + "\n")
PY
PG_PORT=$port "$root/scripts/pg-local.sh" start >&2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_owner "$bin/dropdb" -h 127.0.0.1 -p "$port" -U postgres --if-exists "$db"
as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"

[ -x "$root/artifacts/publish/AuthService" ] || make -C "$root" publish >&2
cd "$root/artifacts/publish"
echo "users: $n ($(du -h "$file" | cut -f1)), database $db on port $port" >&2
ASPNETCORE_ENVIRONMENT=Development ConnectionStrings__Postgres="Host=127.0.0.1;Port=$port;Username=postgres;Database=$db" \
  /usr/bin/time -v ./AuthService import-users "$file" 2> >(grep -E "^import-users: .*lines read|line [0-9]+:|Maximum resident|Elapsed \(wall|Exit status" | tail -n 8 >&2)
