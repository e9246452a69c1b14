-- GET /auth/me with one valid access token (JWT validation + one session lookup per request).
local access = os.getenv("BENCH_ACCESS_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. access
