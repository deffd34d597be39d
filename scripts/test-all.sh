#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, lints, then all tests.
# This is the README's test command, and what CI runs (through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, integration and end-to-end tests)"
cargo test --workspace --locked
