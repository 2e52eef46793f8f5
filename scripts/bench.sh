#!/usr/bin/env bash
# Benchmarks mdatp-doctor against the manual way, side by side in one run, and prints a
# Markdown table of wall times and ratios. Everything runs on this machine: the fake
# mdatp (with a realistic 300 ms per call) and mirrors on 127.0.0.1 only.
#
#   scripts/bench.sh            # all benchmarks (about a minute plus the 1 GiB bundle one)
#   BENCH_SKIP_BIG=1 scripts/bench.sh   # without the 1 GiB log benchmark
#
# Needs: cargo, python3 (the loopback mirror), curl, GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

LATENCY_MS=${LATENCY_MS:-300}
RUNS=${RUNS:-5}

cargo build --release --quiet --examples --bin mdatp-doctor
BIN=$PWD/target/release/mdatp-doctor
FAKE=$PWD/target/release/examples/fake-mdatp
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
# median wall time in seconds of RUNS runs of "$@"
median() {
    local times=()
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(now)
        "$@" >/dev/null 2>&1 || true
        t1=$(now)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
fmt() { printf '%.3f s' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- a loopback mirror laid out like the downloader's ---------------------------------
MIRROR_DIR=$WORK/mirror
mkdir -p "$MIRROR_DIR/linux/production/arch_x86_64"
cp tests/fixtures/mirror/example-manifest.json "$MIRROR_DIR/linux/production/arch_x86_64/manifest.json"
python3 - "$MIRROR_DIR/linux/production/arch_x86_64/updates.zip" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("mpavbase.vdm", os.urandom(4 * 1024 * 1024))
PY
PORT=$(free_port)
(cd "$MIRROR_DIR" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
URL="http://127.0.0.1:$PORT/linux/production/"

# A mirror that accepts connections and never answers.
HOLE_PORT=$(free_port)
python3 - "$HOLE_PORT" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
PIDS+=($!)
HOLE_URL="http://127.0.0.1:$HOLE_PORT/linux/production/"
sleep 1

# --- the fake endpoint: every mdatp call takes LATENCY_MS -------------------------------
SCEN=$WORK/scenario
mkdir -p "$SCEN"
defs() { sed "s#http://172.XX.XXX.XX:8000/linux/production/#$1#; s#\"https://go.microsoft.com/fwlink/?linkid=2144709\"#\"$1\"#" tests/fixtures/mdatp/definitions/docs-2025.txt; }
defs "$URL" > "$SCEN/defs.txt"
defs "$HOLE_URL" > "$SCEN/defs-hole.txt"
scenario() { # $1: definitions file
    cat > "$SCEN/scenario.json" <<EOF
{"state": "initial", "states": {"initial": {
  "health --details definitions": {"stdout_file": "$1", "sleep_ms": $LATENCY_MS},
  "health": {"stdout_file": "$PWD/tests/fixtures/mdatp/health/linux-101.23062.0010.txt", "sleep_ms": $LATENCY_MS},
  "connectivity test": {"stdout_file": "$PWD/tests/fixtures/mdatp/connectivity/linux-ok.txt", "sleep_ms": $LATENCY_MS}
}}}
EOF
}
scenario "$SCEN/defs.txt"
export FAKE_MDATP_SCENARIO=$SCEN MDATP_DOCTOR_MDATP=$FAKE MDATP_DOCTOR_STATE_DIR=$WORK/state
export MDATP_DOCTOR_MANAGED_CONFIG=$WORK/none.json

# The documented manual troubleshooting, step after step, as a person would script it.
cat > "$WORK/manual.sh" <<EOF
#!/usr/bin/env bash
"$FAKE" health --details definitions
"$FAKE" connectivity test
curl -s "\$1arch_x86_64/manifest.json"
curl -s -o /dev/null "\$1arch_x86_64/updates.zip"
EOF
chmod +x "$WORK/manual.sh"

echo "Measuring (median of $RUNS runs, mdatp latency ${LATENCY_MS} ms)..." >&2
raw=$(median "$FAKE" health --details definitions)
health=$(median "$BIN" health --format json)
manual=$(median "$WORK/manual.sh" "$URL")
diagnose=$(median "$BIN" diagnose --format json --arch x86_64)

scenario "$SCEN/defs-hole.txt"
t0=$(now); "$BIN" diagnose --format json --arch x86_64 --probe-timeout 5 >/dev/null 2>&1 || true; t1=$(now)
hole_diag=$(echo "$t1 - $t0" | bc -l)
t0=$(now); timeout 30 "$WORK/manual.sh" "$HOLE_URL" >/dev/null 2>&1 || true; t1=$(now)
hole_manual=$(echo "$t1 - $t0" | bc -l)

version=$(RUNS=20 median "$BIN" --version)
help=$(RUNS=20 median "$BIN" --help)
size=$(stat -c %s "$BIN")

echo
echo "| measurement | mdatp-doctor | manual way | ratio |"
echo "|---|---|---|---|"
echo "| \`health --format json\` vs one raw \`mdatp health --details definitions\` | $(fmt "$health") | $(fmt "$raw") | $(ratio "$health" "$raw")× |"
echo "| \`diagnose\` vs the documented steps in sequence (health, connectivity test, curl manifest and package) | $(fmt "$diagnose") | $(fmt "$manual") | $(ratio "$diagnose" "$manual")× |"
echo "| \`diagnose\` vs its slowest single call (one mdatp call, ${LATENCY_MS} ms) | $(fmt "$diagnose") | $(fmt "$raw") | $(ratio "$diagnose" "$raw")× |"
echo "| mirror that accepts and never answers: \`diagnose --probe-timeout 5\` vs the script (killed at 30 s) | $(fmt "$hole_diag") | $(fmt "$hole_manual") | $(ratio "$hole_diag" "$hole_manual")× |"
echo "| start-up: \`--version\` / \`--help\` | $(fmt "$version") / $(fmt "$help") | | |"
echo "| release binary size | $((size / 1024)) KiB | | |"

# --- aggregate: generated fleets of 1,000 and 10,000 reports -----------------------------
scenario "$SCEN/defs.txt"
"$BIN" diagnose --format json --arch x86_64 > "$WORK/template.json" 2>/dev/null || true
for n in 1000 10000; do
    python3 - "$WORK/template.json" "$WORK/fleet-$n" "$n" <<'PY'
import json, os, random, sys
template, out, n = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
os.makedirs(out)
random.seed(n)
ids = ["url-mismatch", "definitions-stale", "mirror-timeout", "config-unknown-key", "endpoint-behind-mirror"]
for i in range(n):
    r = json.loads(json.dumps(template))
    r["snapshot"]["hostname"] = f"endpoint-{i:05d}"
    r["snapshot"]["definitions"]["definitions_version"]["value"] = f"1.407.{random.randint(400, 420)}.0"
    r["snapshot"]["mirror"]["url"] = f"http://mirror{random.randint(1, 5)}.example:8000/linux/production/"
    picked = random.sample(ids, random.randint(0, 3))
    r["findings"] = [{"id": f, "severity": "warning", "title": "t", "evidence": [], "fix": "f"} for f in picked]
    r["verdict"] = "warning" if picked else "ok"
    with open(os.path.join(out, f"endpoint-{i:05d}.json"), "w") as f:
        json.dump(r, f)
PY
done
rss() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
read -r a1_time a1_rss < <(rss "$BIN" aggregate --format json "$WORK/fleet-1000")
read -r a10_time a10_rss < <(rss "$BIN" aggregate --format json "$WORK/fleet-10000")
echo "| \`aggregate\` of 1,000 / 10,000 generated reports ($(du -sh "$WORK/fleet-10000" | cut -f1) for 10,000) | ${a1_time} s, ${a1_rss} KiB / ${a10_time} s, ${a10_rss} KiB peak RSS | | |"

if [ -z "${BENCH_SKIP_BIG:-}" ]; then
    LOGS=$WORK/logs
    mkdir -p "$LOGS/rotated"
    line='2026-11-28 16:00:00.000 [INFO] wdavdaemon: offline definition update check against http://mirror.example:8000/linux/production/ token=abc123 completed'
    for f in microsoft_defender_core.log rotated/microsoft_defender_core.log.1 rotated/microsoft_defender_core.log.2 rotated/microsoft_defender_core.log.3; do
        # (not `yes | head`: with pipefail, yes's SIGPIPE would end the script)
        head -c $((256 * 1024 * 1024)) < <(yes "$line") > "$LOGS/$f"
    done
    scenario "$SCEN/defs.txt"
    read -r b_time b_rss < <(rss "$BIN" bundle --skip-network -o "$WORK/bundle.tar.gz" --log-dir "$LOGS")
    read -r t_time t_rss < <(rss tar czf "$WORK/logs.tar.gz" -C "$WORK" logs)
    echo "| \`bundle\` on 1 GiB of logs (20 MiB tail per file, redacted) vs \`tar czf\` of all of it | ${b_time} s, ${b_rss} KiB peak RSS, $(( $(stat -c %s "$WORK/bundle.tar.gz") / 1024 )) KiB | ${t_time} s, ${t_rss} KiB peak RSS, $(( $(stat -c %s "$WORK/logs.tar.gz") / 1024 )) KiB | $(ratio "$b_time" "$t_time")× time |"
fi
