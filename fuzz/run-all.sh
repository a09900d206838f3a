#!/usr/bin/env bash
# Runs every fuzz target for $1 seconds (default 600), one after another, seeded from the
# project's own fixtures. Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
declare -A seeds=(
  [manifests]="../tests/fixtures/scan ../tests/fixtures/kinds ../tests/fixtures/bad ../assets/demo"
  [audit_line]="../tests/fixtures/audit"
  [audit_policy]="../assets/demo/audit"
  [exemptions]="seeds/exemptions"
)
for target in manifests audit_line audit_policy exemptions; do
  mkdir -p "corpus/$target"
  # shellcheck disable=SC2086
  cargo +nightly fuzz run -O "$target" "corpus/$target" ${seeds[$target]} -- \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 2>&1 \
    | tee "fuzz-$target.log" | grep -E "^(#[0-9]+ +DONE|==[0-9]+==|SUMMARY|Done)" || true
done
