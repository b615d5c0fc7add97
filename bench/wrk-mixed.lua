-- wrk script: a shopper crowd on the demo catalogue with members editing prices. Of every 100
-- requests, EDITS (default 10) are a member's price change (PATCH, bearer token) of one of the
-- listings in ids.txt; the rest are page and API reads of the listings in slugs.txt:
-- API detail 35, API list 15, search 10, calendar 5, product page 20, home 10, festivals 5
-- (scaled to the reads' share).
--   wrk ... -s bench/wrk-mixed.lua URL -- slugs.txt ids.txt TOKEN [EDITS]
local slugs, ids = {}, {}
local token, edits
local reads = {
  {35, function(s) return "/api/v1/listings/" .. s end},
  {15, function() return "/api/v1/listings?limit=20" end},
  {10, function() return "/api/v1/search?q=che&limit=20" end},
  {5, function() return "/api/v1/events" end},
  {20, function(s) return "/san-pham/" .. s end},
  {10, function() return "/" end},
  {5, function() return "/le-hoi" end},
}
init = function(args)
  for line in io.lines(args[1]) do slugs[#slugs + 1] = line end
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  token = args[3]
  edits = tonumber(args[4] or "10")
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
  local pick = math.random(100)
  for _, read in ipairs(reads) do
    pick = pick - read[1]
    if pick <= 0 then
      return wrk.format("GET", read[2](slugs[math.random(#slugs)]))
    end
  end
  return wrk.format("GET", "/")
end
