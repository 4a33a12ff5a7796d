#!/usr/bin/python3
"""Replay speed to one client: events per second a resuming client receives, from memory and from disk.

Runs armorclaw-eventbus-host with the durable log on, publishes EVENTS + REPLAY events, then one Python
`websockets` client subscribes with `since` = EVENTS and the time from its subscribe to the last replayed
event is taken. "memory": the history holds every event; "disk": it holds one, so all but the last come
from the segment files. One JSON line per source. The client parses each message, so on a slow machine
the figure is the client's as much as the server's.

Usage: bench/replay_speed.py [--bin build/default/bin] [--events 10000] [--replay 10000] [--size 512]
"""
import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import websockets


def start_host(binary, log_dir, history_size, total):
    command = [binary, "--set", "websocket_addr=127.0.0.1:0", "--set", "pii_scrubbing=false",
               "--set", "enable_durable_log=true", "--set", f"durable_log_dir={log_dir}",
               "--set", f"history_size={history_size}", "--set", f"max_replay_events={total}",
               "--set", "ingest_queue_events=100000", "--set", "max_ingest_delay=0s", "--events", "-"]
    host = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    threading.Thread(target=host.stderr.read, daemon=True).start()
    line = host.stdout.readline()
    found = re.search(r"listening on (ws://\S+)", line)
    if not found:
        sys.exit(f"the host did not start: {line!r}")
    return host, found.group(1)


async def measure(url, events, replay, size, host):
    async with websockets.connect(url, max_size=None, compression=None) as first:
        await first.send(json.dumps({"type": "subscribe", "data": {"filter": {}}}))
        epoch = json.loads(await first.recv())["data"]["epoch"]
    padding = "x" * max(0, size - 120)
    for n in range(1, events + replay + 1):
        host.stdin.write(json.dumps({"type": "m.room.message", "room_id": "!r:example.org",
                                     "sender": "@a:example.org", "content": {"body": padding, "n": n}}) + "\n")
    host.stdin.flush()
    # Every event dispatched once a cursor at the last is no longer ahead of the bus ("future").
    while True:
        async with websockets.connect(url, max_size=None, compression=None) as probe:
            await probe.send(json.dumps({"type": "subscribe", "data": {
                "filter": {"room_id": "!none:example.org"}, "since": {"sequence": events + replay, "epoch": epoch}}}))
            if json.loads(await probe.recv())["data"].get("reason") != "future":
                break
        await asyncio.sleep(0.1)
    async with websockets.connect(url, max_size=None, compression=None) as resumer:
        started = time.perf_counter()
        await resumer.send(json.dumps({"type": "subscribe", "data": {
            "filter": {}, "since": {"sequence": events, "epoch": epoch}}}))
        reply = json.loads(await resumer.recv())["data"]
        if not reply.get("recovered"):
            sys.exit(f"not recovered: {reply}")
        expected = events + 1
        while expected <= events + replay:
            sequence = json.loads(await resumer.recv())["data"]["sequence"]
            if sequence != expected:
                sys.exit(f"replay out of order: {sequence} where {expected} was due")
            expected += 1
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default="build/default/bin")
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--replay", type=int, default=10000)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    binary = os.path.join(args.bin, "armorclaw-eventbus-host")
    total = args.events + args.replay
    for source, history_size in (("memory", total), ("disk", 1)):
        with tempfile.TemporaryDirectory() as log_dir:
            host, url = start_host(binary, log_dir, history_size, total)
            try:
                seconds = asyncio.run(measure(url, args.events, args.replay, args.size, host))
            finally:
                host.terminate()
                host.communicate(timeout=60)
        print(json.dumps({"source": source, "replayed": args.replay, "event_bytes": args.size,
                          "seconds": round(seconds, 3), "events_per_s": round(args.replay / seconds)}), flush=True)


if __name__ == "__main__":
    main()
