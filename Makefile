# rotator: a Swift AWS Lambda function that rotates Secrets Manager secrets.
# `make demo` and `make test` work on a fresh Debian machine from a new clone; `make deps` installs what they need.

SWIFT         ?= swift
# Where scripts/install-deps.sh puts the PyPI packages when the machine's Python is Debian's own (PEP 668): first on
# PATH for every target, so `python3` and `sam` are the ones with moto and the SAM CLI.
export PATH   := $(CURDIR)/.venv/bin:$(PATH)
RELEASE_DIR   := .build-release
RELEASE_BIN   := $(RELEASE_DIR)/release
# One Swift build at a time: builds on two cores are slow, and parallel builds of one package collide.
LOCK          := flock /tmp/swift-build.lock
RELEASE_FLAGS := -c release --scratch-path $(RELEASE_DIR) --static-swift-stdlib
# The debug build every test lane uses: a warning is an error (the packages this one depends on build clean too).
DEBUG_FLAGS   := -Xswiftc -warnings-as-errors

.PHONY: all deps build release release-reproducibility release-build test unit-test swift-test sanitize valgrind-test check-source format example-test \
        package package-test layout-profile abi-gate-selftest docs-check lint-template bench bootstrap-bench demo soak clean

all: build

## deps: Debian and PyPI packages for building, testing, the demo and the package (a fast no-op when present).
deps:
	@bash scripts/install-deps.sh

## build: debug build of the package (library, rotator, test helpers).
build: deps
	$(LOCK) $(SWIFT) build $(DEBUG_FLAGS)

## release: dist/release/: the Lambda zip and the command line named with the version and architecture, the template
## pointing at the zip, a CycloneDX SBOM and SHA256SUMS (scripts/release.sh).
release: deps
	bash scripts/release.sh

## release-reproducibility: after `make release` on a clean tree, builds HEAD again from a clone in another folder and
## compares the two dist/release/ byte for byte (slow: a second full release build; scripts/release-reproducibility.sh).
release-reproducibility:
	bash scripts/release-reproducibility.sh

## release-build: optimised binaries with the Swift runtime linked statically (what `make bench` measures).
release-build: deps
	$(LOCK) $(SWIFT) build $(RELEASE_FLAGS) --product rotator
	$(LOCK) $(SWIFT) build $(RELEASE_FLAGS) --product LambdaEcho

## test: every test. Swift tests start their own servers (fake Runtime API, moto, PostgreSQL, MariaDB) on loopback;
## the driver, HTTP client and fault-injection suites run under AddressSanitizer, the DNS resolver under
## ThreadSanitizer; then the example package, the ABI gate's self-test, cfn-lint, the Lambda zip in a
## provided.al2023-like chroot, and one whole rotation per target under valgrind through the zip's binary.
test: deps check-source swift-test docs-check sanitize example-test abi-gate-selftest lint-template package-test valgrind-test

## unit-test: the Swift tests that need no server (no moto, no PostgreSQL), in seconds. Server suites are named
## …ServerTests and tagged .server; one that is not fails here, as TestSupport refuses to start its server.
unit-test:
	$(LOCK) $(SWIFT) build --build-tests $(DEBUG_FLAGS)
	ROTATOR_TEST_LANE=unit $(LOCK) $(SWIFT) test --skip-build --skip 'ServerTests'

## swift-test: every Swift test, servers included, but the suites `make sanitize` runs.
SANITIZED_SUITES := MariaDBTargetTests|PostgresTargetTests|HTTPClientTests|FaultInjectionTests
FAULT_SUMMARY := .build/fault-injection-summary.txt
swift-test:
	$(LOCK) $(SWIFT) build --build-tests --explicit-target-dependency-import-check error $(DEBUG_FLAGS)
	$(LOCK) $(SWIFT) test --skip-build --skip '$(SANITIZED_SUITES)'

## sanitize: the server suites of both drivers, the HTTP client and the fault-injection suite built with
## AddressSanitizer (with the RotatorLambda and rotator they run), against the real servers, with the fault-injection
## summary at the end; then the zip's binary built with ThreadSanitizer through the suite that makes name resolution
## time out (HostResolver's thread). Reports go to files; any report fails the lane, whatever the tests saw.
SANITIZER_REPORTS := $(CURDIR)/.build/sanitizer-reports
sanitize:
	rm -rf $(SANITIZER_REPORTS) $(FAULT_SUMMARY) && mkdir -p $(SANITIZER_REPORTS)
	$(LOCK) $(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0:quarantine_size_mb=8:log_path=$(SANITIZER_REPORTS)/asan FAULT_HOSTILE_EVENTS=30000 $(LOCK) $(SWIFT) test --skip-build \
		--sanitize=address --scratch-path .build-asan --filter '$(SANITIZED_SUITES)'
	@grep -v '^fault-injection:   ' $(FAULT_SUMMARY) 2>/dev/null || echo "fault-injection: no summary (the suite did not run)"
	$(LOCK) $(SWIFT) build --sanitize=thread --scratch-path .build-tsan --product RotatorLambda
	ROTATOR_BIN_DIR=$(CURDIR)/.build-tsan/debug TSAN_OPTIONS=halt_on_error=1:log_path=$(SANITIZER_REPORTS)/tsan \
		$(LOCK) $(SWIFT) test --skip-build --filter 'PostgresSafetyServerTests'
	@bash scripts/sanitizer-reports.sh $(SANITIZER_REPORTS)

## valgrind-test: one whole rotation per target (generic, PostgreSQL, MariaDB single and alternating users, an API
## key) through the zip's binary under valgrind memcheck: zero errors.
valgrind-test: package
	bash scripts/valgrind-rotations.sh

## soak: the fault-injection suite with more rotations and a million hostile events (not run by CI).
soak:
	$(LOCK) $(SWIFT) build --build-tests $(DEBUG_FLAGS)
	FAULT_SOAK=1 $(LOCK) $(SWIFT) test --skip-build --filter FaultInjectionServerTests

## check-source: declared target dependencies equal imports; formatting as .swift-format says (Sources/.swift-format
## adds: no force unwraps, no `try!`, no implicitly unwrapped optionals). Warnings fail the test lanes' build.
check-source:
	python3 scripts/check_imports.py
	$(SWIFT) format lint --strict --recursive Sources Tests Examples/CustomTarget/Sources Package.swift

## format: apply .swift-format (4 spaces, 120 columns) to the Swift sources.
format:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Examples/CustomTarget/Sources Package.swift \
		Examples/CustomTarget/Package.swift

## example-test: the example package that uses the library with its own TargetService must build.
## SwiftPM keeps a path dependency's file list in its build manifest and misses files added since: when the list of
## sources changes, the manifest is dropped so that it is made again.
example-test:
	@mkdir -p .build-example && sources=$$(find Sources -name '*.swift' | sort | cksum) && \
		if [ "$$(cat .build-example/sources.cksum 2>/dev/null)" != "$$sources" ]; then \
			rm -f .build-example/debug.yaml .build-example/build.db; echo "$$sources" > .build-example/sources.cksum; fi
	cd Examples/CustomTarget && $(LOCK) $(SWIFT) build --scratch-path ../../.build-example

## package: dist/rotator-lambda.zip for provided.al2023 (static libcurl/libpq, ABI gate, size printed).
package: deps
	bash scripts/package.sh

## layout-profile: profile a rotation of the zip's binary (and of the echo function) under callgrind against moto, and
## write the order its functions ran in to layout/, which `make package` links by (commit the files).
layout-profile: deps
	LAYOUT_PROFILE=1 bash scripts/package.sh
	LAYOUT_PROFILE=1 PRODUCT=LambdaEcho STAGE=dist/echo-lambda PACKAGE_ZIP=dist/echo-lambda.zip bash scripts/package.sh

## package-test: the zip in a chroot holding only glibc, libgcc_s, a shell and the Amazon Linux CA path:
## a whole rotation against moto over HTTPS, and a refused untrusted certificate.
package-test: package
	ROTATION_SCENARIO=require bash scripts/package-test.sh

abi-gate-selftest:
	bash scripts/abi-gate-selftest.sh

## docs-check: every variable the code reads, template parameter and errorType is documented, links between the docs
## resolve, the commands in its shell blocks exist (after swift-test: it asks the built rotator), and the code,
## template and changelog name one version (scripts/docs_check.py).
docs-check:
	python3 scripts/docs_check.py

## lint-template: cfn-lint and `sam validate --lint`, then the template's safety properties (scripts/template_test.py).
## The Serverless Application Repository's variant (scripts/sar_template.py) gets the same checks.
lint-template:
	cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 sam validate --lint --template template.yaml --region us-east-1
	python3 scripts/template_test.py template.yaml
	mkdir -p dist && python3 scripts/sar_template.py template.yaml dist/sar-template.yaml
	cfn-lint dist/sar-template.yaml
	SAM_CLI_TELEMETRY=0 sam validate --lint --template dist/sar-template.yaml --region us-east-1
	python3 scripts/template_test.py dist/sar-template.yaml --sar-variant

## bench: performance figures (printed, never asserted): the release builds, and the zip's binary built the way
## Lambda runs it (plus the echo function packaged the same way, as the runtime's baseline).
bench: deps release-build package
	PRODUCT=LambdaEcho STAGE=dist/echo-lambda PACKAGE_ZIP=dist/echo-lambda.zip bash scripts/package.sh
	mkdir -p dist/bench && gcc -O2 -pthread -I.build-deps/prefix/include Sources/RotatorBench/CLoop/runtime_loop.c \
		.build-lambda/compat/lambda_compat.o -L.build-deps/lib -lcurl -o dist/bench/c-loop && strip dist/bench/c-loop
	$(LOCK) $(SWIFT) build $(RELEASE_FLAGS) --product RotatorBench
	BENCH_C_LOOP=dist/bench/c-loop $(RELEASE_BIN)/RotatorBench $(RELEASE_BIN)

## bootstrap-bench: the zip's ELF bootstrap against a `#!/bin/sh` exec of the same binary (hyperfine).
bootstrap-bench: package
	bash scripts/bootstrap-bench.sh

## demo: a whole rotation against a local Secrets Manager (moto), with the labels before and after.
demo: build
	@bash scripts/demo.sh

clean:
	rm -rf .build $(RELEASE_DIR) .build-lambda .build-deps .build-example dist
