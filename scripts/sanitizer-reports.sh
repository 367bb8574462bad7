#!/usr/bin/env bash
# make sanitize: fails when AddressSanitizer or ThreadSanitizer wrote any report (log_path=<folder>/asan|tsan writes
# one file per process that found something), and prints the first lines of each.
set -euo pipefail
folder=$1
reports=$(find "$folder" -type f -name '*san.*' 2>/dev/null | sort)
if [[ -z $reports ]]; then
    echo "sanitize: no AddressSanitizer or ThreadSanitizer report"
    exit 0
fi
for report in $reports; do
    echo "sanitize: $report"
    head -40 "$report" | sed 's/^/    /'
done
echo "sanitize: $(wc -l <<<"$reports") report(s); see above" >&2
exit 1
