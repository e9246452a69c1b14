-- Refresh-token chains for wrk, shared by a thread's connections (loaded by refresh.lua and peer-refresh.lua).
-- BENCH_TOKENS holds one token per chain, as many as connections. A request takes a chain's newest token from
-- its thread's pool and a 200 answer puts the successor back, so each chain has at most one request in flight,
-- like a browser tab, while a few threads drive every connection (wrk -t $BENCH_THREADS -c N): one thread per connection
-- would spend the machine's two cores on the load generator's own thread switches.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("index", threads)
end

function init(args)
  pool = {}
  local count = assert(tonumber(os.getenv("BENCH_THREADS") or ""), "BENCH_THREADS: wrk's -t, to split the chains")
  for i = index, #tokens, count do pool[#pool + 1] = tokens[i] end
  -- wrk calls request() once on the first thread to check the script, before any connection opens:
  -- that request is never sent, so it must not take a chain.
  checked = index ~= 1
end

-- The token the next request presents: "unchecked" for wrk's check, "none-left" if a chain was lost.
function take_token()
  if not checked then checked = true; return "unchecked" end
  return table.remove(pool) or "none-left"
end

function give_token(value)
  if value then pool[#pool + 1] = value end
end
