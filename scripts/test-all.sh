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

step "OpenSSL 3 and Python's cryptography for the provenance bundle's test (installed if missing)"
./scripts/install-provenance-test-tools.sh

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

# The end-to-end tests once more with every relay's store in PostgreSQL (a fresh database
# of a throw-away cluster per relay), so both backends pass them. Not again: the tests that
# are SQLite-only by nature (they back up and restore the SQLite file, or run the demo relay,
# which keeps SQLite), the PostgreSQL-only kill test (it ran above), the one on an
# in-memory store, and the browser and foreign-binding tests, which would add minutes
# while driving the same store calls as the API tests that do run here. `--workspace`
# keeps the feature set of the run above, so nothing is built again.
not_on_postgres=" backup_and_restore restore_keeps_promises two_relays_share_postgres \
  kiosk_captures_against_the_relays_form console_in_a_browser hr_workflow_in_a_browser \
  records_lifecycle_in_a_browser web_kiosk_in_a_browser foreign_bindings "
# Tests in the files that do run which start a SQLite relay on purpose (the wipe waits for
# a backup of the SQLite file): they ran above.
sqlite_only_tests=(
  a_revoked_tablet_wipes_itself_only_once_everything_it_holds_has_a_receipt
  a_newcomer_follows_the_readme_from_enrollment_to_a_closed_event_and_a_wipe
  a_revoked_kiosk_shows_the_wipe_waits_for_a_backup_and_then_wipes_itself
)
postgres_targets=()
for file in tests/tests/*.rs; do
  name=$(basename "$file" .rs)
  case "$not_on_postgres" in *" $name "*) ;; *) postgres_targets+=(--test "$name") ;; esac
done
skips=()
for name in "${sqlite_only_tests[@]}"; do skips+=(--skip "$name"); done

step "cargo test: the end-to-end tests with the relay's store on PostgreSQL (KIOSK_TEST_STORE=postgres)"
echo "==> postgres pass" >>"$log"
KIOSK_TEST_STORE=postgres cargo test --workspace --locked "${postgres_targets[@]}" -- "${skips[@]}" 2>&1 |
  tee -a "$log"

# The relay's Debian package, built from a release build of the relay (the one step that
# builds in release mode) and checked: contents, modes, owners, the unit's hardening,
# lintian, systemd-analyze verify, the unpacked binary; the Dockerfile where an engine runs.
step "the relay's Debian package and Dockerfile: build and check (scripts/check-package.sh)"
./scripts/check-package.sh

# One closing line for the whole run, since cargo's last line is a crate's doc-tests; the
# PostgreSQL pass's share is named in it.
awk '/^==> postgres pass$/ { pg = 1 }
     /^test result:/ { passed += $4; failed += $6; if (pg) { pg_passed += $4; pg_failed += $6 } }
     END { printf "\nall tests: %d passed, %d failed (of which the e2e tests on PostgreSQL: %d passed, %d failed)\n", passed, failed, pg_passed, pg_failed
           exit (passed == 0 || failed > 0 || pg_passed == 0) }' "$log"
