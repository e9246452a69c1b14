-- One refresh-token chain per connection: each thread owns one connection (-t N -c N) and
-- presents the cookie its last response set, exactly like a browser tab.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local next_token = 0

function setup(thread)
  next_token = next_token + 1
  thread:set("token", tokens[next_token])
end

function request()
  return wrk.format("POST", "/auth/refresh",
    { ["Cookie"] = "refresh_token=" .. token, ["X-Requested-With"] = "wrk" }, "")
end

function response(status, headers, body)
  if status == 200 then
    local value = (headers["Set-Cookie"] or ""):match("refresh_token=([^;]+)")
    if value then token = value end
  end
end
