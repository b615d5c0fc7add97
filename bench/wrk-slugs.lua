-- wrk script: each request asks for the detail of a random listing from slugs.txt.
local slugs = {}
init = function(args)
  local path = args[1] or "slugs.txt"
  for line in io.lines(path) do slugs[#slugs + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
request = function()
  local slug = slugs[math.random(#slugs)]
  return wrk.format("GET", "/api/v1/listings/" .. slug)
end
