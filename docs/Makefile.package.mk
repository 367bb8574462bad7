# Packaging targets (issue 5). Include from the main Makefile:   include docs/Makefile.package.mk
# and add package-deps to `make deps`, package-test (and abi-gate-selftest, lint-template) to `make test`.
#
# apt (Debian 12): zip unzip advancecomp patchelf binutils gcc g++ make pkg-config dpkg-dev libssl-dev
#                  libcurl4-openssl-dev libpq-dev libstdc++-12-dev busybox-static openssl ca-certificates hyperfine
#                  + deb-src lines (apt-get source curl postgresql-15)
# PyPI:            cfn-lint moto[server] boto3
# package-test needs root (chroot); everything else runs as any user once the deps are installed.

.PHONY: package package-test abi-gate-selftest lint-template bootstrap-bench package-deps

package:                        ## dist/rotator-lambda.zip for provided.al2023 (prints its size)
	bash scripts/package.sh

package-test: package           ## run the zip in a provided.al2023-like chroot (root)
	bash scripts/package-test.sh

abi-gate-selftest:              ## prove the ABI gate rejects what would not load on Lambda
	bash scripts/abi-gate-selftest.sh

lint-template:                  ## cfn-lint, no errors and no warnings
	cfn-lint template.yaml

bootstrap-bench: package        ## ELF bootstrap vs #!/bin/sh exec, with hyperfine
	bash scripts/bootstrap-bench.sh

package-deps:                   ## apt + PyPI packages for the targets above (root)
	bash scripts/install-package-deps.sh
