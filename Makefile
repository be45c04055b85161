# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
VENDOR := ccms_graph/web/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup python vendor browser ocr neo4j run test lint typecheck bench bench-stats bench-queries bench-peer bench-load drill api-fuzz probe clean stop

setup: python vendor neo4j-jars

python: $(STAMP)
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $@

# The browser libraries, from package-lock.json (npm ci), copied as single UMD files: the link chart's
# cytoscape, the statistics dashboard's Chart.js, and the map's Leaflet, its marker clustering and
# topojson-client with the offline basemap (Natural Earth countries, US Census states: no tile server).
VENDORED := $(VENDOR)/cytoscape.min.js $(VENDOR)/chart.umd.min.js $(VENDOR)/leaflet.js $(VENDOR)/leaflet.css \
	$(VENDOR)/leaflet.markercluster.js $(VENDOR)/MarkerCluster.css $(VENDOR)/MarkerCluster.Default.css \
	$(VENDOR)/topojson-client.min.js $(VENDOR)/countries-50m.json $(VENDOR)/states-10m.json
vendor: $(VENDORED)
$(VENDORED) &: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/cytoscape/dist/cytoscape.min.js node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	  node_modules/leaflet.markercluster/dist/{leaflet.markercluster.js,MarkerCluster.css,MarkerCluster.Default.css} \
	  node_modules/topojson-client/dist/topojson-client.min.js node_modules/world-atlas/countries-50m.json \
	  node_modules/us-atlas/states-10m.json $(VENDOR)/

# Debian's Chromium for the Playwright browser tests (Playwright's own browser download is unreachable).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's tesseract-ocr (with English) for the OCR of scanned attachments (logic/casework/extraction.py).
ocr:
	@command -v tesseract >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; }

neo4j-jars: python
	$(BIN)/ccms-graph neo4j fetch >/dev/null

neo4j: setup
	$(BIN)/ccms-graph neo4j start

# Starts Neo4j, installs the schema, loads the sandbox seed if the database is empty, then serves on
# $(HOST):$(PORT) beside the background worker (`ccms-graph worker`: imports, scheduled e-mail delivery,
# the retention report, the plan warm-up), which stops with it. gunicorn's settings (preloaded app, CCMS_WEB_WORKERS
# workers, no control socket) are in ccms_graph/web/gunicorn_conf.py; audit entries are chained by a
# background sequencer in each process (CCMS_AUDIT_SEQUENCER=background), so no request waits for one.
run: neo4j ocr
	$(BIN)/ccms-graph init-db
	$(BIN)/ccms-graph seed --if-empty
	export CCMS_AUDIT_SEQUENCER=background; \
	$(BIN)/ccms-graph worker & worker=$$!; trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn -c python:ccms_graph.web.gunicorn_conf --bind $(HOST):$(PORT) 'ccms_graph.web.wsgi:app'

# Sets everything up, lints and type-checks, then runs the whole suite against a real Neo4j (a test
# instance the suite starts and stops).
test: setup browser ocr lint typecheck
	$(BIN)/python -m pytest -q

lint: python
	$(BIN)/ruff check ccms_graph tests seed benchmarks scripts

typecheck: python
	$(BIN)/mypy ccms_graph

# Benchmarks print their tables; they use their own Neo4j instance (never `make run`'s data) and stop it.
BENCH := CCMS_NEO4J_BOLT_PORT=17694 CCMS_NEO4J_HEAP=4g CCMS_NEO4J_PAGECACHE=4g
BENCH_SIZES ?= 100000,1000000
bench: setup browser
	$(BENCH) $(BIN)/ccms-graph neo4j start
	$(BENCH) $(BIN)/python benchmarks/import_rate.py --yes-wipe --sizes $(BENCH_SIZES)
	$(BENCH) $(BIN)/python benchmarks/deconflict.py --yes-wipe --sizes $(BENCH_SIZES)
	$(BENCH) $(BIN)/python benchmarks/cold_plans.py --yes-wipe
	$(BENCH) $(BIN)/ccms-graph neo4j stop
	$(BIN)/python benchmarks/explorer_render.py
	$(BIN)/python benchmarks/fail_fast.py

# Statistics over the sandbox grown by STATS_PERSONS persons (a tenth as many cases): benchmarks/stats_queries.py.
STATS_PERSONS ?= 1000000
bench-stats: setup
	CCMS_NEO4J_BOLT_PORT=17693 CCMS_NEO4J_HEAP=4g CCMS_NEO4J_PAGECACHE=4g $(BIN)/python benchmarks/stats_queries.py --persons $(STATS_PERSONS)

# The saved-query catalogue over the sandbox grown by QUERY_PERSONS persons (benchmarks/saved_queries.py):
# planning seconds and warm runs per role; QUERY_BASELINE=<commit> measures that commit beside it.
QUERY_PERSONS ?= 200000
QUERY_BASELINE ?=
bench-queries: setup
	CCMS_NEO4J_BOLT_PORT=17697 CCMS_NEO4J_HEAP=4g CCMS_NEO4J_PAGECACHE=2g $(BIN)/python benchmarks/saved_queries.py \
	  --persons $(QUERY_PERSONS) $(if $(QUERY_BASELINE),--baseline $(QUERY_BASELINE))

# Our deconfliction beside Splink 5 on the same records (benchmarks/peer.py): installs the `bench` extra,
# runs on its own Neo4j (Bolt 17731), stops it. E.g. PEER_ARGS="--count 1000 --other-count 500 --public-limit 1000".
PEER := CCMS_NEO4J_BOLT_PORT=17731
PEER_ARGS ?=
bench-peer: setup
	$(BIN)/pip install -q -e '.[bench]'
	$(PEER) $(BIN)/ccms-graph neo4j start
	$(PEER) $(BIN)/python benchmarks/peer.py --yes-wipe --port 17731 $(PEER_ARGS); status=$$?; \
	  $(PEER) $(BIN)/ccms-graph neo4j stop; exit $$status

# Load: `make run`'s set-up (gunicorn with its workers, `ccms-graph worker`, background audit sequencer) on
# its own Neo4j (Bolt 17795) and 127.0.0.1:8095, driven by locust (benchmarks/load.py: search, record page,
# expansion, saved query, create with deconfliction) at 1, 8, 32, 64 clients, then again with one web
# worker (the baseline); prints Markdown tables and stops everything. E.g. LOAD_ARGS="--seconds 10 --no-baseline".
LOAD_ARGS ?=
bench-load: setup
	$(BIN)/pip install -q -e '.[bench]'
	CCMS_NEO4J_BOLT_PORT=17795 CCMS_NEO4J_HEAP=2g $(BIN)/python benchmarks/load.py $(LOAD_ARGS)

# The crash drill (scripts/drill.py): its own Neo4j (Bolt 17790, 1g heap) and gunicorn (127.0.0.1:8090), both
# stopped after; 50 writers (logic layer, API, an import), kill -9 of Neo4j each round, then every acknowledged
# write present, no half-writes, audit verify intact, the app recovered. Exit 1 when BROKEN. E.g. DRILL_ARGS="--rounds 2".
DRILL_ARGS ?=
drill: setup
	$(BIN)/python scripts/drill.py $(DRILL_ARGS)

# Schemathesis against a running `make run` server, signed in as agent, supervisor, analyst and auditor.
api-fuzz: python
	$(BIN)/python scripts/api_fuzz.py http://$(HOST):$(PORT)

# The insider probe on its own Neo4j (Bolt 17715) and app (127.0.0.1:8015), both stopped after; it
# reseeds the sandbox and exits 1 when it finds a leak. E.g. PROBE_ARGS="--max-requests 6000 --seed 7".
PROBE_ARGS ?= --json-out var/probe.json
probe: setup
	bash scripts/run_probe.sh $(PROBE_ARGS)

stop:
	-$(BIN)/ccms-graph neo4j stop

clean: stop
	rm -rf $(VENV) node_modules $(VENDOR) .neo4j var
