#!/usr/bin/env bash
# make release: what a team downloads, in dist/release/, named with the version (Sources/rotator/RotatorVersion.swift)
# and the machine's architecture (x86_64 here; arm64 when built on arm64, scripts/package.sh does not cross-compile):
#
#   rotator-lambda-<version>-<arch>.zip    the Lambda function, as `make package` builds it (static libcurl, libpq,
#                                          Connector/C, ABI-gated for provided.al2023); add AWS's RDS CA bundle with
#                                          `zip -j <zip> rds-ca-bundle.pem` (read from /var/task/rds-ca-bundle.pem)
#   rotator-<version>-linux-<arch>         the command line, linked the same way (static Swift runtime and
#                                          Foundation, static C libraries), ABI-gated: any Linux with glibc >= 2.34
#   template-<version>.yaml                template.yaml with CodeUri pointing at the zip above (`sam deploy
#                                          --template-file`)
#   sar-template-<version>.yaml, LICENSE, README.md
#                                          the same for the Serverless Application Repository (`sam package` +
#                                          `sam publish`), without the two options SAR cannot take
#   sbom-<version>.cdx.json                CycloneDX: the Swift packages, the Swift runtime, each C library and its
#                                          Debian source package (scripts/sbom.py)
#   SHA256SUMS                             of everything above
#
# Reproducible: fixed timestamps in the zips, no build path, date or compiler cache hash in what is shipped, so two
# runs give the same bytes, in the same checkout or in another folder (`make release-reproducibility` checks that).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
die() { echo "release: ERROR: $*" >&2; exit 1; }

version=$(sed -n 's/.*static let current = "\(.*\)"/\1/p' Sources/rotator/RotatorVersion.swift)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "no version in Sources/rotator/RotatorVersion.swift"
case $(uname -m) in x86_64) arch=x86_64 ;; aarch64) arch=arm64 ;; *) die "unsupported machine $(uname -m)" ;; esac
python3 scripts/docs_check.py --version-only >/dev/null || die "the version, template and changelog do not agree (python3 scripts/docs_check.py --version-only)"
out=dist/release
rm -rf "$out" && mkdir -p "$out"

# The function.
bash scripts/package.sh
cp dist/rotator-lambda.zip "$out/rotator-lambda-$version-$arch.zip"

# The command line: the same link, its own stage and a size budget of its own (Foundation is inside).
PRODUCT=rotator STAGE=dist/rotator-cli PACKAGE_ZIP=dist/rotator-cli.zip MAX_ZIP_BYTES=${MAX_CLI_ZIP_BYTES:-40000000} \
    ZIP_RECOMPRESS=0 bash scripts/package.sh >dist/rotator-cli.log 2>&1 \
    || { tail -30 dist/rotator-cli.log >&2; die "the command line did not build or failed the ABI gate"; }
install -m 755 dist/rotator-cli/bootstrap "$out/rotator-$version-linux-$arch"
rm -rf dist/rotator-cli dist/rotator-cli.zip
"$out/rotator-$version-linux-$arch" --version | grep -qx "$version" || die "the command line does not say $version"

# The template, pointing at the zip beside it.
sed "s|^      CodeUri: dist/rotator-lambda.zip$|      CodeUri: rotator-lambda-$version-$arch.zip|" template.yaml \
    > "$out/template-$version.yaml"
grep -q "CodeUri: rotator-lambda-$version-$arch.zip" "$out/template-$version.yaml" || die "CodeUri not rewritten"
if [[ $arch == arm64 ]]; then
    sed -i 's/^    Default: x86_64$/    Default: arm64/' "$out/template-$version.yaml"
fi
# The Serverless Application Repository's variant (no AttachSecretArns or CreateExampleSecret: scripts/sar_template.py
# says why), with the licence and README its metadata names beside it: `sam package` uploads them, `sam publish` sends it.
python3 scripts/sar_template.py "$out/template-$version.yaml" "$out/sar-template-$version.yaml" >/dev/null
install -m 644 LICENSE README.md "$out/"
# What a team deploys must pass the checks template.yaml passes (the CodeUri and arm64 default are the changes).
for template in "$out/template-$version.yaml" "$out/sar-template-$version.yaml"; do
    SAM_CLI_TELEMETRY=0 sam validate --lint --template "$template" --region us-east-1 >/dev/null \
        || die "sam validate --lint fails on $template"
done

python3 scripts/sbom.py "$version" "$out/sbom-$version.cdx.json"
(cd "$out" && sha256sum -- * > SHA256SUMS)
echo "release: $out"
(cd "$out" && ls -l --time-style=+ -- * | awk '{print "release:   " $5 "  " $NF}')
sed 's/^/release: sha256 /' "$out/SHA256SUMS"
