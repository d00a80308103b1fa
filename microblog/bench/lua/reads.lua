-- Reads only, as a replica could serve them: of every 20 requests, 14 home timelines (70%),
-- 3 public timelines (15%) and 3 accounts' statuses (15%). Bearer tokens rotate over
-- MB_TOKENS, accounts over MB_ACCOUNTS (comma-separated ids), each thread from its own start.
local tokens, accounts = {}, {}
for t in string.gmatch(os.getenv("MB_TOKENS"), "[^,]+") do tokens[#tokens + 1] = t end
for a in string.gmatch(os.getenv("MB_ACCOUNTS"), "[^,]+") do accounts[#accounts + 1] = a end
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
local n = math.random(1000)

request = function()
  n = n + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[n % #tokens + 1] }
  local slot = n % 20
  if slot < 14 then
    return wrk.format("GET", "/api/v1/timelines/home", headers)
  elseif slot < 17 then
    return wrk.format("GET", "/api/v1/timelines/public", headers)
  end
  local account = accounts[math.floor(n / 20) % #accounts + 1]
  return wrk.format("GET", "/api/v1/accounts/" .. account .. "/statuses", headers)
end
