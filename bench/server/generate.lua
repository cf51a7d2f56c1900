-- wrk script: POST /v1/audio/sound_effect_generate with the key from FOLEY_KEY and the JSON
-- body from FOLEY_BODY; counts responses by status so 503/429 are visible in the report.
wrk.method = "POST"
wrk.body = os.getenv("FOLEY_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("FOLEY_KEY")

-- Global (not local) so done() can read each thread's table with thread:get.
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, count in pairs(s) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  local line = "status counts:"
  for code, count in pairs(totals) do
    line = line .. " " .. code .. "=" .. count
  end
  print(line)
end
