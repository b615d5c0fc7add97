-- wrk script: each request asks for a random listing from slugs.txt, by default its JSON detail.
--   wrk ... -s bench/wrk-slugs.lua URL -- slugs.txt [PREFIX]   (PREFIX e.g. /san-pham/ for its page)
local slugs = {}
local prefix = "/api/v1/listings/"
init = function(args)
  local path = args[1] or "slugs.txt"
  prefix = args[2] or prefix
  for line in io.lines(path) do slugs[#slugs + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
request = function()
  local slug = slugs[math.random(#slugs)]
  return wrk.format("GET", prefix .. slug)
end
