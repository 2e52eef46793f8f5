#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS (default 60) each or RUNS executions, whichever
# comes first, two at a time, starting from the checked-in seeds (the captured fixtures
# and the hostile cases). Crashes land in fuzz/artifacts/.
#   RUSTC_BOOTSTRAP=1 cargo install cargo-fuzz --locked   # once
#   scripts/fuzz.sh [SECONDS] [RUNS]       # a campaign: scripts/fuzz.sh 1800 10000000
#   TARGETS="bundle_read mirror_host" scripts/fuzz.sh 60   # some targets only
# cargo fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain build them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
RUNS=${2:--1}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
run() {
    mkdir -p "fuzz/corpus/$1"
    cargo fuzz run -O "$1" "fuzz/corpus/$1" "fuzz/seeds/$1" -- -max_total_time="$SECONDS_EACH" -runs="$RUNS" -print_final_stats=1 \
        > "fuzz/$1.log" 2>&1 || echo "$1: FAILED (see fuzz/$1.log and fuzz/artifacts/$1/)"
    echo "$1: $(grep -E 'stat::number_of_executed_units' "fuzz/$1.log" | awk '{print $2}') executions, $(grep -c 'ERROR: libFuzzer\|panicked' "fuzz/$1.log") crashes"
}
read -r -a targets <<< "${TARGETS:-health_text health_json connectivity managed_config manifest config_fix bundle_read mirror_host mirror_status aggregate_report}"
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    [ $((i + 1)) -lt ${#targets[@]} ] && run "${targets[i + 1]}" &
    wait
done
