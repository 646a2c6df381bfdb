#!/usr/bin/env bash
# The models against the published numbers, side by side: runs every
# bench validate set-up (DSQL Fig. 6, Spanner OSDI'12 Tables 3 and 4,
# Deneva's network delay, the hot-key and lock laws, occ's flat commit) and
# prints the figure table as Markdown, the form docs/models.md keeps it in. Results files go to validate-results/, the
# HTML page with the paper-vs-model chart to validate.html.
#   scripts/validate.sh            # every figure (a few minutes)
#   scripts/validate.sh --quick    # the CI subset
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./cmd/bench validate --markdown --out-dir validate-results -o validate.html "$@"
