#!/usr/bin/python3
"""clients.python_wss: the `websockets` library over TLS (wss://) with an SSL context that trusts a
certificate made by this test with the `openssl` command.

The host gets tls_cert_file/tls_key_file; its listening URL must be wss://. A client that verifies the
server's certificate against the test's own CA subscribes and receives an event as published; a client
that trusts nothing but the system's CAs is refused by its own TLS verification.
"""

import json
import ssl
import tempfile

import eventbus_host as eb
from eventbus_host import check, check_equal

websockets = eb.require_websockets()

EVENT = {"type": "m.room.message", "room_id": "!tls:example.org", "sender": "@a:example.org",
         "event_id": "$tls", "content": {"body": "over TLS"}}


async def test():
    with tempfile.TemporaryDirectory() as directory:
        cert, key = eb.make_certificate(directory)
        async with eb.EventbusHost({"tls_cert_file": cert, "tls_key_file": key}) as host:
            check(host.url.startswith("wss://127.0.0.1:"), f"listening URL {host.url!r} is not wss://")
            trusting = ssl.create_default_context(cafile=cert)
            async with websockets.connect(host.url, ssl=trusting, open_timeout=20, close_timeout=10) as ws:
                await ws.send(json.dumps({"type": "subscribe", "data": {"filter": {}}}))
                reply = json.loads(await eb.within(ws.recv(), 20, "subscribed"))
                check_equal(reply.get("type"), "subscribed", "reply to subscribe")
                await host.publish(json.dumps(EVENT))
                message = json.loads(await eb.within(ws.recv(), 20, "the event"))
                check_equal(message["data"]["event"], EVENT, "event received over TLS")
                check_equal(message["data"]["sequence"], 1, "sequence")
            try:
                async with websockets.connect(host.url, ssl=ssl.create_default_context(), open_timeout=20):
                    pass
            except ssl.SSLCertVerificationError:
                pass
            else:
                raise eb.TestFailure("a client that does not trust the test certificate got in")


if __name__ == "__main__":
    eb.run(test, "clients.python_wss")
