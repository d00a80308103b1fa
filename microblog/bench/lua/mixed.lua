-- 100 reads of home timelines to 1 post, spread over the readers whose tokens are in MB_TOKENS.
local tokens = {}
for t in string.gmatch(os.getenv("MB_TOKENS"), "[^,]+") do tokens[#tokens + 1] = t end
local n = 0
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)

request = function()
  n = n + 1
  local token = tokens[math.random(#tokens)]
  local headers = { ["Authorization"] = "Bearer " .. token }
  if n % 101 == 0 then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/api/v1/statuses", headers, "status=mixed+load+post")
  end
  return wrk.format("GET", "/api/v1/timelines/home", headers)
end
