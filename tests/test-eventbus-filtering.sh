#!/usr/bin/env bash
# Event bus filtering tests: the "Automated Testing" script of the WebSocket client guide.
#
# Starts armorclaw-eventbus-host on an ephemeral loopback port; for each filter example of the guide
# (all {}, room, sender, event types, room + types) a real WebSocket client (Debian's /usr/bin/python3
# with python3-websockets) connects and subscribes. Once all five are subscribed, tests/data/mixed-feed.jsonl
# is published, then a sentinel event that every filter matches. Each client must receive exactly the
# event_ids its filter selects from the feed, in feed order, then the sentinel, and nothing else; the
# expected lists are computed independently of the server and of the clients, by a Python predicate
# over each event of the feed, one per filter. Prints one PASS/FAIL line per filter and
# "N passed, N failed"; exits 1 on any mismatch.
#
# Usage: tests/test-eventbus-filtering.sh
#   EVENTBUS_HOST_BINARY  the host binary (default: the first build/*/bin/armorclaw-eventbus-host)
#   EVENTBUS_TEST_PYTHON     the Python with the websockets package (default: /usr/bin/python3)
# Needs: python3-websockets (Debian 12), coreutils timeout. Every wait has a deadline, and the host and the
# clients are stopped on every exit path.
#
# shellcheck disable=SC2016  # '$sentinel' and the Python programs are meant literally.
# shellcheck disable=SC2153  # HOST_PID is set by coproc HOST.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname -- "$script_dir")
feed=$repo_root/tests/data/mixed-feed.jsonl
python=${EVENTBUS_TEST_PYTHON:-/usr/bin/python3}
step_timeout=20     # seconds for any one awaited line
process_timeout=60  # seconds any host or client may live at most

setup_failure() {
  echo "FAIL (setup): $*" >&2
  exit 1
}

if [[ -n ${EVENTBUS_HOST_BINARY:-} ]]; then
  host_binary=$EVENTBUS_HOST_BINARY
else
  host_binary=
  for candidate in "$repo_root"/build/*/bin/armorclaw-eventbus-host; do
    if [[ -x $candidate ]]; then
      host_binary=$candidate
      break
    fi
  done
fi
[[ -n $host_binary && -x $host_binary ]] ||
  setup_failure "no armorclaw-eventbus-host (${host_binary:-none found under build/*/bin}): build it or set EVENTBUS_HOST_BINARY"
command -v timeout >/dev/null || setup_failure "timeout (coreutils) is not installed"
[[ -x $python ]] || setup_failure "$python not found: apt-get install -y python3 python3-websockets"
"$python" -c 'import websockets' 2>/dev/null ||
  setup_failure "$python cannot import websockets: apt-get install -y python3-websockets"
[[ -r $feed ]] || setup_failure "cannot read $feed"

# The guide's filter examples, and the same selection written as a Python predicate over one event e.
# (Room-less events have no room_id, so they never match a room.)
names=(all room sender types room+types)
filters=(
  '{}'
  '{"room_id":"!myroom:example.com"}'
  '{"sender_id":"@alice:example.com"}'
  '{"event_types":["m.room.message","m.room.member"]}'
  '{"room_id":"!myroom:example.com","event_types":["m.room.message"]}'
)
predicates=(
  'True'
  'e.get("room_id") == "!myroom:example.com"'
  'e.get("sender") == "@alice:example.com"'
  'e.get("type") in ("m.room.message", "m.room.member")'
  'e.get("room_id") == "!myroom:example.com" and e.get("type") == "m.room.message"'
)
sentinel='{"type":"m.room.message","room_id":"!myroom:example.com","sender":"@alice:example.com","event_id":"$sentinel","content":{"msgtype":"m.text","body":"end"}}'

# One subscriber: prints "subscribed <id>" once subscribed, then the event_id of each event up to and
# including the sentinel's, then closes. Any other message is printed as "unexpected: <json>".
client_program='
import asyncio, json, sys
import websockets

async def main(url, event_filter):
    async with websockets.connect(url, open_timeout=20, close_timeout=10) as ws:
        await ws.send(json.dumps({"type": "subscribe", "data": {"filter": event_filter}}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "subscribed":
            print("unexpected:", json.dumps(reply), flush=True)
            return 1
        print("subscribed", reply["data"]["subscriber_id"], flush=True)
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") != "event":
                print("unexpected:", json.dumps(message), flush=True)
                return 1
            event_id = message["data"]["event"].get("event_id")
            print(event_id, flush=True)
            if event_id == "$sentinel":
                return 0

sys.exit(asyncio.run(asyncio.wait_for(main(sys.argv[1], json.loads(sys.argv[2])), timeout=50)))
'

# Prints the event_id of each event of the feed (argv[1]) for which the predicate (argv[2]) holds.
select_program='
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        e = json.loads(line)
        if eval(sys.argv[2], {}, {"e": e}):
            print(e["event_id"])
'

work=$(mktemp -d "${TMPDIR:-/tmp}/eventbus-filtering.XXXXXX")
host_pid=
client_pids=()

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  local pid
  for pid in "${client_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  if [[ -n $host_pid ]] && kill -0 "$host_pid" 2>/dev/null; then
    kill -TERM "$host_pid" 2>/dev/null  # timeout passes it to the host; it kills the host 10 s later.
  fi
  for pid in "${client_pids[@]}" $host_pid; do
    wait "$pid" 2>/dev/null
  done
  if ((status != 0)) && [[ -s $work/host.stderr ]]; then
    echo "---- armorclaw-eventbus-host stderr ----" >&2
    cat "$work/host.stderr" >&2
    echo "---- end of host stderr ----" >&2
  fi
  rm -rf -- "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The host, under a hard deadline. It reads ARMORCLAW_EVENTBUS_<KEY> variables as configuration keys, so
# none of them reaches it: only the --set options below count.
coproc HOST {
  unset "${!ARMORCLAW_EVENTBUS_@}"
  exec timeout --kill-after=10 "$process_timeout" "$host_binary" \
    --set websocket_addr=127.0.0.1:0 --set ping_interval=0s --events - 2>"$work/host.stderr"
}
host_pid=$HOST_PID
exec {host_out}<&"${HOST[0]}" {host_in}>&"${HOST[1]}"

listening=
read -r -t "$step_timeout" -u "$host_out" listening ||
  setup_failure "the host printed no listening line within ${step_timeout} s"
[[ $listening =~ ^eventbus:\ listening\ on\ (ws://127\.0\.0\.1:[0-9]+/events)$ ]] ||
  setup_failure "unexpected first line from the host: $listening"
url=${BASH_REMATCH[1]}
echo "host: $url"

# Start every client, then await each one's subscription.
client_fds=()
for i in "${!names[@]}"; do
  mkfifo "$work/client$i.out"
  timeout --kill-after=5 "$process_timeout" "$python" -c "$client_program" "$url" "${filters[i]}" \
    >"$work/client$i.out" 2>"$work/client$i.stderr" &
  client_pids+=("$!")
  exec {fd}<"$work/client$i.out"
  client_fds+=("$fd")
done
for i in "${!names[@]}"; do
  line=
  if ! read -r -t "$step_timeout" -u "${client_fds[i]}" line || [[ ! $line =~ ^subscribed\ sub-[0-9a-f]{32}$ ]]; then
    setup_failure "client ${names[i]} (filter ${filters[i]}) did not subscribe: '${line}' $(cat "$work/client$i.stderr")"
  fi
done

cat "$feed" >&"$host_in"
printf '%s\n' "$sentinel" >&"$host_in"

passed=0
failed=0
for i in "${!names[@]}"; do
  mapfile -t expected < <("$python" -c "$select_program" "$feed" "${predicates[i]}")
  expected+=('$sentinel')
  received=()
  outcome=
  while :; do
    line=
    if read -r -t "$step_timeout" -u "${client_fds[i]}" line; then
      received+=("$line")
    elif [[ -n $line ]]; then
      received+=("$line") # A last line without a newline.
      break
    else
      # End of the client's output, or nothing for step_timeout seconds (a missing event).
      ((${#received[@]} > 0)) && [[ ${received[-1]} == '$sentinel' ]] ||
        outcome="no sentinel within ${step_timeout} s"
      break
    fi
  done
  if wait "${client_pids[i]}"; then client_status=0; else client_status=$?; fi
  if [[ -z $outcome && $client_status -ne 0 ]]; then
    outcome="client exit status $client_status: $(cat "$work/client$i.stderr")"
  fi
  if [[ -z $outcome && "${received[*]}" != "${expected[*]}" ]]; then
    outcome="event_ids differ"
  fi
  if [[ -z $outcome && ${#expected[@]} -lt 2 ]]; then
    outcome="the feed has no event for this filter: a vacuous test"
  fi
  if [[ -z $outcome ]]; then
    echo "PASS ${names[i]} ${filters[i]}: ${#expected[@]} events: ${expected[*]}"
    passed=$((passed + 1))
  else
    echo "FAIL ${names[i]} ${filters[i]}: $outcome"
    echo "  expected: ${expected[*]}"
    echo "  received: ${received[*]}"
    failed=$((failed + 1))
  fi
done
client_pids=()

# Stop the host: SIGTERM must make it exit 0 (timeout passes the signal on and returns its status).
kill -TERM "$host_pid"
if wait "$host_pid"; then host_status=0; else host_status=$?; fi
host_pid=
if ((host_status != 0)); then
  echo "FAIL host: exit status $host_status after SIGTERM (expected 0)"
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
((failed == 0))
