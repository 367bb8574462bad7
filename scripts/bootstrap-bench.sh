#!/usr/bin/env bash
# make bootstrap-bench: measures what a shell bootstrap costs per cold start, on the packaged binary.
# Compares exec'ing the ELF directly (the zip's default layout: the binary *is* /var/task/bootstrap) with the
# repository's #!/bin/sh bootstrap exec'ing it, under dash (Debian's sh) and bash (provided.al2023's /bin/sh).
# The binary runs with no AWS_LAMBDA_RUNTIME_API and `--help`, so what is timed is process start-up.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
stage=$repo/dist/rotator-lambda
elf=$stage/bootstrap
[[ -f $stage/rotator ]] && elf=$stage/rotator
[[ -x $elf && $(head -c4 "$elf" | tr -d '\0') == $'\x7fELF' ]] || { echo "run make package first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d /tmp/bootstrap-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$elf" "$work/rotator"
sed '1s|.*|#!/bin/dash|' "$repo/bootstrap" > "$work/bootstrap-dash"
sed '1s|.*|#!/bin/bash|' "$repo/bootstrap" > "$work/bootstrap-bash"
chmod 755 "$work"/*
cd "$work"
hyperfine -N --warmup 30 --runs "${RUNS:-1000}" --export-markdown "$work/result.md" \
    -n 'ELF as bootstrap' './rotator --help' \
    -n 'sh bootstrap (dash) + exec' './bootstrap-dash --help' \
    -n 'sh bootstrap (bash, AL2023 /bin/sh) + exec' './bootstrap-bash --help' >&2
cat "$work/result.md"
