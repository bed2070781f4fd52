-- documents.lua — the wrk script of bench-documents.sh: every request POSTs
-- one document made from a template, with a DocumentId and a serial number
-- of its own and the dealers taken in turn, and every answer is counted by
-- its HTTP status.
--
--   wrk -t T -c C -d D -s documents.lua URL -- TEMPLATE KEYS TAG THREADS [ASSETS]
--
-- TEMPLATE  the document, with @DOCID@, @DEALER@ and @SERIAL@ where the
--           DocumentId, the DealerId and the asset's serial number go;
--           or several such files separated by commas, taken in turn
--           (request N of a thread uses template N mod their number)
-- KEYS      a file of "DEALER-ID API-KEY" lines
-- TAG       a prefix that keeps this run's ids apart from other runs'
--           (letters, digits and '-')
-- THREADS   wrk's -t, so that the threads take the dealers in turn
-- ASSETS    optional (bench-claims.sh): a file of "SERIAL DEALER-ID" lines,
--           assets registered beforehand. A template with @ASSET@ gets the
--           next of them instead of the next dealer: thread T's M-th such
--           request takes asset (M x THREADS + T) mod their number, and is
--           sent by the asset's dealer. So the requests in flight at one
--           moment concern as many different assets as there are
--           connections (up to the number of assets).
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
local templates = {}   -- each: literal strings and placeholder names
local dealers = {}     -- { {id, key}, ... }
local assets = {}      -- { {serial, dealer}, ... } (the optional ASSETS)
local tag, nthreads
local n = 0
local m = 0            -- requests of this thread that took an asset

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
	assert(#args == 4 or #args == 5, "documents.lua wants: TEMPLATE KEYS TAG THREADS [ASSETS]")
	for path in args[1]:gmatch("[^,]+") do
		local t = split_template(read_file(path))
		for _, p in ipairs(t) do
			if type(p) == "table" and p[1] == "ASSET" then
				t.asset = true
			end
		end
		table.insert(templates, t)
	end
	assert(#templates > 0, "no template in " .. args[1])
	local keys = {}
	for line in read_file(args[2]):gmatch("[^\n]+") do
		local id, key = line:match("^(%S+)%s+(%S+)")
		if id then
			table.insert(dealers, { id, key })
			keys[id] = key
		end
	end
	assert(#dealers > 0, "no dealers in " .. args[2])
	tag = args[3]
	nthreads = tonumber(args[4])
	if args[5] then
		for line in read_file(args[5]):gmatch("[^\n]+") do
			local serial, dealer = line:match("^(%S+)%s+(%S+)")
			if serial then
				assert(keys[dealer], "asset " .. serial .. ": no key for dealer " .. dealer)
				table.insert(assets, { serial, { dealer, keys[dealer] } })
			end
		end
		assert(#assets > 0, "no assets in " .. args[5])
	end
	for _, t in ipairs(templates) do
		assert(not t.asset or #assets > 0, "a template has @ASSET@ and there is no ASSETS file")
	end
end

function request()
	n = n + 1
	local parts = templates[(n % #templates) + 1]
	-- Thread t takes dealers t, t + THREADS, t + 2 THREADS, ...: the
	-- requests in flight at one moment belong to as many dealers as there
	-- are (up to the number of connections). A template about a registered
	-- asset takes the assets the same way, and the asset's dealer.
	local d, asset
	if parts.asset then
		m = m + 1
		local a = assets[((m * nthreads + tid) % #assets) + 1]
		asset, d = a[1], a[2]
	else
		d = dealers[((n * nthreads + tid) % #dealers) + 1]
	end
	local id = tag .. "-" .. tid .. "-" .. n
	local values = { DOCID = id, DEALER = d[1], SERIAL = "SN-" .. id, ASSET = asset }
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
