# rotator: a Swift AWS Lambda function that rotates Secrets Manager secrets.
# `make demo` and `make test` work on a fresh Debian machine from a new clone; `make deps` installs what they need.

SWIFT        ?= swift
RELEASE_DIR  := .build-release
RELEASE_BIN  := $(RELEASE_DIR)/release
# One build at a time: Swift builds on two cores are slow, and parallel builds of one package collide.
LOCK         := flock /tmp/swift-build.lock
RELEASE_FLAGS := -c release --scratch-path $(RELEASE_DIR) --static-swift-stdlib

APT_PACKAGES := libcurl4-openssl-dev libssl-dev libpq-dev postgresql zip unzip openssl
PIP_PACKAGES := moto[server] boto3 cfn-lint

.PHONY: all build test bench demo package package-test clean deps deps-apt deps-pip release

all: build

## deps: install the Debian and PyPI packages the build, the tests and the demo need (fast no-op when present).
deps: deps-apt deps-pip

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

deps-pip:
	@python3 -c 'import moto.server, boto3, flask, flask_cors, cfnlint' 2>/dev/null || \
	  { echo "installing PyPI packages: $(PIP_PACKAGES)"; python3 -m pip install -q $(PIP_PACKAGES); }

## build: debug build of everything (the library, the rotator binary, tests' helpers).
build: deps-apt
	$(LOCK) $(SWIFT) build

## release: the optimised, statically linked binaries (what Lambda runs and what `make bench` measures).
release: deps-apt
	$(LOCK) $(SWIFT) build $(RELEASE_FLAGS) --product rotator
	$(LOCK) $(SWIFT) build $(RELEASE_FLAGS) --product LambdaEcho

## test: every test, against real servers the tests start themselves on loopback.
test: deps
	$(LOCK) $(SWIFT) build --build-tests
	$(LOCK) $(SWIFT) test --skip-build

## bench: figures for the performance budgets (printed, never asserted).
bench: deps release
	$(LOCK) $(SWIFT) build -c release --scratch-path $(RELEASE_DIR) --product RotatorBench
	$(RELEASE_BIN)/RotatorBench $(RELEASE_BIN)

## demo: a whole rotation against a local Secrets Manager (moto), with the labels before and after.
demo: deps build
	@bash scripts/demo.sh

## package: the Lambda zip (issue: provided.al2023 packaging).
package:
	@echo "make package: not implemented yet"; exit 1

clean:
	rm -rf .build $(RELEASE_DIR) dist
