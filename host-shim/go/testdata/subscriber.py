#!/usr/bin/python3
"""A real WebSocket client for the Go binding's tests (Debian's python3-websockets).

usage: subscriber.py URL COUNT TIMEOUT_SECONDS

Subscribes with the empty filter and prints, one line each, flushed:
  subscribed                     once the server answered the subscribe
  event <data as JSON>           for each of the first COUNT event messages, in arrival order
  closed <code>                  when the server then closes the connection
Any other message, a timeout or a missing close is an error (exit status 1, reason on stderr).
"""

import asyncio
import json
import sys

import websockets


async def run(url, count, timeout):
    async with websockets.connect(url, open_timeout=timeout, close_timeout=timeout) as ws:
        await ws.send(json.dumps({"type": "subscribe", "data": {"filter": {}}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if reply.get("type") != "subscribed":
            raise RuntimeError(f"reply to subscribe: {reply!r}")
        print("subscribed", flush=True)
        for _ in range(count):
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            if message.get("type") != "event":
                raise RuntimeError(f"expected an event, got {message!r}")
            print("event", json.dumps(message["data"], ensure_ascii=False), flush=True)
        try:
            extra = await asyncio.wait_for(ws.recv(), timeout)
            raise RuntimeError(f"expected the close, got {extra!r}")
        except websockets.ConnectionClosed as closed:
            print("closed", closed.code, flush=True)


def main():
    url, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    try:
        asyncio.run(run(url, count, timeout))
    except Exception as error:  # the test reads the reason from stderr
        print(f"subscriber.py: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


main()
