#!/usr/bin/python3
"""What permessage-deflate can save on a corpus: the bus's real messages, compressed each alone (what the
bus does: no context takeover, so one compressed frame serves every receiver) and as one stream with
context takeover (what a compressor per connection would do), at zlib levels 1, 6 and 9.

Runs armorclaw-eventbus-host, publishes EVENTS events shaped as eventbus-bench --corpus shapes them (each
corpus line as content.spec, round-robin), and records the messages one uncompressed Python `websockets`
client receives. Sizes are of the DEFLATE payloads (RFC 7692: without the final 00 00 ff ff), against the
messages' own sizes; frame headers are left out. One JSON line per level.

With EVENTS larger than the corpus, events repeat and a stream with context takeover finds whole earlier
events in its window: keep EVENTS at most the corpus's line count (49 for the spec corpus) to compare
without that.

Usage: bench/deflate_ratio.py [--bin build/default/bin] [--corpus tests/data/matrix-spec-room-events.jsonl]
                              [--events 49]
"""
import argparse
import asyncio
import json
import os
import subprocess
import zlib

import websockets


def event_line(i, spec):
    return ('{"type":"m.room.message","content":{"bench_i":%d,"bench_t":%d,"msgtype":"m.text","spec":%s},'
            '"room_id":"!room0:bench","sender":"@bench:bench","event_id":"$bench%d"}' % (i, 10**12 + i, spec, i))


async def receive(binary, lines):
    host = subprocess.Popen([binary, "--set", "websocket_addr=127.0.0.1:0", "--set", "ping_interval=0s",
                             "--events", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        url = None
        while url is None:
            line = host.stdout.readline()
            if not line:
                raise SystemExit("deflate_ratio.py: the host exited before listening")
            if "listening on " in line:
                url = line.split("listening on ")[1].split()[0]
        async with websockets.connect(url, compression=None) as client:
            await client.send(json.dumps({"type": "subscribe", "filter": {}}))
            await client.recv()  # subscribed
            host.stdin.write("\n".join(lines) + "\n")
            host.stdin.flush()
            return [await client.recv() for _ in lines]
    finally:
        host.terminate()
        host.wait()


def deflated(messages, level, takeover):
    total = 0
    stream = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    for message in messages:
        if not takeover:
            stream = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
        total += len(stream.compress(message.encode()) + stream.flush(zlib.Z_SYNC_FLUSH)) - 4
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="build/default/bin")
    parser.add_argument("--corpus", default="tests/data/matrix-spec-room-events.jsonl")
    parser.add_argument("--events", type=int, default=49)
    args = parser.parse_args()
    with open(args.corpus) as corpus_file:
        corpus = [line.strip() for line in corpus_file if line.strip()]
    lines = [event_line(i, corpus[i % len(corpus)]) for i in range(args.events)]
    messages = asyncio.run(receive(os.path.join(args.bin, "armorclaw-eventbus-host"), lines))
    size = sum(len(message.encode()) for message in messages)
    for level in (1, 6, 9):
        print(json.dumps({"events": len(messages), "bytes_per_message": round(size / len(messages), 1),
                          "level": level, "alone": round(deflated(messages, level, False) / size, 3),
                          "context_takeover": round(deflated(messages, level, True) / size, 3)}))


if __name__ == "__main__":
    main()
