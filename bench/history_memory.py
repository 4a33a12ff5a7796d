#!/usr/bin/python3
"""Memory held by the resume history: is it bounded by history_max_bytes?

For each setting below, runs armorclaw-eventbus-host (no clients), publishes EVENTS events of about
SIZE bytes through its standard input, waits until the plugin has dispatched the last one (its
/metrics say so), and prints one JSON line: the history's own figures (history_events, history_bytes)
and the host's resident memory (VmRSS now, VmHWM at its peak).

Usage: bench/history_memory.py [--bin build/default/bin] [--events 100000] [--size 2048]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SETTINGS = [
    ("history off", ["history_size=0"]),
    ("history_max_bytes 16 MiB", ["history_size=1000000", "history_max_bytes=16777216"]),
    ("history_max_bytes 64 MiB (default)", ["history_size=1000000"]),
    ("history_max_bytes 64 MiB, durable log on", ["history_size=1000000", "enable_durable_log=true"]),
]


def metrics(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(armorclaw_eventbus_[a-z_]+) ([0-9.e+]+)$", line)
        if match:
            values[match.group(1)[len("armorclaw_eventbus_"):]] = float(match.group(2))
    return values


def memory_kib(pid):
    status = open(f"/proc/{pid}/status").read()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) for key in ("VmRSS", "VmHWM")}


def run(binary, label, settings, events, size):
    with tempfile.TemporaryDirectory() as log_dir:
        command = [binary, "--set", "websocket_addr=127.0.0.1:0", "--set", "metrics_addr=127.0.0.1:0",
                   "--set", "pii_scrubbing=false", "--set", "ingest_queue_events=100000", "--set", "max_ingest_delay=0s", "--events", "-"]
        for setting in settings + [f"durable_log_dir={log_dir}"]:
            command += ["--set", setting]
        host = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            url = None
            for line in host.stderr:
                found = re.search(r"metrics and health on (http://\S+)", line)
                if found:
                    url = found.group(1)
                    break
            if url is None:
                sys.exit(f"{label}: the host printed no metrics address")
            # Its later log lines are read away, so that a full pipe never blocks it.
            threading.Thread(target=host.stderr.read, daemon=True).start()
            baseline = memory_kib(host.pid)["VmRSS"]
            padding = "x" * max(0, size - 120)
            for n in range(1, events + 1):
                host.stdin.write(json.dumps({"type": "m.room.message", "room_id": "!r:example.org",
                                             "sender": "@a:example.org", "event_id": f"$e{n}",
                                             "content": {"body": padding, "n": n}}) + "\n")
            host.stdin.flush()
            # Dispatched when last_sequence reaches the count (the host retries events refused busy).
            deadline = time.monotonic() + 600
            while metrics(url).get("last_sequence", 0) < events:
                if time.monotonic() > deadline:
                    sys.exit(f"{label}: the plugin did not dispatch {events} events in 600 s")
                time.sleep(0.2)
            figures = metrics(url)
            memory = memory_kib(host.pid)
            print(json.dumps({
                "setting": label, "events": events, "event_bytes": size,
                "history_events": int(figures.get("history_events", 0)),
                "history_bytes": int(figures.get("history_bytes", 0)),
                "rss_before_mib": round(baseline / 1024, 1),
                "rss_after_mib": round(memory["VmRSS"] / 1024, 1),
                "rss_peak_mib": round(memory["VmHWM"] / 1024, 1),
            }), flush=True)
        finally:
            host.terminate()
            host.communicate(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default="build/default/bin")
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    binary = os.path.join(args.bin, "armorclaw-eventbus-host")
    for label, settings in SETTINGS:
        run(binary, label, settings, args.events, args.size)


if __name__ == "__main__":
    main()
