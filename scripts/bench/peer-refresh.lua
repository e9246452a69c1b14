-- The peer's POST /refresh, the token in the body, one refresh-token chain per request (token-pool.lua),
-- driven exactly as refresh.lua drives auth-service's cookie.
dofile("scripts/bench/token-pool.lua")

function request()
  return wrk.format("POST", "/refresh", { ["Content-Type"] = "application/json" },
    '{"refreshToken":"' .. take_token() .. '"}')
end

function response(status, headers, body)
  if status == 200 then give_token(body:match('"refreshToken":"([^"]+)"')) end
end
