# The two commands: `make run` (server with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format system-deps bench bench-scale bench-stream soak cluster cluster-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(STAMP)

run: install
	$(BIN)/python -m microblog.devserver

# From Debian's packages: Chromium for the browser tests (Playwright drives it), wrk, the
# load generator of the benchmark's HTTP figures, and PgBouncer for the cluster rehearsal
# and its tests (PostgreSQL's and Redis's own binaries come with the services).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Three workers (pytest-xdist; the tests wait on PostgreSQL, Redis and the processes they
# start much of the time, so a third keeps the two cores busy: 1,104 tests in 11 min 35 s
# on this project's machine), each with its own PostgreSQL database and Redis database; the
# tests of one xdist_group (the topology the cluster tests start) on one worker; the
# browser tests after them in one process (Playwright's loop and asyncio tests don't mix).
TEST_WORKERS ?= 3
test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not browser"
	$(BIN)/python -m pytest -m browser

# The benchmark (see docs/performance.md): PROFILE=seed|social|small.
PROFILE ?= small
# The cold figure restarts this machine's PostgreSQL (Debian's cluster): nothing else may
# use it meanwhile. COLD= (empty) skips it.
COLD ?= pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main restart
bench: install system-deps
	$(BIN)/microblog bench --profile $(PROFILE) $(if $(COLD),--restart-postgres "$(COLD)")

# How cost grows (see docs/performance.md): the social profile at 1x, 3x and 10x its size.
SIZES ?= 1,3,10
bench-scale: install
	$(BIN)/microblog bench-scale --profile social --sizes $(SIZES)

# The streaming figure (see docs/performance.md): commit-to-stream delay with 1,000 streams
# open, at 10 and 100 posts/s, every strategy over both live buses.
bench-stream: install
	$(BIN)/microblog bench-stream --profile $(PROFILE)

# The soak test (see docs/performance.md): a real server under a mixed load for SOAK_MINUTES,
# reported in bench/results/soak.md; fails if any request failed.
SOAK_MINUTES ?= 5
soak: install system-deps
	$(BIN)/microblog soak --minutes $(SOAK_MINUTES)

# The scaled-out topology rehearsed on this machine (docs/scaling.md): a primary and a
# streaming replica, PgBouncer, a Redis Cluster of 3 masters and 3 replicas, 2 web
# processes (ports 8001, 8002) and 2 workers, with the demo network, under ./.data/cluster.
cluster: install system-deps
	$(BIN)/microblog cluster up

cluster-stop: install
	$(BIN)/microblog cluster down

lint: install
	$(BIN)/ruff check microblog tests
	$(BIN)/ruff format --check microblog tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format microblog tests
	$(BIN)/ruff check --fix microblog tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
