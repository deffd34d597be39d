#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, lints, then all tests.
# This is the README's test command, and what CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-off CI build gains nothing from incremental caches; they only cost disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

step() { printf '\n==> %s\n' "$*"; }

step "tools for the Kotlin and Python binding tests (installed if missing)"
./scripts/install-foreign-test-tools.sh

step "tools for the console's browser test: Chromium, playwright-core, axe-core (installed if missing)"
./scripts/install-browser-test-tools.sh

step "PostgreSQL's server programs for the PostgreSQL store's tests (installed if missing)"
pg_settings=$(./scripts/install-postgres-test-tools.sh)
echo "$pg_settings"
export "$(echo "$pg_settings" | grep '^KIOSK_PG_BIN=')"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, integration and end-to-end tests)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"

# One closing line for the whole run, since cargo's last line is a crate's doc-tests.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "\nall tests: %d passed, %d failed\n", passed, failed; exit (passed == 0 || failed > 0) }' "$log"
