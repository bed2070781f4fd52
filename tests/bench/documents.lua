-- documents.lua — the wrk script of bench-documents.sh: every request POSTs
-- one document made from a template, with a DocumentId and a serial number
-- of its own and the dealers taken in turn, and every answer is counted by
-- its HTTP status.
--
--   wrk -t T -c C -d D -s documents.lua URL -- TEMPLATE KEYS TAG THREADS
--
-- TEMPLATE  the document, with @DOCID@, @DEALER@ and @SERIAL@ where the
--           DocumentId, the DealerId and the asset's serial number go
-- KEYS      a file of "DEALER-ID API-KEY" lines
-- TAG       a prefix that keeps this run's ids apart from other runs'
--           (letters, digits and '-')
-- THREADS   wrk's -t, so that the threads take the dealers in turn
--
-- Ids are TAG-T-N: T is the wrk thread, N counts that thread's requests;
-- unique within a run without any locking between threads. done() prints
-- "result ..." lines for bench-documents.sh and one "sample ..." line with
-- the first answer that was not 2xx, if any.

local threads = {}
local thread_count = 0

function setup(thread)
	thread:set("tid", thread_count)
	thread_count = thread_count + 1
	table.insert(threads, thread)
end

-- Per thread (each wrk thread has its own Lua state).
statuses = {}
sample = nil
local parts            -- the template: literal strings and placeholder names
local dealers = {}     -- { {id, key}, ... }
local tag, nthreads
local n = 0

local function read_file(path)
	local f = assert(io.open(path, "rb"), "cannot open " .. path)
	local s = f:read("*a")
	f:close()
	return s
end

-- "a@X@b" -> { "a", {"X"}, "b" }
local function split_template(s)
	local out, pos = {}, 1
	while true do
		local i, j, name = s:find("@([A-Z]+)@", pos)
		if not i then
			table.insert(out, s:sub(pos))
			return out
		end
		table.insert(out, s:sub(pos, i - 1))
		table.insert(out, { name })
		pos = j + 1
	end
end

function init(args)
	assert(#args == 4, "documents.lua wants: TEMPLATE KEYS TAG THREADS")
	parts = split_template(read_file(args[1]))
	for line in read_file(args[2]):gmatch("[^\n]+") do
		local id, key = line:match("^(%S+)%s+(%S+)")
		if id then
			table.insert(dealers, { id, key })
		end
	end
	assert(#dealers > 0, "no dealers in " .. args[2])
	tag = args[3]
	nthreads = tonumber(args[4])
end

function request()
	n = n + 1
	-- Thread t takes dealers t, t + THREADS, t + 2 THREADS, ...: the
	-- requests in flight at one moment belong to as many dealers as there
	-- are (up to the number of connections).
	local d = dealers[((n * nthreads + tid) % #dealers) + 1]
	local id = tag .. "-" .. tid .. "-" .. n
	local values = { DOCID = id, DEALER = d[1], SERIAL = "SN-" .. id }
	local body = {}
	for i, p in ipairs(parts) do
		body[i] = type(p) == "table" and values[p[1]] or p
	end
	return wrk.format("POST", nil, {
		["Authorization"] = "Bearer " .. d[2],
		["Content-Type"] = "application/xml",
	}, table.concat(body))
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
	if sample == nil and (status < 200 or status > 299) then
		sample = status .. " " .. (body or ""):sub(1, 600):gsub("%s+", " ")
	end
end

function done(summary, latency, requests)
	local counts, non2xx, first = {}, 0, nil
	for _, t in ipairs(threads) do
		for status, count in pairs(t:get("statuses") or {}) do
			counts[status] = (counts[status] or 0) + count
			if status < 200 or status > 299 then
				non2xx = non2xx + count
			end
		end
		first = first or t:get("sample")
	end
	local e = summary.errors
	local seconds = summary.duration / 1e6
	io.write(string.format("result requests %d\n", summary.requests))
	io.write(string.format("result seconds %.3f\n", seconds))
	io.write(string.format("result rps %.1f\n", summary.requests / seconds))
	io.write(string.format("result p50_ms %.2f\n", latency:percentile(50) / 1000))
	io.write(string.format("result p99_ms %.2f\n", latency:percentile(99) / 1000))
	io.write(string.format("result max_ms %.2f\n", latency.max / 1000))
	io.write(string.format("result non2xx %d\n", non2xx))
	io.write(string.format("result socket_errors %d\n",
		e.connect + e.read + e.write + e.timeout))
	io.write(string.format("result socket_detail connect %d, read %d, write %d, timeout %d\n",
		e.connect, e.read, e.write, e.timeout))
	local codes = {}
	for status in pairs(counts) do
		table.insert(codes, status)
	end
	table.sort(codes)
	local line = {}
	for _, status in ipairs(codes) do
		table.insert(line, status .. ": " .. counts[status])
	end
	io.write("result statuses " .. table.concat(line, ", ") .. "\n")
	if first then
		io.write("sample " .. first .. "\n")
	end
end
