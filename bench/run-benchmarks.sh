#!/usr/bin/env bash
# Runs the benchmark rows for armorclaw-eventbus-host ("ours"), baseline-fanout-server ("baseline") and the
# ideal loop ("ideal"), one JSON line per run into a results file, then a table for bench/plot.gp.
# Builds nothing: build first (cmake --build --preset default --target armorclaw-eventbus-host
# armorclaw-eventbus eventbus-bench baseline-fanout-server ideal-fanout).
#
# Usage: bench/run-benchmarks.sh [OPTIONS]
#   --bin DIR         where the binaries are (default build/default/bin)
#   --out FILE        results, one JSON object per line, appended; the plot table is made from the whole
#                     file (default: a new build/bench/results-<UTC time>.jsonl per invocation)
#   --seconds S       length of each load run (default 10)
#   --idle-seconds S  length of the idle hold (default 10)
#   --stalled-seconds S  length of each run of the stalled row (default 60)
#   --rows LIST       comma-separated subset of: fanout100,fanout1000,saturation,rooms,idle,stalled,
#                     tls,overload,compression (default all)
#   --servers LIST    comma-separated subset of: ours,baseline,ideal (default all)
#   --saturation-rates LIST   event rates of the saturation row (default 2000,3000,4000)
#   --idle-clients N  connections of the idle row (default 19000)
#   --wait-quiet T    before each run, wait up to T seconds until CPUs 0 and 1 are both under 10 % busy
#                     (other processes; the machine is shared), then run anyway (default 0: do not wait)
#   --plot            also run gnuplot on the table: docs/benchmarks.png
#   --durable-log DIR  run ours with the durable log on in DIR (emptied before each run), fsync per
#                     --durable-log-fsync (always|interval|never, default interval)
#   --overload-rates PLAIN,TLS  event rates of the overload row, about twice what 1000 plain and 1000 TLS
#                     clients saturate at here (default 6000,2000)
#
# Rows (every event line 512 bytes, but in the stalled row):
#   fanout100    100 clients, filter {}, 1000 events/s
#   fanout1000   1000 clients, filter {}, 1000 events/s
#   saturation   1000 clients, filter {}, each of --saturation-rates
#   rooms        1000 clients, 100 rooms, filter by room, 10000 events/s (ideal: not applicable)
#   idle         N subscribed connections without events (ideal: not applicable)
#   stalled      memory when clients stop reading (eventbus-bench --stalled), filter {}, 125 events/s of 4096
#                bytes: ours with 1000 clients of which 0, then 100, stall, and 100 stalled again with
#                max_queue_bytes = 1 MiB; then ours and baseline with 100 clients of which 0, then 10, stall
#                (the baseline cannot serve 1000 clients at this load). Ideal: not applicable. Not plotted.
#   tls          ours over wss:// beside ours over ws://, and the ideal loop in both modes: 100 clients at
#                1000 events/s, 1000 clients at 500 and 1000 events/s, and 1000 TLS clients at 2000 events/s
#                (saturation). A P-256 certificate is made for the run. Baseline: no TLS. Not plotted.
#   overload     ours, 1000 clients offered --overload-rates for --seconds, plain then TLS, with
#                eventbus-bench --overload (the publisher drops what the server's stdin does not take, as the
#                bridge's relay does; clients the server cuts are counted; the others' latency is reported
#                as "kept") and /metrics scraped every second for the I/O thread's lateness
#                histogram (its last scrape is added to the JSON line as "io_thread_lateness"). Not plotted.
#   compression  ours, 1000 clients at 1000 events/s with the Matrix spec corpus as payloads
#                (tests/data/matrix-spec-room-events.jsonl), without then with permessage-deflate; then
#                1000 idle subscribed connections, without then with. Not plotted.
# Server logs and the bench's stderr go to <out>.d/*.log. The machine should be otherwise idle: every run
# reports the CPU other processes took ("warnings"), and a run where the load generator saturated its own
# core is marked "valid": false.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/default/bin
run_id=$(date -u +%Y%m%dT%H%M%SZ)
out=$root/build/bench/results-$run_id.jsonl
seconds=10
idle_seconds=10
stalled_seconds=60
rows=fanout100,fanout1000,saturation,rooms,idle,stalled,tls,overload,compression
servers=ours,baseline,ideal
saturation_rates=2000,3000,4000
idle_clients=19000
plot=0
wait_quiet=0
durable_log=
durable_log_fsync=interval
overload_rates=6000,2000

while [[ $# -gt 0 ]]; do
  case $1 in
    --bin) bin=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --idle-seconds) idle_seconds=$2; shift 2 ;;
    --stalled-seconds) stalled_seconds=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --saturation-rates) saturation_rates=$2; shift 2 ;;
    --idle-clients) idle_clients=$2; shift 2 ;;
    --wait-quiet) wait_quiet=$2; shift 2 ;;
    --plot) plot=1; shift ;;
    --durable-log) durable_log=$2; shift 2 ;;
    --durable-log-fsync) durable_log_fsync=$2; shift 2 ;;
    --overload-rates) overload_rates=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-benchmarks.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
done

has() { [[ ",$1," == *",$2,"* ]]; }

for b in eventbus-bench armorclaw-eventbus-host baseline-fanout-server ideal-fanout; do
  [[ -x $bin/$b ]] || { echo "run-benchmarks.sh: $bin/$b is missing; build it first" >&2; exit 2; }
done
mkdir -p "$(dirname "$out")" "$out.d"
touch "$out"
logs=$out.d
table=${out%.jsonl}.dat

ours_cmd="'$bin/armorclaw-eventbus-host' --set websocket_addr=127.0.0.1:0 --set ping_interval=0s \
--set max_subscribers=100000 --set max_connections=100000 --events -"
if [[ -n $durable_log ]]; then
  ours_cmd="$ours_cmd --set enable_durable_log=true --set 'durable_log_dir=$durable_log' \
--set durable_log_fsync=$durable_log_fsync"
fi
baseline_cmd="'$bin/baseline-fanout-server' --addr 127.0.0.1:0"

# add_fields JSON: prefixes the row name, run id and commit to one JSON object.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
add_fields() { sed "s/^{/{\"row\":\"$row\",\"run\":\"$run_id\",\"commit\":\"$commit\",/"; }

# quiet: waits (at most --wait-quiet seconds) until CPUs 0 and 1 were both under 10 % busy for a second.
cpu_busy() { awk -v c="cpu$1" '$1 == c { print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
quiet() {
  [[ $wait_quiet == 0 ]] && return 0
  local deadline=$((SECONDS + wait_quiet)) a0 a1 b0 b1
  while (( SECONDS < deadline )); do
    a0=$(cpu_busy 0); a1=$(cpu_busy 1); sleep 1; b0=$(cpu_busy 0); b1=$(cpu_busy 1)
    if awk -v a="$a0 $a1" -v b="$b0 $b1" 'BEGIN { split(a, x); split(b, y)
         exit !((y[1]-x[1]) < 0.1 * (y[2]-x[2]) && (y[3]-x[3]) < 0.1 * (y[4]-x[4])) }'; then
      return 0
    fi
    sleep 4
  done
  echo "   (the CPUs did not get quiet within $wait_quiet s; running anyway)" >&2
}

# bench SERVER ARGS...: one eventbus-bench run against ours (plus the --set options in $ours_set, if any)
# or baseline.
ours_set=
bench() {
  local server=$1; shift
  local cmd="$ours_cmd${ours_set:+ $ours_set}"
  [[ $server == baseline ]] && cmd=$baseline_cmd
  local log="$logs/$row-$server-$(date +%H%M%S).log"
  [[ -n $durable_log && $server == ours ]] && rm -rf "$durable_log"
  quiet
  echo "== $row $server: $*" >&2
  local line
  if line=$("$bin/eventbus-bench" --server-cmd "$cmd" --label "$server" --json "$@" 2>"$log"); then :; else
    echo "   failed (exit $?), see $log" >&2
  fi
  [[ -n $line ]] || return 0
  echo "$line" | add_fields >> "$out"
  echo "   $(summary "$line")" >&2
}

# ideal CLIENTS RATE [--tls]: the calibration loop, its two human lines turned into the same JSON fields.
ideal() {
  local clients=$1 rate=$2 text="" port tls=${3:-}
  local log="$logs/$row-ideal-$(date +%H%M%S).log"
  quiet
  echo "== $row ideal: $clients clients, $rate events/s, $seconds s $tls" >&2
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 10000))
    if text=$("$bin/ideal-fanout" "$clients" "$rate" "$seconds" "$port" $tls 2>>"$log"); then break; fi
    text=""
  done
  echo "$text" >> "$log"
  [[ -n $text ]] || { echo "   failed, see $log" >&2; return 0; }
  local client server
  client=$(grep 'client: delivered' <<<"$text")
  server=$(grep '^N=' <<<"$text")
  local line
  line=$(awk -v c="$client" -v s="$server" -v n="$clients" -v r="$rate" -v secs="$seconds" \
    -v t="$([[ $tls == --tls ]] && echo true || echo false)" 'BEGIN {
    split(c, w, /[ \/|]+/)
    for (i = 1; i in w; i++) {
      if (w[i] == "delivered") { got = w[i+1]; expect = w[i+2] }
      if (w[i] == "p50") p50 = w[i+1]; if (w[i] == "p90") p90 = w[i+1]; if (w[i] == "p99") p99 = w[i+1]
      if (w[i] == "p99.9") p999 = w[i+1]; if (w[i] == "max") max = w[i+1]
    }
    match(s, /server cpu [0-9.]+ ns\/delivery/); cpu = substr(s, RSTART + 11, RLENGTH - 23)
    match(s, /util [0-9.]+%/); util = substr(s, RSTART + 5, RLENGTH - 6)
    printf "{\"label\":\"ideal\",\"mode\":\"load\",\"tls\":%s,\"clients\":%d,\"rate\":%s,\"seconds\":%s,\"filter\":\"all\",", t, n, r, secs
    printf "\"rooms\":1,\"payload\":512,\"expected\":%d,\"delivered\":%d,\"lost\":%d,", expect, got, expect - got
    printf "\"deliveries_per_s\":%.0f,\"offered_deliveries_per_s\":%.0f,", got / secs, expect / secs
    printf "\"latency_ms\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s},", p50, p90, p99, p999, max
    printf "\"server_cpu_ns_per_delivery\":%s,\"server_cpu_pct\":%s,\"valid\":true,\"reason\":\"\"}\n", cpu, util
  }')
  echo "$line" | add_fields >> "$out"
  echo "   $(summary "$line")" >&2
}

summary() {
  local text
  text=$(sed -E 's/.*"delivered":([0-9]+),"lost":([0-9]+).*"deliveries_per_s":([0-9.]+).*"p99":([0-9.]+).*"server_cpu_ns_per_delivery":([-0-9.]+).*"valid":(true|false).*/delivered \1, lost \2, \3 deliveries\/s, p99 \4 ms, server \5 ns\/delivery, valid \6/; s/.*"mode":"idle".*"server_bytes_per_connection":([-0-9.]+),"server_cpu_pct_idle":([-0-9.]+).*/\1 bytes per connection, \2 % CPU idle/' <<<"$1")
  local memory='"stalled":([0-9]+),"stalled_closed":([0-9]+).*"server_rss_kb":([-0-9]+)'
  if [[ $row == stalled && $1 =~ $memory ]]; then
    text+=", peak RSS ${BASH_REMATCH[3]} kB, stalled ${BASH_REMATCH[1]} (closed by the server ${BASH_REMATCH[2]})"
  fi
  echo "$text"
}

load_row() {  # load_row CLIENTS RATE [bench args]
  local clients=$1 rate=$2; shift 2
  for s in ours baseline; do
    has "$servers" $s && bench $s --clients "$clients" --rate "$rate" --seconds "$seconds" --payload 512 "$@"
  done
  return 0
}

if has "$rows" fanout100; then
  row=fanout100
  load_row 100 1000
  has "$servers" ideal && ideal 100 1000
fi
if has "$rows" fanout1000; then
  row=fanout1000
  load_row 1000 1000
  has "$servers" ideal && ideal 1000 1000
fi
if has "$rows" saturation; then
  for rate in ${saturation_rates//,/ }; do
    row=saturation-$rate
    load_row 1000 "$rate"
    has "$servers" ideal && ideal 1000 "$rate"
  done
fi
if has "$rows" rooms; then
  row=rooms
  load_row 1000 10000 --filter room --rooms 100
fi
if has "$rows" idle; then
  row=idle
  for s in ours baseline; do
    has "$servers" $s && bench $s --idle --clients "$idle_clients" --seconds "$idle_seconds"
  done
fi
if has "$rows" stalled; then
  # 0.5 MB/s to each client: a stalled one fills the kernel's socket buffers (about 4 MB) and 8 MiB of queue
  # in about 25 s, and the server closes it handshake_timeout (10 s) later, well within the default 60 s; at
  # 1000 clients, more would saturate the load generator's core. The baseline buffers without bound, so its
  # memory grows for as long as the run: --stalled-seconds is what caps it.
  row=stalled
  stalled_run=(--rate 125 --payload 4096 --seconds "$stalled_seconds")
  if has "$servers" ours; then
    bench ours --clients 1000 --stalled 0 "${stalled_run[@]}"
    bench ours --clients 1000 --stalled 100 "${stalled_run[@]}"
    ours_set="--set max_queue_bytes=1048576"
    bench ours --clients 1000 --stalled 100 "${stalled_run[@]}"
    ours_set=
  fi
  for s in ours baseline; do
    for k in 0 10; do
      has "$servers" $s && bench $s --clients 100 --stalled $k "${stalled_run[@]}"
    done
  done
fi

if has "$rows" tls; then
  tls_dir=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
  tls_set="--set 'tls_cert_file=$tls_dir/cert.pem' --set 'tls_key_file=$tls_dir/key.pem'"
  for load in 100:1000 1000:500 1000:1000 1000:2000; do
    row=tls-${load/:/x}
    clients=${load%:*} rate=${load#*:}
    if has "$servers" ours; then
      [[ $rate != 2000 ]] && bench ours --clients "$clients" --rate "$rate" --seconds "$seconds" --payload 512
      ours_set=$tls_set
      bench ours --tls --clients "$clients" --rate "$rate" --seconds "$seconds" --payload 512
      ours_set=
    fi
    if has "$servers" ideal; then
      [[ $rate != 2000 ]] && ideal "$clients" "$rate"
      ideal "$clients" "$rate" --tls
    fi
  done
fi
if has "$rows" overload && has "$servers" ours; then
  # /metrics is scraped every second into a file; the last scrape before the server exits is kept.
  overload_tls_dir=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -keyout "$overload_tls_dir/key.pem" -out "$overload_tls_dir/cert.pem" 2>/dev/null
  for mode in plain tls; do
    row=overload-$mode
    rate=${overload_rates%,*}
    [[ $mode == tls ]] && rate=${overload_rates#*,}
    metrics_port=$((30000 + RANDOM % 10000))
    ours_set="--set metrics_addr=127.0.0.1:$metrics_port"
    tls_flag=
    if [[ $mode == tls ]]; then
      ours_set+=" --set 'tls_cert_file=$overload_tls_dir/cert.pem' --set 'tls_key_file=$overload_tls_dir/key.pem'"
      tls_flag=--tls
    fi
    scrape=$logs/$row-metrics.txt
    : > "$scrape"
    ( while true; do
        python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' \
          "http://127.0.0.1:$metrics_port/metrics" > "$scrape.new" 2>/dev/null && mv "$scrape.new" "$scrape"
        sleep 1
      done ) &
    scraper=$!
    before=$(wc -l < "$out")
    bench ours $tls_flag --overload --clients 1000 --rate "$rate" --seconds "$seconds" --payload 512
    kill "$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null || true
    ours_set=
    # The lateness histogram's buckets, {"0.001":N,...,"+Inf":N}, added to the run's JSON line.
    lateness=$(sed -nE 's/^armorclaw_eventbus_io_thread_lateness_seconds_bucket\{le="([^"]+)"\} ([0-9]+)$/"\1":\2/p' "$scrape" |
               paste -sd, -)
    if (( $(wc -l < "$out") > before )) && [[ -n $lateness ]]; then
      sed -i "\$s/}\$/,\"io_thread_lateness\":{$lateness}}/" "$out"
      echo "   I/O thread lateness (cumulative per bucket, seconds): $lateness" >&2
    fi
  done
fi
if has "$rows" compression && has "$servers" ours; then
  row=compression
  corpus=$root/tests/data/matrix-spec-room-events.jsonl
  bench ours --clients 1000 --rate 1000 --seconds "$seconds" --corpus "$corpus"
  bench ours --clients 1000 --rate 1000 --seconds "$seconds" --corpus "$corpus" --compression
  row=compression-idle
  bench ours --idle --clients 1000 --seconds "$idle_seconds"
  bench ours --idle --clients 1000 --seconds "$idle_seconds" --compression
fi

# The table bench/plot.gp draws: filter-all load runs (the stalled, tls, overload and compression rows aside), one block per server, by
# offered load.
# Columns: server row clients rate deliveries_per_s p99_ms lost valid
{
  for s in ours baseline ideal; do
    echo "# $s"
    # awk, not grep: a server without such runs (--servers, --rows) is an empty block, not a failed pipeline
    # that set -e would end the script on.
    awk -v label="\"label\":\"$s\"" 'index($0, label) && /"mode":"load"/ && /"filter":"all"/ && !/"row":"(stalled|tls|overload|compression)/' \
      "$out" |
      sed -E 's/.*"row":"([^"]*)".*"clients":([0-9]+),"rate":([0-9.e+]+).*"lost":([0-9]+).*"deliveries_per_s":([0-9.]+).*"p99":([0-9.]+).*"valid":(true|false).*/\1 \2 \3 \5 \6 \4 \7/' |
      awk -v s="$s" '{ print $2 * $3, s, $0 }' | sort -k1,1g | cut -d' ' -f2-
    printf '\n\n'
  done
} > "$table"
echo "results: $out; table for bench/plot.gp: $table" >&2
if [[ $plot == 1 ]]; then
  mkdir -p "$root/docs"
  gnuplot -e "results='$table'; out='$root/docs/benchmarks.png'" "$root/bench/plot.gp"
  echo "plot: $root/docs/benchmarks.png" >&2
fi
