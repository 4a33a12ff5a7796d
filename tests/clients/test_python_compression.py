#!/usr/bin/python3
"""clients.python_compression: the `websockets` library, which offers permessage-deflate by default,
negotiates it with the event bus over ws:// and over wss://, and receives the 49 Matrix specification
example events exactly as published, in order.

The 101 must answer its offer with "permessage-deflate; server_no_context_takeover;
client_no_context_takeover", and the library must have taken the extension (ws.extensions). Frames
with RSV1 set would be a protocol error to a client that did not negotiate, so receiving the events
proves they arrive in a form the library inflates. The client also sends its subscribe compressed
(the library compresses every message it sends once negotiated), which the bus must inflate.
"""

import json
import ssl
import tempfile

import eventbus_host as eb
from eventbus_host import check, check_equal

websockets = eb.require_websockets()
from websockets.extensions.permessage_deflate import PerMessageDeflate  # noqa: E402

ANSWER = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"


async def receive_spec_events(host, **connect_options):
    lines = eb.data_lines("matrix-spec-room-events.jsonl")
    async with websockets.connect(host.url, open_timeout=20, close_timeout=10, **connect_options) as ws:
        check_equal(ws.response_headers.get("Sec-WebSocket-Extensions"), ANSWER, "the 101's extension answer")
        check_equal([type(extension) for extension in ws.extensions], [PerMessageDeflate],
                    "extensions the client took")
        # Padded past the size at which the library compresses what it sends.
        await ws.send(json.dumps({"type": "subscribe", "data": {"filter": {}}}) + " " * 1000)
        reply = json.loads(await eb.within(ws.recv(), 20, "subscribed"))
        check_equal(reply.get("type"), "subscribed", "reply to the compressed subscribe")
        await host.publish(*lines)
        for index, line in enumerate(lines):
            message = json.loads(await eb.within(ws.recv(), 20, f"event {index + 1}"))
            check(eb.json_equal(message["data"]["event"], json.loads(line)),
                  f"event {index + 1} differs from line {index + 1} of the feed")
            check_equal(message["data"]["sequence"] - reply["data"]["sequence"], index + 1, "sequence")
    return len(lines)


async def test():
    # Compared verbatim, so scrubbing is off (the spec's call events carry IP addresses in their SDP).
    async with eb.EventbusHost({"pii_scrubbing": "false"}) as host:
        count = await receive_spec_events(host)
    with tempfile.TemporaryDirectory() as directory:
        cert, key = eb.make_certificate(directory)
        async with eb.EventbusHost({"pii_scrubbing": "false", "tls_cert_file": cert, "tls_key_file": key}) as host:
            check(host.url.startswith("wss://"), f"listening URL {host.url!r} is not wss://")
            await receive_spec_events(host, ssl=ssl.create_default_context(cafile=cert))
    print(f"{count} events compressed, in order, over ws:// and wss://", flush=True)


if __name__ == "__main__":
    eb.run(test, "clients.python_compression")
