#!/usr/bin/env bash
# Benchmarks mdatp-doctor where its speed is felt (issue 15), each case side by side in one
# run with its limit or peer, and prints one Markdown table: case | mdatp-doctor |
# limit/peer | ratio | target | pass. A case that misses its target says FAIL; nothing is
# rounded in its favour. Everything runs on this machine: the fake mdatp (300 ms a call),
# and mirrors served by scripts/bench_mirror.py on 127.0.0.1 only (a per-request delay, a
# rate limit, a dead one that accepts and never answers, one over TLS).
#
#   scripts/bench.sh                    # every case (about 10 minutes on 2 cores)
#   BENCH_SKIP_BIG=1 scripts/bench.sh   # without the 192 MiB logs, 500 MB package and 100k reports
#   scripts/bench.sh --write-docs       # also rewrite the table in docs/benchmarks.md
#
# Knobs: LATENCY_MS (fake mdatp, 300), DELAY_MS (mirror per request, 200), RUNS (medians, 5),
# BIG_RUNS (medians of the big cases, 3), RATE (rate-limited mirror, bytes/s, 25000000).
# Needs: cargo (to build), python3, curl, openssl, bc, GNU time (/usr/bin/time), tar, gzip and jq
# (the peers of cases 3b, 9c, 9d and 11). Root or not.
set -euo pipefail
cd "$(dirname "$0")/.."

WRITE_DOCS=${BENCH_WRITE_DOCS:-}
for arg in "$@"; do
    case $arg in
        --write-docs) WRITE_DOCS=1 ;;
        -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $arg (try --help)" >&2; exit 64 ;;
    esac
done

LATENCY_MS=${LATENCY_MS:-300}
DELAY_MS=${DELAY_MS:-200}
RUNS=${RUNS:-5}
BIG_RUNS=${BIG_RUNS:-3}
RATE=${RATE:-25000000}
for tool in python3 curl openssl bc /usr/bin/time tar gzip jq; do
    command -v "$tool" >/dev/null || { echo "bench.sh: needs $tool" >&2; exit 1; }
done

cargo build --release --quiet --examples --bin mdatp-doctor
BIN=$PWD/target/release/mdatp-doctor
FAKE=$PWD/target/release/examples/fake-mdatp
MIRROR_PY=$PWD/scripts/bench_mirror.py

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mdatp-doctor-bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# mdatp-doctor's own temporary files (bundle spools, package spools) stay in here too.
mkdir -p "$WORK/tmp"
export TMPDIR=$WORK/tmp

say() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
calc() { echo "$1" | bc -l; }
# Wall time in seconds of one run of "$@" (its output discarded, its exit status ignored).
once() {
    local t0 t1
    t0=$(now)
    "$@" >/dev/null 2>&1 || true
    t1=$(now)
    calc "$t1 - $t0"
}
# Median wall time of N runs of "$@".
median_of() {
    local n=$1 times=() i
    shift
    for i in $(seq "$n"); do
        times+=("$(once "$@")")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
median() { median_of "$RUNS" "$@"; }
secs() { printf '%.3f s' "$1"; }
ratio() { printf '%.2f' "$(calc "$1 / $2")"; }
# PASS when $1 <= $2.
verdict() { if [ "$(calc "$1 <= $2")" = 1 ]; then echo PASS; else echo FAIL; fi; }
# Exit status of one run of "$@" (output discarded).
status_of() {
    local s=0
    "$@" >/dev/null 2>&1 || s=$?
    echo "$s"
}
# The verdict, unless the measured command could not do its job (3 unknown, 64 usage): a
# run that gives up early must not pass for a fast one.
judged() { # exit status, verdict
    if [ "$1" -ge 3 ]; then echo "FAIL (exit $1)"; else echo "$2"; fi
}
# Peak RSS in KiB and wall time of one run: "<KiB> <s>".
rss() { /usr/bin/time -f '%M %e' "$@" 2>&1 >/dev/null | tail -1; }
# CPU seconds (user + system, every descendant's included) of one run of "$@" (a command
# or a function of this script), its output discarded: what this shell's children used,
# from the times builtin before and after (run in this shell: a subshell counts its own).
cpu_once() {
    times >"$WORK/times.0"
    "$@" >/dev/null 2>&1 || true
    times >"$WORK/times.1"
    awk 'FNR == 2 {
        for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n[FILENAME] += p[1] * 60 + p[2] }
    }
    END { printf "%.3f\n", n[ARGV[2]] - n[ARGV[1]] }' "$WORK/times.0" "$WORK/times.1"
}
# Median CPU seconds of N runs of "$@".
cpu_of() {
    local n=$1 times=() i
    shift
    for i in $(seq "$n"); do
        times+=("$(cpu_once "$@")")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

TABLE=$WORK/table.md
{
    echo "| case | mdatp-doctor | limit/peer | ratio | target | pass |"
    echo "|---|---|---|---|---|---|"
} >"$TABLE"
row() { # case, doctor, peer, ratio, target, pass
    printf '| %s | %s | %s | %s | %s | %s |\n' "$@" | tee -a "$TABLE" >&2
}

# Starts scripts/bench_mirror.py as NAME with its options; its port lands in $WORK/NAME.port
# and its pid in $WORK/NAME.pid.
start_mirror() {
    local name=$1 i
    shift
    python3 "$MIRROR_PY" --port-file "$WORK/$name.port" --counts-file "$WORK/$name.counts" "$@" \
        >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    echo $! >"$WORK/$name.pid"
    for i in $(seq 100); do
        [ -s "$WORK/$name.port" ] && return 0
        sleep 0.1
    done
    echo "bench.sh: mirror $name did not start: $(cat "$WORK/$name.log")" >&2
    exit 1
}
port() { cat "$WORK/$1.port"; }
# The mirror's counts ({"connections", "handshakes", "requests"}) as of now.
counts() {
    rm -f "$WORK/$1.counts"
    kill -USR1 "$(cat "$WORK/$1.pid")"
    local i
    for i in $(seq 50); do
        [ -s "$WORK/$1.counts" ] && break
        sleep 0.05
    done
    cat "$WORK/$1.counts"
}
count_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# --- mirror trees laid out like the downloader's -------------------------------------------
make_zip() { # path, bytes of incompressible content (stored, so the zip is as big)
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
path, size = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
    with z.open("mpavbase.vdm", "w", force_zip64=True) as f:
        block = os.urandom(1 << 20)
        left = size
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
            block = block[1:] + block[:1]
PY
}
tree() { # dir, package bytes
    local arch
    for arch in x86_64 arm64; do
        mkdir -p "$1/linux/production/arch_$arch"
        cp tests/fixtures/mirror/example-manifest.json "$1/linux/production/arch_$arch/manifest.json"
    done
    make_zip "$1/linux/production/arch_x86_64/updates.zip" "$2"
    cp "$1/linux/production/arch_x86_64/updates.zip" "$1/linux/production/arch_arm64/updates.zip"
}
say "building mirror trees"
tree "$WORK/small" $((4 * 1024 * 1024))
start_mirror slow --dir "$WORK/small" --delay-ms "$DELAY_MS"
start_mirror hole --hole
SLOW_URL="http://127.0.0.1:$(port slow)/linux/production/"
HOLE_URL="http://127.0.0.1:$(port hole)/linux/production/"

# --- the fake endpoint: every mdatp call takes LATENCY_MS --------------------------------------
SCEN=$WORK/scenario
mkdir -p "$SCEN"
defs() { sed "s#http://172.XX.XXX.XX:8000/linux/production/#$1#; s#\"https://go.microsoft.com/fwlink/?linkid=2144709\"#\"$1\"#" tests/fixtures/mdatp/definitions/docs-2025.txt; }
scenario() { # scenario dir, definitions file, latency in ms
    local f=$PWD/tests/fixtures/mdatp
    cat >"$1/scenario.json" <<EOF
{"state": "initial", "states": {"initial": {
  "health --details definitions": {"stdout_file": "$2", "sleep_ms": $3},
  "health": {"stdout_file": "$f/health/linux-101.23062.0010.txt", "sleep_ms": $3},
  "health --output json": {"stdout_file": "$f/health/linux-101.23062.0010.json", "sleep_ms": $3},
  "connectivity test": {"stdout_file": "$f/connectivity/linux-ok.txt", "sleep_ms": $3},
  "version": {"stdout": "Product version: 101.23062.0010\n", "sleep_ms": $3}
}}}
EOF
}
defs "$SLOW_URL" >"$SCEN/defs-slow.txt"
scenario "$SCEN" "$SCEN/defs-slow.txt" "$LATENCY_MS"
mkdir -p "$WORK/state"
export FAKE_MDATP_SCENARIO=$SCEN MDATP_DOCTOR_MDATP=$FAKE MDATP_DOCTOR_STATE_DIR=$WORK/state
export MDATP_DOCTOR_MANAGED_CONFIG=$WORK/none.json

say "measuring (medians of $RUNS runs; mdatp ${LATENCY_MS} ms a call; mirror ${DELAY_MS} ms a request)"

# 1. The mirror named only by health: the probe can start only when health answers, so the
#    floor is the run without the probe plus one mirror round trip.
s1=$(status_of "$BIN" diagnose --format json --arch x86_64)
c0=$(counts slow)
diag_slow=$(median "$BIN" diagnose --format json --arch x86_64)
c1=$(counts slow)
reqs1=$(calc "($(count_of "$c1" requests) - $(count_of "$c0" requests)) / $RUNS")
diag_local=$(median "$BIN" diagnose --format json --arch x86_64 --skip-network)
round_trip=$(median curl -s -o /dev/null "${SLOW_URL}arch_x86_64/manifest.json")
limit=$(calc "$diag_local + $round_trip")
r=$(ratio "$diag_slow" "$limit")
row "1. \`diagnose\`, mirror URL only in health (${DELAY_MS} ms a request) vs \`diagnose --skip-network\` + one mirror round trip" \
    "$(secs "$diag_slow") ($(printf '%.0f' "$reqs1") mirror requests)" "$(secs "$diag_local") + $(secs "$round_trip")" \
    "${r}×" "≤ 1.15" "$(judged "$s1" "$(verdict "$r" 1.15)")"

# 2. The managed file names a dead mirror, health the live one: the dead one must not be
#    waited for.
cat >"$WORK/managed-dead.json" <<EOF
{"antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "$HOLE_URL"}}
EOF
s2=$(MDATP_DOCTOR_MANAGED_CONFIG=$WORK/managed-dead.json status_of "$BIN" diagnose --format json --arch x86_64)
diag_dead=$(MDATP_DOCTOR_MANAGED_CONFIG=$WORK/managed-dead.json median "$BIN" diagnose --format json --arch x86_64)
r=$(ratio "$diag_dead" "$diag_slow")
row "2. \`diagnose\`, managed file names a dead mirror (accepts, never answers), health the live one vs without the file" \
    "$(secs "$diag_dead")" "$(secs "$diag_slow")" "${r}×" "≤ 1.3" "$(judged "$s2" "$(verdict "$r" 1.3)")"

# 15. check --format prometheus where the full `mdatp health` answers later than the
#     definitions call (5/3 of LATENCY_MS) and systemctl takes 100 ms (a stand-in): the
#     probe needs only the definitions call (it names the mirror), and systemctl's answer
#     only for the probe's proxy. The limit: the slower of the full health and the
#     definitions call plus one mirror round trip, each timed on its own.
SCEN12=$WORK/scenario12
mkdir -p "$SCEN12"
scenario "$SCEN12" "$SCEN/defs-slow.txt" "$LATENCY_MS"
health_ms=$((LATENCY_MS * 5 / 3))
python3 - "$SCEN12/scenario.json" "$health_ms" <<'PY'
import json, sys
path, ms = sys.argv[1], int(sys.argv[2])
doc = json.load(open(path))
doc["states"]["initial"]["health"]["sleep_ms"] = ms
json.dump(doc, open(path, "w"))
PY
printf '#!/bin/sh\nsleep 0.1\necho "Environment="\n' >"$WORK/systemctl-slow"
chmod +x "$WORK/systemctl-slow"
check12() { FAKE_MDATP_SCENARIO=$SCEN12 MDATP_DOCTOR_SYSTEMCTL=$WORK/systemctl-slow "$BIN" check --format prometheus --arch x86_64; }
full12=$(FAKE_MDATP_SCENARIO=$SCEN12 median "$FAKE" health)
defs12=$(FAKE_MDATP_SCENARIO=$SCEN12 median "$FAKE" health --details definitions)
s12=$(status_of check12)
check_time=$(median check12)
limit=$(calc "if ($full12 > $defs12 + $round_trip) $full12 else $defs12 + $round_trip")
r=$(ratio "$check_time" "$limit")
row "15. \`check --format prometheus\`, \`mdatp health\` ${health_ms} ms, the definitions call ${LATENCY_MS} ms, systemctl 100 ms vs the slower of health and definitions + one mirror round trip" \
    "$(secs "$check_time")" "max($(secs "$full12"), $(secs "$defs12") + $(secs "$round_trip"))" "${r}×" "≤ 1.15" "$(judged "$s12" "$(verdict "$r" 1.15)")"

# 3. bundle's extra mdatp calls (health --output json, connectivity test, version) against
#    diagnose's two.
mkdir -p "$WORK/smalllogs/rotated"
printf '2026-11-28 16:00:00.000 [INFO] wdavdaemon: started\n' >"$WORK/smalllogs/microsoft_defender_core.log"
bundle_to() { # output, options...
    local out=$1
    shift
    rm -f "$out"
    "$BIN" bundle --skip-network -o "$out" --wdavcfg "$WORK/none" "$@"
}
s3=$(status_of bundle_to "$WORK/b3.tar.gz" --log-dir "$WORK/smalllogs")
bundle_small=$(median bundle_to "$WORK/b3.tar.gz" --log-dir "$WORK/smalllogs")
r=$(ratio "$bundle_small" "$diag_local")
row "3. \`bundle --skip-network\` vs \`diagnose --skip-network\`" \
    "$(secs "$bundle_small")" "$(secs "$diag_local")" "${r}×" "≤ 1.15" "$(judged "$s3" "$(verdict "$r" 1.15)")"

# 4. --redact-ids on varied logs: every line with its own GUID, addresses, host names and
#    time; 16 MiB files, each read whole (--max-log-bytes 16MiB).
gen_logs() { # dir, first file number, count
    python3 - "$@" <<'PY'
import os, random, sys
out, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(out, "rotated"), exist_ok=True)
size = 16 * 1024 * 1024
hosts = [f"{w}{n}.corp.example" for w in ("mirror", "proxy", "dc", "fs", "web") for n in range(40)]
orgs = ["%08x-%04x-4%03x-8%03x-%012x" % tuple(random.getrandbits(b) for b in (32, 16, 12, 12, 48)) for _ in range(20)]
levels = ("INFO", "WARNING", "ERROR", "DEBUG")
comps = ("wdavdaemon", "edr", "definitions", "network_protection", "rtp")
for i in range(first, first + count):
    random.seed(i)
    name = "microsoft_defender_core.log" if i == 0 else f"rotated/microsoft_defender_core.log.{i}"
    t = 1_790_000_000 + i * 86400
    lines, total = [], 0
    while total < size:
        t += random.random()
        guid = "%08x-%04x-4%03x-8%03x-%012x" % tuple(random.getrandbits(b) for b in (32, 16, 12, 12, 48))
        ip = "10.%d.%d.%d" % (random.getrandbits(8), random.getrandbits(8), random.getrandbits(8))
        ip6 = "fd00::%x:%x" % (random.getrandbits(16), random.getrandbits(16))
        host = random.choice(hosts)
        line = (f"{t:.3f} [{random.choice(levels)}] {random.choice(comps)}: request {guid} "
                f"org {random.choice(orgs)} from {ip} ({ip6}) to http://{host}:8000/linux/production/ "
                f"took {random.randint(1, 5000)} ms\n")
        lines.append(line)
        total += len(line)
    with open(os.path.join(out, name), "w") as f:
        f.write("".join(lines)[:size])
PY
}
redact_case() { # MiB, dir
    local plain ids r s
    s=$(status_of bundle_to "$WORK/b4.tar.gz" --log-dir "$2" --max-log-bytes 16MiB --redact-ids)
    # Taken in turns (plain, ids, plain, ids, ...), RUNS of each, so that a change in the
    # load of the shared machine weighs on both alike; the medians are compared.
    local i plains=() idss=()
    for i in $(seq "$RUNS"); do
        plains+=("$(once bundle_to "$WORK/b4.tar.gz" --log-dir "$2" --max-log-bytes 16MiB)")
        idss+=("$(once bundle_to "$WORK/b4.tar.gz" --log-dir "$2" --max-log-bytes 16MiB --redact-ids)")
    done
    plain=$(printf '%s\n' "${plains[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    ids=$(printf '%s\n' "${idss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    r=$(ratio "$ids" "$plain")
    row "4. \`bundle --redact-ids\` vs \`bundle\`, $1 MiB of varied logs" \
        "$(secs "$ids") ($(printf '%.1f' "$(calc "$1 / $ids")") MiB/s)" \
        "$(secs "$plain") ($(printf '%.1f' "$(calc "$1 / $plain")") MiB/s)" "${r}×" "≤ 2" "$(judged "$s" "$(verdict "$r" 2)")"
}
say "generating varied logs"
gen_logs "$WORK/logs64" 0 4
# 3b. The whole bundle (redaction, spool, tar, gzip, hashes) against tar czf of the same
#     log files, in CPU seconds (user + system, gzip's included): what a bundle costs
#     the endpoint beyond compressing its logs.
s3b=$(status_of bundle_to "$WORK/b3b.tar.gz" --log-dir "$WORK/logs64" --max-log-bytes 16MiB)
bundle_cpu=$(cpu_of "$RUNS" bundle_to "$WORK/b3b.tar.gz" --log-dir "$WORK/logs64" --max-log-bytes 16MiB)
tar_cpu=$(cpu_of "$RUNS" tar czf "$WORK/t3b.tar.gz" -C "$WORK/logs64" .)
r=$(ratio "$bundle_cpu" "$tar_cpu")
row "3b. \`bundle --skip-network\`, 64 MiB of varied logs, vs \`tar czf\` of the same files (CPU, user + system)" \
    "$(secs "$bundle_cpu")" "$(secs "$tar_cpu")" "${r}×" "≤ 1.2" "$(judged "$s3b" "$(verdict "$r" 1.2)")"
redact_case 64 "$WORK/logs64"
if [ -z "${BENCH_SKIP_BIG:-}" ]; then
    # The same four files and eight more (hard links: the bundle reads regular files):
    # three times the logs, still under the bundle's 200 MiB cap. Past the cap the two
    # runs would not do the same work: placeholders are shorter than the ids they stand
    # for, so --redact-ids fits more of the logs in before the cap leaves the rest out.
    mkdir -p "$WORK/logs192/rotated"
    for f in microsoft_defender_core.log rotated/microsoft_defender_core.log.{1..3}; do
        ln "$WORK/logs64/$f" "$WORK/logs192/$f"
    done
    gen_logs "$WORK/logs192" 4 8
    redact_case 192 "$WORK/logs192"
fi

# 5. check with the history at its cap: bytes written to the state dir per run, and how often
#    the history file is replaced (a new inode) in 100 runs. Bytes are counted from the state
#    dir itself: a file replaced or new counts whole, one grown in place counts its growth,
#    one rewritten in place (same inode, not grown, newer mtime) counts whole.
SCEN5=$WORK/scenario5
mkdir -p "$SCEN5" "$WORK/state5"
scenario "$SCEN5" "$SCEN/defs-slow.txt" 0
cap=$(sed -n 's/^pub const MAX_ENTRIES: usize = \([0-9_]*\);.*/\1/p' src/state/history.rs | tr -d _)
cap=${cap:-1000}
FAKE_MDATP_SCENARIO=$SCEN5 MDATP_DOCTOR_STATE_DIR=$WORK/state5 \
    "$BIN" check --skip-network --format json >/dev/null 2>&1 || true
read -r median5 mean5 line5 rewrites5 < <(FAKE_MDATP_SCENARIO=$SCEN5 MDATP_DOCTOR_STATE_DIR=$WORK/state5 \
    python3 - "$BIN" "$WORK/state5" "$cap" <<'PY'
import json, os, subprocess, sys
import datetime as dt
binary, state, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
hist = os.path.join(state, "history.jsonl")
line = json.loads(open(hist).readline())
start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=cap + 1)
tmp = hist + ".bench"
with open(tmp, "w") as f:
    for i in range(cap):
        line["time"] = (start + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
os.chmod(tmp, 0o600)
os.replace(tmp, hist)

def snap():
    out = {}
    for name in os.listdir(state):
        st = os.lstat(os.path.join(state, name))
        out[name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out

per_run, rewrites = [], 0
for _ in range(100):
    total = 0
    before = snap()
    subprocess.run([binary, "check", "--skip-network", "--format", "json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = snap()
    for name, (ino, size, mtime) in after.items():
        old = before.get(name)
        if old is None or old[0] != ino:
            total += size
        elif size > old[1]:
            total += size - old[1]
        elif mtime != old[2]:
            total += size
    per_run.append(total)
    if before.get("history.jsonl", (None,))[0] != after.get("history.jsonl", (None,))[0]:
        rewrites += 1
per_run.sort()
lines = open(hist, "rb").read().splitlines()
line_len = max(1, sum(len(l) + 1 for l in lines[-10:]) // len(lines[-10:]))
print(per_run[len(per_run) // 2], sum(per_run) // len(per_run), line_len, rewrites)
PY
)
# A run should write about one line: the median run may write two (a line and a lock, say).
r=$(ratio "$median5" "$line5")
row "5a. \`check\` with the history at its cap ($cap entries): bytes written to the state dir per run (median; mean) vs one history line" \
    "$median5 B; $mean5 B" "$line5 B" "${r}×" "≤ 2" "$(verdict "$r" 2)"
row "5b. \`check\` at the cap: history file rewrites (inode changes) per 100 runs" \
    "$rewrites5" "10" "$(ratio "$rewrites5" 10)×" "≤ 10" "$(verdict "$rewrites5" 10)"

# 8. HTTPS: TCP connections and TLS handshakes per architecture (--arch all: two).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mdatp-doctor bench CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$WORK/tls.key" -out "$WORK/tls.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$WORK/tls.ext"
openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 2 -extfile "$WORK/tls.ext" -out "$WORK/tls.pem" >/dev/null 2>&1
start_mirror tls --dir "$WORK/small" --tls-cert "$WORK/tls.pem" --tls-key "$WORK/tls.key"
TLS_URL="https://127.0.0.1:$(port tls)/linux/production/"
c0=$(counts tls)
tls_exit=0
"$BIN" connectivity --url "$TLS_URL" --arch all --ca-cert "$WORK/ca.pem" --format json \
    >"$WORK/tls.json" 2>"$WORK/tls.err" || tls_exit=$?
c1=$(counts tls)
conns=$(calc "($(count_of "$c1" connections) - $(count_of "$c0" connections)) / 2")
shakes=$(calc "($(count_of "$c1" handshakes) - $(count_of "$c0" handshakes)) / 2")
reqs=$(calc "($(count_of "$c1" requests) - $(count_of "$c0" requests)) / 2")
conns=$(printf '%.1f' "$conns")
shakes=$(printf '%.1f' "$shakes")
# Over HTTPS the requests of the round share one kept-alive connection: one TCP
# connection and one TLS handshake per arch, however many requests.
reqs=$(printf '%.1f' "$reqs")
row "8a. HTTPS probe (\`connectivity --arch all --ca-cert\`, exit $tls_exit, $reqs requests per arch): TCP connections per arch" \
    "$conns" "1" "$(ratio "$conns" 1)×" "≤ 1" "$(judged "$tls_exit" "$(verdict "$conns" 1)")"
row "8b. HTTPS probe: TLS handshakes per arch" \
    "$shakes" "1" "$(ratio "$shakes" 1)×" "≤ 1" "$(judged "$tls_exit" "$(verdict "$shakes" 1)")"

if [ -z "${BENCH_SKIP_BIG:-}" ]; then
    # 6. --verify-package of a 500 MB package on loopback vs curl into /dev/null.
    say "building a 500 MB package"
    tree "$WORK/big" 500000000
    start_mirror fast --dir "$WORK/big"
    start_mirror rated --dir "$WORK/big" --rate "$RATE"
    FAST_URL="http://127.0.0.1:$(port fast)/linux/production/"
    RATED_URL="http://127.0.0.1:$(port rated)/linux/production/"
    "$BIN" connectivity --verify-package --url "$FAST_URL" --arch x86_64 --format json \
        >"$WORK/verify.json" 2>/dev/null || true
    verified=$(grep -c '"sha256"' "$WORK/verify.json" || true)
    verify=$(median_of "$BIG_RUNS" "$BIN" connectivity --verify-package --url "$FAST_URL" --arch x86_64 --format json)
    curl_big=$(median_of "$BIG_RUNS" curl -s -o /dev/null "${FAST_URL}arch_x86_64/updates.zip")
    r=$(ratio "$verify" "$curl_big")
    row "6. \`connectivity --verify-package\`, 500 MB package on loopback vs \`curl -o /dev/null\`" \
        "$(secs "$verify")" "$(secs "$curl_big")" "${r}×" "≤ 1.3" \
        "$(if [ "$verified" -gt 0 ]; then verdict "$r" 1.3; else echo "FAIL (no package verified)"; fi)"
    # SHA-256 alone runs at about 1.2 GB/s on one core with SHA-NI, slower than loopback
    # delivers: no tool that hashes can keep within 1.3x of curl -o /dev/null. The floor
    # for one is the slower of the download and the hash (the two fully overlapped); the
    # hash is timed with openssl on the same file from the page cache.
    PKG=$WORK/big/linux/production/arch_x86_64/updates.zip
    cat "$PKG" >/dev/null
    hash_only=$(median_of "$BIG_RUNS" openssl dgst -sha256 "$PKG")
    floor=$(calc "if ($hash_only > $curl_big) $hash_only else $curl_big")
    r=$(ratio "$verify" "$floor")
    row "6b. the same vs the floor for any tool that hashes: the slower of \`curl -o /dev/null\` and \`openssl dgst -sha256\` of the file from the page cache" \
        "$(secs "$verify")" "$(secs "$floor") (hash $(secs "$hash_only"))" "${r}×" "≤ 1.3" \
        "$(if [ "$verified" -gt 0 ]; then verdict "$r" 1.3; else echo "FAIL (no package verified)"; fi)"
    # The same work with the fastest command-line tools: download piped to a hash.
    printf '#!/bin/sh\ncurl -s "$1" | openssl dgst -sha256 >/dev/null\n' >"$WORK/curl-sha.sh"
    chmod +x "$WORK/curl-sha.sh"
    curl_sha=$(median_of "$BIG_RUNS" "$WORK/curl-sha.sh" "${FAST_URL}arch_x86_64/updates.zip")
    r=$(ratio "$verify" "$curl_sha")
    row "6c. the same vs \`curl \\| openssl dgst -sha256\` (the same download and hash)" \
        "$(secs "$verify")" "$(secs "$curl_sha")" "${r}×" "≤ 1.3" \
        "$(if [ "$verified" -gt 0 ]; then verdict "$r" 1.3; else echo "FAIL (no package verified)"; fi)"

    # 7. The same package through a mirror limited to RATE bytes/s, more than the download
    #    budget (--package-timeout 4) can fetch: mirror-timeout with the throughput, never
    #    mirror-package-invalid.
    t0=$(now)
    "$BIN" connectivity --verify-package --package-timeout 4 --url "$RATED_URL" --arch x86_64 \
        --format json >"$WORK/rated.json" 2>/dev/null || true
    t1=$(now)
    rated_time=$(calc "$t1 - $t0")
    read -r ids7 pass7 < <(python3 - "$WORK/rated.json" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError:
    print("(no-JSON) FAIL")
    sys.exit()
ids = sorted({f.get("id") for f in doc.get("findings", [])}) or ["none"]
ok = "mirror-timeout" in ids and "mirror-package-invalid" not in ids
print(",".join(ids), "PASS" if ok else "FAIL")
PY
)
    speed=$(grep -o '[0-9.]* [KM]iB/s' "$WORK/rated.json" | head -1 || true)
    row "7. \`--verify-package --package-timeout 4\` through a mirror limited to $((RATE / 1000000)) MB/s (500 MB package)" \
        "${ids7//,/, } after $(secs "$rated_time")${speed:+, $speed}" "mirror-timeout with throughput, not mirror-package-invalid" "–" "mirror-timeout" "$pass7"

    # 9. aggregate: 100,000 reports in one directory vs the same spread over 100 directories.
    say "generating 100,000 reports"
    "$BIN" diagnose --format json --arch x86_64 >"$WORK/template.json" 2>/dev/null || true
    python3 - "$WORK/template.json" "$WORK/fleet-flat" "$WORK/fleet-tree" <<'PY'
import json, os, random, sys
template, flat, tree = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
os.makedirs(flat)
random.seed(15)
ids = ["url-mismatch", "definitions-stale", "mirror-timeout", "config-unknown-key", "endpoint-behind-mirror"]
for i in range(100_000):
    r = json.loads(json.dumps(template))
    r["snapshot"]["hostname"] = f"endpoint-{i:06d}"
    if r["snapshot"].get("definitions"):
        r["snapshot"]["definitions"]["definitions_version"]["value"] = f"1.407.{random.randint(400, 420)}.0"
    r["snapshot"]["mirror"]["url"] = f"http://mirror{random.randint(1, 5)}.example:8000/linux/production/"
    picked = random.sample(ids, random.randint(0, 3))
    r["findings"] = [{"id": f, "severity": "warning", "title": "t", "evidence": [], "fix": "f"} for f in picked]
    r["verdict"] = "warning" if picked else "ok"
    name = f"endpoint-{i:06d}.json"
    with open(os.path.join(flat, name), "w") as f:
        json.dump(r, f)
    d = os.path.join(tree, f"site-{i % 100:03d}")
    os.makedirs(d, exist_ok=True)
    os.link(os.path.join(flat, name), os.path.join(d, name))
PY
    read -r flat_rss flat_time < <(rss "$BIN" aggregate --exit-zero --format json "$WORK/fleet-flat")
    read -r tree_rss tree_time < <(rss "$BIN" aggregate --exit-zero --format json "$WORK/fleet-tree")
    r=$(ratio "$flat_rss" "$tree_rss")
    # Flat, and small: at most 16 MiB whatever the number of reports.
    flat_small() { # ratio, KiB
        if [ "$(verdict "$1" 1.3)" = PASS ] && [ "$2" -le 16384 ]; then echo PASS; else echo FAIL; fi
    }
    row "9. \`aggregate\`, 100,000 reports in one directory vs spread over 100 (peak RSS)" \
        "${flat_rss} KiB (${flat_time} s)" "${tree_rss} KiB (${tree_time} s)" "${r}×" "≤ 1.3, ≤ 16384 KiB" "$(flat_small "$r" "$flat_rss")"
    # The same reports on stdin, one per line (NDJSON), as a pipeline sends them.
    python3 -c '
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    for name in os.listdir(src):
        with open(os.path.join(src, name)) as r:
            f.write(json.dumps(json.load(r), separators=(",", ":")) + "\n")
' "$WORK/fleet-flat" "$WORK/fleet.ndjson"
    read -r nd_rss nd_time < <(rss sh -c 'exec "$1" aggregate --exit-zero --format json - <"$2"' sh "$BIN" "$WORK/fleet.ndjson")
    r=$(ratio "$nd_rss" "$tree_rss")
    row "9b. \`aggregate -\`, the same 100,000 reports as NDJSON on stdin ($(($(stat -c %s "$WORK/fleet.ndjson") / 1048576)) MiB) vs spread over 100 directories (peak RSS)" \
        "${nd_rss} KiB (${nd_time} s)" "${tree_rss} KiB (${tree_time} s)" "${r}×" "≤ 1.3, ≤ 16384 KiB" "$(flat_small "$r" "$nd_rss")"

    # 9c, 9d. The same reports summed up by jq (verdicts, finding ids and mirrors counted;
    # the fields aggregate's summary starts from), in CPU seconds (user + system, children
    # included): aggregate reads on both cores, jq on one, so wall time would flatter it.
    cat >"$WORK/peer.jq" <<'JQ'
reduce inputs as $r ({};
  .verdicts[$r.verdict // "unknown"] += 1
  | reduce ($r.findings[]?.id) as $f (.; .findings[$f] += 1)
  | .mirrors[$r.snapshot.mirror.url // "cloud"] += 1)
JQ
    jq_dir() { find "$1" -name '*.json' -print0 | xargs -0 jq -n -c -f "$WORK/peer.jq"; }
    agg_nd() { "$BIN" aggregate --exit-zero --format json - <"$1"; }
    jq_nd() { jq -n -c -f "$WORK/peer.jq" <"$1"; }
    agg_dir_cpu=$(cpu_of "$BIG_RUNS" "$BIN" aggregate --exit-zero --format json "$WORK/fleet-tree")
    agg_dir_wall=$(median_of "$BIG_RUNS" "$BIN" aggregate --exit-zero --format json "$WORK/fleet-tree")
    jq_dir_cpu=$(cpu_of "$BIG_RUNS" jq_dir "$WORK/fleet-tree")
    r=$(ratio "$agg_dir_cpu" "$jq_dir_cpu")
    row "9c. \`aggregate\`, the 100,000 reports in 100 directories, vs \`find \\| xargs jq\` counting verdicts, findings and mirrors (CPU; aggregate's wall time in brackets)" \
        "$(secs "$agg_dir_cpu") ($(secs "$agg_dir_wall"))" "$(secs "$jq_dir_cpu")" "${r}×" "≤ 0.2" "$(verdict "$r" 0.2)"
    agg_nd_cpu=$(cpu_of "$BIG_RUNS" agg_nd "$WORK/fleet.ndjson")
    jq_nd_cpu=$(cpu_of "$BIG_RUNS" jq_nd "$WORK/fleet.ndjson")
    r=$(ratio "$agg_nd_cpu" "$jq_nd_cpu")
    row "9d. \`aggregate -\`, the same reports as NDJSON on stdin, vs \`jq\` counting the same (CPU)" \
        "$(secs "$agg_nd_cpu")" "$(secs "$jq_nd_cpu")" "${r}×" "≤ 0.2" "$(verdict "$r" 0.2)"
fi

# 10. aggregate --format html: 10,000 endpoint reports over 20 mirrors (a few hosts with no
# mirror) and a mirror check report for each mirror, into one page (issue 29 asks < 3 s, < 3 MB).
say "generating 10,000 reports and 20 mirror reports"
"$BIN" diagnose --format json --arch x86_64 >"$WORK/template-html.json" 2>/dev/null || true
python3 - "$WORK/template-html.json" "$WORK/fleet-html" <<'PY'
import json, os, random, sys
template, out = json.load(open(sys.argv[1])), sys.argv[2]
os.makedirs(out)
random.seed(29)
ids = ["url-mismatch", "definitions-stale", "mirror-timeout", "config-unknown-key", "endpoint-behind-mirror"]
for i in range(10_000):
    r = json.loads(json.dumps(template))
    r["snapshot"]["hostname"] = f"endpoint-{i:05d}"
    # Set whether or not the template has them (no mdatp on a bench machine).
    r["snapshot"]["definitions"] = {"definitions_version": {"value": f"1.407.{random.randint(400, 420)}.0"}}
    m = random.randint(0, 20)
    r["snapshot"]["mirror"]["url"] = f"http://mirror{m:02d}.example:8000/linux/production/" if m else None
    picked = random.sample(ids, random.randint(0, 3))
    r["findings"] = [{"id": f, "severity": "warning", "title": "t", "evidence": [], "fix": "f"} for f in picked]
    r["verdict"] = "warning" if picked else "ok"
    with open(os.path.join(out, f"endpoint-{i:05d}.json"), "w") as f:
        json.dump(r, f)
for m in range(1, 21):
    doc = {"schema_version": 1, "command": "mirror check", "verdict": "warning",
           "hostname": f"mirror{m:02d}", "serving": {"url": f"http://mirror{m:02d}.example:8000/linux/production/"},
           "arches": [{"platform": "linux", "ring": "production", "arch": a, "backup": b,
                       "definitions_version": f"1.407.{410 + m}.0", "engine_version": "1.1.25090.3001",
                       "package_age_seconds": 3600.0 * m} for a in ("x86_64", "arm64") for b in (False, True)],
           "findings": [{"id": "mirror-host-stale", "severity": "warning", "title": f"the package is {m} hours old"}]}
    with open(os.path.join(out, f"mirror{m:02d}.json"), "w") as f:
        json.dump(doc, f)
PY
t0=$(now)
"$BIN" aggregate --exit-zero --format html -o "$WORK/fleet.html" "$WORK/fleet-html" 2>/dev/null || true
t1=$(now)
html_time=$(calc "$t1 - $t0")
html_bytes=$(stat -c %s "$WORK/fleet.html" 2>/dev/null || echo 0)
html_pass=FAIL
[ "$(calc "$html_time < 3")" = 1 ] && [ "$html_bytes" -gt 0 ] && [ "$html_bytes" -lt 3000000 ] && html_pass=PASS
row "10. \`aggregate --format html\`, 10,000 reports and 20 mirror reports into one page" \
    "$(secs "$html_time"), $((html_bytes / 1024)) KiB" "" "" "< 3 s, < 3 MB" "$html_pass"

# 11. diagnose --from-bundle of a compression bomb: 500 MiB of zeros in five tar members, in
#     about 0.5 MB of gzip. Refused at the inflate cap (exit 3, "inflates to more than"),
#     against the same inflate and hash up to that cap with stock tools. The tests assert
#     the refusal, never its speed (issue 30: a debug build needed 137 s on a loaded box).
say "building a compression bomb"
python3 - "$WORK/bomb.tar.gz" <<'PY'
import gzip, sys, tarfile
with gzip.open(sys.argv[1], "wb", compresslevel=9) as g:
    zero = bytes(1 << 20)
    for i in range(5):
        ti = tarfile.TarInfo(f"logs/zeros-{i}.log")
        ti.size, ti.mode = 100 << 20, 0o600
        g.write(ti.tobuf(format=tarfile.GNU_FORMAT))
        for _ in range(100):
            g.write(zero)
PY
from_bundle() { MDATP_DOCTOR_MDATP=$WORK/no-mdatp-here "$BIN" diagnose --from-bundle "$1"; }
s11=0
from_bundle "$WORK/bomb.tar.gz" >/dev/null 2>"$WORK/bomb.err" || s11=$?
# The cap, in MiB, as the refusal states it.
cap11=$(sed -n 's/.*inflates to more than \([0-9]*\) MiB.*/\1/p' "$WORK/bomb.err" | head -1)
bomb=$(median from_bundle "$WORK/bomb.tar.gz")
if [ -n "$cap11" ]; then
    printf '#!/bin/sh\ngzip -dc "$1" | head -c %s | openssl dgst -sha256 >/dev/null\n' \
        "$((cap11 * 1048576))" >"$WORK/gunzip-sha.sh"
    chmod +x "$WORK/gunzip-sha.sh"
    peer11=$(median "$WORK/gunzip-sha.sh" "$WORK/bomb.tar.gz")
    r=$(ratio "$bomb" "$peer11")
    pass11=$(verdict "$r" 1.3)
else
    peer11=0 r="–" pass11="FAIL (not refused as a bomb: exit $s11, $(head -c 200 "$WORK/bomb.err"))"
fi
[ "$s11" = 3 ] || pass11="FAIL (exit $s11, not 3)"
row "11. \`diagnose --from-bundle\`, compression bomb (500 MiB of zeros in $(($(stat -c %s "$WORK/bomb.tar.gz") / 1024)) KiB), refused at the ${cap11:-?} MiB cap vs \`gzip -dc \\| head -c cap \\| openssl dgst -sha256\`" \
    "$(secs "$bomb")" "$(secs "$peer11")" "${r}×" "≤ 1.3" "$pass11"

# 12. check --deadline 2 when mdatp hangs (every call): the answer comes within the deadline
#     (UNKNOWN, the hung call cut by the deadline's inner limit). The tests assert what cut
#     it, never how soon.
SCEN12=$WORK/scenario-hang
mkdir -p "$SCEN12"
echo '{"state": "initial", "states": {"initial": {"*": {"hang": true}}}}' >"$SCEN12/scenario.json"
hung_check() { FAKE_MDATP_SCENARIO=$SCEN12 "$BIN" check --skip-network --deadline 2 --timeout 60 --format json; }
s12=0
hung_check >"$WORK/hung.json" 2>/dev/null || s12=$?
deadline12=$(median hung_check)
r=$(ratio "$deadline12" 2)
pass12=$(verdict "$r" 1)
[ "$s12" = 3 ] || pass12="FAIL (exit $s12, not 3)"
grep -q 'did not finish within 1.6 s\|no result within the 2 s deadline' "$WORK/hung.json" ||
    pass12="FAIL (not cut by the deadline)"
row "12. \`check --deadline 2 --timeout 60\`, every mdatp call hangs: answered (UNKNOWN) vs the deadline" \
    "$(secs "$deadline12")" "2.000 s" "${r}×" "≤ 1" "$pass12"

# 13. health of hostile long lines from mdatp: time grows linearly with the line (a line
#     twice as long, at most 3× the time: linear is 2×, quadratic 4×).
long_line() { # scenario dir, text before, repeated text, count
    mkdir -p "$1"
    python3 -c 'import sys; open(sys.argv[1], "w").write(sys.argv[2] + sys.argv[3] * int(sys.argv[4]) + "\n")' \
        "$1/out.txt" "$2" "$3" "$4"
    printf '{"state": "initial", "states": {"initial": {"*": {"stdout_file": "%s"}}}}\n' "$1/out.txt" >"$1/scenario.json"
}
long_health() { FAKE_MDATP_SCENARIO=$1 "$BIN" health; }
for n in 100000 200000; do
    long_line "$WORK/value$n" "definitions_updated : " "Mar 14, 2024 at " "$n"
done
for n in 2000000 4000000; do
    long_line "$WORK/attention$n" "ATTENTION: " "a." "$n"
done
value1=$(median long_health "$WORK/value100000")
value2=$(median long_health "$WORK/value200000")
r=$(ratio "$value2" "$value1")
row "13a. \`health\`, a field value of 3.2 MB vs 1.6 MB (the table shown whole)" \
    "$(secs "$value2")" "$(secs "$value1")" "${r}×" "≤ 3" "$(verdict "$r" 3)"
att1=$(median long_health "$WORK/attention2000000")
att2=$(median long_health "$WORK/attention4000000")
r=$(ratio "$att2" "$att1")
row "13b. \`health\`, mdatp prints only an ATTENTION line of 8 MB vs 4 MB" \
    "$(secs "$att2")" "$(secs "$att1")" "${r}×" "≤ 3" "$(verdict "$r" 3)"

# 14. config fix's dry run on a managed file of 0.95 MB (Microsoft's sample with a misspelt
#     key and 6,000 exclusions) against jq -e . of the same file, and the memory it takes
#     for it: peak RSS above the same dry run on the 400-byte sample, per byte of file.
python3 - tests/fixtures/managed/docs-2024-misspelled-fallback.json "$WORK/managed-big.json" <<'PY'
import json, sys
base = open(sys.argv[1]).read()
row = lambda i: {"$type": "excludedPath", "isDirectory": i % 3 == 0,
                 "path": f"/opt/app{i:05d}/data/cache/tmp/segment-{i:05d}"}
each = len(json.dumps([row(i) for i in range(1000)], indent=6)) / 1000
rows = [row(i) for i in range(int((950_000 - len(base)) / each))]
text = base.replace('"antivirusEngine": {', '"antivirusEngine": {\n    "exclusions": ' + json.dumps(rows, indent=6) + ',', 1)
open(sys.argv[2], "w").write(text)
PY
big=$WORK/managed-big.json
s14=$(status_of "$BIN" config fix --no-verify "$big")
fix_time=$(RUNS=$((RUNS * 2)) median "$BIN" config fix --no-verify "$big")
jq_time=$(RUNS=$((RUNS * 2)) median jq -e . "$big")
r=$(ratio "$fix_time" "$jq_time")
row "14. \`config fix\` dry run, managed file of $(($(stat -c %s "$big") / 1024)) KiB, vs \`jq -e .\` of it (median of $((RUNS * 2)))" \
    "$(secs "$fix_time")" "$(secs "$jq_time")" "${r}×" "≤ 1.5" "$(judged "$s14" "$(verdict "$r" 1.5)")"
read -r big_rss _ < <(rss "$BIN" config fix --no-verify "$big")
read -r small_rss _ < <(rss "$BIN" config fix --no-verify tests/fixtures/managed/docs-2024-misspelled-fallback.json)
per_byte=$(calc "($big_rss - $small_rss) * 1024 / $(stat -c %s "$big")")
row "14b. the same: peak RSS above the dry run on the 400-byte sample, per byte of the file" \
    "${big_rss} KiB − ${small_rss} KiB" "$(($(stat -c %s "$big") / 1024)) KiB" "$(printf '%.1f' "$per_byte")×" "≤ 8" "$(judged "$s14" "$(verdict "$per_byte" 8)")"

version=$(RUNS=20 median "$BIN" --version)
row "start-up: \`--version\` (median of 20)" "$(secs "$version")" "" "" "" "–"
row "release binary size" "$(($(stat -c %s "$BIN") / 1024)) KiB" "" "" "" "–"

echo
cat "$TABLE"

if [ -n "$WRITE_DOCS" ]; then
    python3 - docs/benchmarks.md "$TABLE" "$(date -u +%Y-%m-%d)" "$(nproc)" "${BENCH_SKIP_BIG:+ (BENCH_SKIP_BIG: cases 4 at 192 MiB, 6, 7 and 9 to 9d skipped)}" <<'PY'
import sys
doc, table, day, cores, skipped = sys.argv[1:6]
text = open(doc).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
if begin not in text or end not in text:
    sys.exit(f"{doc}: no {begin} ... {end} markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
body = f"\nMeasured {day} on {cores} cores{skipped}:\n\n" + open(table).read() + "\n"
open(doc, "w").write(head + begin + body + end + tail)
PY
    say "rewrote the table in docs/benchmarks.md"
fi
