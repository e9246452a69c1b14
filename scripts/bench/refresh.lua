-- POST /auth/refresh with the cookie of one refresh-token chain per request (token-pool.lua).
-- BENCH_COOKIE: the cookie's name (__Secure-refresh_token, as the service names it in production).
dofile("scripts/bench/token-pool.lua")
local cookie = os.getenv("BENCH_COOKIE") or "refresh_token"
local successor = cookie:gsub("%p", "%%%0") .. "=([^;]+)" -- "-" is a pattern character in Lua

function request()
  return wrk.format("POST", "/auth/refresh",
    { ["Cookie"] = cookie .. "=" .. take_token(), ["X-Requested-With"] = "wrk" }, "")
end

function response(status, headers, body)
  if status == 200 then give_token((headers["Set-Cookie"] or ""):match(successor)) end
end
