-- wrk script: a shopper crowd on the demo catalogue with members editing prices. Of every 100
-- requests, EDITS (default 10) are a member's price change (PATCH, bearer token) of one of the
-- listings in ids.txt; the rest are page and API reads of the listings in slugs.txt:
-- API detail 35, API list 15, search 10, calendar 5, product page 20, home 10, festivals 5
-- (scaled to the reads' share). MIX `api` leaves the pages out (API reads only). PAUSE ms
-- between a connection's answer and its next request (0: none) holds the offered load below
-- what the server can take, so that latencies compare at the same rate.
--   wrk ... -s bench/wrk-mixed.lua URL -- slugs.txt ids.txt TOKEN [EDITS] [MIX] [PAUSE]
local slugs, ids = {}, {}
local token, edits, total
local pause = 0
local reads = {
  {35, function(s) return "/api/v1/listings/" .. s end},
  {15, function() return "/api/v1/listings?limit=20" end},
  {10, function() return "/api/v1/search?q=che&limit=20" end},
  {5, function() return "/api/v1/events" end},
  {20, function(s) return "/san-pham/" .. s end, page = true},
  {10, function() return "/" end, page = true},
  {5, function() return "/le-hoi" end, page = true},
}
init = function(args)
  for line in io.lines(args[1]) do slugs[#slugs + 1] = line end
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  token = args[3]
  edits = tonumber(args[4] or "10")
  if args[5] == "api" then
    local api = {}
    for _, read in ipairs(reads) do
      if not read.page then api[#api + 1] = read end
    end
    reads = api
  end
  pause = tonumber(args[6] or "0")
  total = 0
  for _, read in ipairs(reads) do total = total + read[1] end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
request = function()
  if math.random(100) <= edits then
    local id = ids[math.random(#ids)]
    local body = string.format('{"price_vnd": %d}', 1000 * math.random(20, 900))
    return wrk.format("PATCH", "/api/v1/my/listings/" .. id, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }, body)
  end
  local pick = math.random(total)
  for _, read in ipairs(reads) do
    pick = pick - read[1]
    if pick <= 0 then
      return wrk.format("GET", read[2](slugs[math.random(#slugs)]))
    end
  end
  return wrk.format("GET", "/")
end
delay = function()
  return pause
end
