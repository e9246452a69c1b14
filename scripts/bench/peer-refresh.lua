-- The peer's POST /refresh: one refresh-token chain per connection (-t N -c N), each request presenting
-- the token its last answer returned, as bench/refresh.lua does with auth-service's cookie.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local next_token = 0

function setup(thread)
  next_token = next_token + 1
  thread:set("token", tokens[next_token])
end

function request()
  return wrk.format("POST", "/refresh", { ["Content-Type"] = "application/json" },
    '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  if status == 200 then
    local value = body:match('"refreshToken":"([^"]+)"')
    if value then token = value end
  end
end
