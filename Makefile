# mgate — the two commands a new machine needs: `make test` and `make demo`.
# Everything else here is a step of those two. Targets are idempotent: a second
# run installs nothing and rebuilds only what changed.

BUILD    ?= build
JOBS     ?= 2
SANDBOX  ?= $(BUILD)/sandbox
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Debian 12 packages the build, the tests and the sandbox need.
APT_PACKAGES := g++ make cmake ninja-build pkg-config git openssl ca-certificates procps tmux \
  libncurses-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libpqxx-dev libpq-dev \
  libyaml-cpp-dev libcli11-dev libfmt-dev libre2-dev libcpp-httplib-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  postgresql docker-registry python3-alembic python3-psycopg2 python3-kubernetes

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MGATE := $(BUILD)/bin/mgate
MGATE_SANDBOX := $(BUILD)/bin/mgate-sandbox

.PHONY: all deps configure build test test-unit test-integration demo sandbox sandbox-down bench clean

all: build

# Installs only what is missing; with nothing missing it does no apt work at all.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "deps: all $(words $(APT_PACKAGES)) packages present"; \
	fi
	@command -v moto_server >/dev/null || echo "deps: warning: moto_server is not on PATH; the sandbox needs the machine's Python with moto[server]"

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# Every test: unit, ui, cli and integration (the integration tests start the real
# sandbox services themselves; none is optional, none is skipped).
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L unit

test-integration: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L integration

# Starts the sandbox, opens mgate on it, and tears the sandbox down when mgate exits.
demo: build
	$(MGATE_SANDBOX) run --dir $(SANDBOX) -- $(abspath $(MGATE)) config check

# The sandbox in the background: writes $(SANDBOX)/env and $(SANDBOX)/mgate.yaml.
sandbox: build
	$(MGATE_SANDBOX) up --dir $(SANDBOX)
	@echo "sandbox: . $(SANDBOX)/env   (stop it with: make sandbox-down)"

sandbox-down:
	@if [ -x $(MGATE_SANDBOX) ]; then $(MGATE_SANDBOX) down --dir $(SANDBOX); fi

bench: build
	@echo "bench: see bench/README.md"; ls $(BUILD)/bench

clean: sandbox-down
	rm -rf $(BUILD)
