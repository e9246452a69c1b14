-- POST /auth/refresh with the cookie of one refresh-token chain per request (token-pool.lua).
dofile("scripts/bench/token-pool.lua")

function request()
  return wrk.format("POST", "/auth/refresh",
    { ["Cookie"] = "refresh_token=" .. take_token(), ["X-Requested-With"] = "wrk" }, "")
end

function response(status, headers, body)
  if status == 200 then give_token((headers["Set-Cookie"] or ""):match("refresh_token=([^;]+)")) end
end
