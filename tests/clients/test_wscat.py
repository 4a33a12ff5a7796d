#!/usr/bin/python3
"""clients.wscat: wscat (npm, tests/clients/node_modules) subscribes with the guide's room filter, over
ws://, then over wss:// with a certificate made by the test that wscat trusts through --ca. (wscat's `ws`
offers permessage-deflate on its own; clients.js_compression checks that the bus takes it.)

`wscat -c URL -x SUBSCRIBE -x PING -w -1` sends the guide's "Subscribe to specific room" message
({"room_id":"!myroom:example.com"}) and an application ping as soon as it is connected, and holds the
connection open. With its standard output on a pipe, wscat prints each received message on a line of its
own and nothing else. Its output must be exactly: the "subscribed" reply, {"type":"pong"}, then one
event message per event of tests/data/mixed-feed.jsonl in room !myroom:example.com, in order with
sequences 1, 2, 3..., then the sentinel's. When the host stops, wscat must exit 0 by itself (it exits
when the server closes) with nothing more on stdout or stderr.

(wscat's interactive mode drops lines typed before the connection is open and, off a terminal, prints
nothing when it opens, so a test cannot tell when to type: -x is wscat's way of sending on open. Its
standard input is a pipe kept open all along, as wscat quits at end of input.)
"""

import asyncio
import json
import os
import shutil
import tempfile

import eventbus_host as eb
from eventbus_host import check, check_equal

WSCAT = os.path.join(eb.NODE_MODULES, ".bin", "wscat")
ROOM_FILTER = {"room_id": "!myroom:example.com"}
LINE_TIMEOUT = 20.0


def wanted(event):
    return event.get("room_id") == "!myroom:example.com"


async def subscribe_and_receive(settings, wscat_arguments, feed, expected, subscribe):
    """One host with `settings`, one wscat with `wscat_arguments`: its output must be exactly what the module
    says. Returns the host's URL."""
    async with eb.EventbusHost(settings) as host:
        wscat = await asyncio.create_subprocess_exec(
            WSCAT, "-c", host.url, *wscat_arguments, "-x", subscribe, "-x", '{"type":"ping"}', "-w", "-1",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            async def next_line(what):
                return await eb.read_client_line(wscat, "wscat", LINE_TIMEOUT, what)

            output = [await next_line("the subscribed reply")]
            reply = json.loads(output[0])
            subscriber_id = reply.get("data", {}).get("subscriber_id", "")
            check(eb.SUBSCRIBER_ID_RE.match(subscriber_id) is not None, f"subscriber_id in {output[0]!r}")
            check_equal(reply, eb.subscribed_reply(reply, subscriber_id),
                        "wscat's first line")
            output.append(await next_line("the pong"))
            check_equal(output[1], '{"type":"pong"}', "wscat's second line")

            await host.publish(*feed, eb.SENTINEL_LINE)
            # Everything wscat prints up to the sentinel's event, which comes last if all is well.
            events = []
            while not events or events[-1].get("data", {}).get("event", {}).get("event_id") != "$sentinel":
                line = await next_line(f"the sentinel (wscat printed {output[2:]!r} so far)")
                output.append(line)
                events.append(json.loads(line))
            check_equal([event.get("type") for event in events], ["event"] * len(events), "types of wscat's lines")
            check_equal([sorted(event.keys()) for event in events], [["data", "type"]] * len(events),
                        "keys of wscat's lines")
            check_equal([sorted(event["data"].keys()) for event in events],
                        [["event", "received", "sequence"]] * len(events), "keys of data in wscat's lines")
            shown = [[event["data"]["sequence"], event["data"]["event"]] for event in events]
            check(eb.json_equal(shown, [list(pair) for pair in expected]),
                  f"the [sequence, event] pairs wscat printed:\n  expected: {expected!r}\n  actual:   {shown!r}")
            for event in events:
                check(eb.is_rfc3339_utc(event["data"]["received"]), f"received in {event!r}")

            await host.stop()
            rest = await eb.within(wscat.stdout.read(), LINE_TIMEOUT, "the end of wscat's output")
            check_equal(rest.decode("utf-8", "replace"), "", "wscat's stdout after the sentinel")
            status = await eb.within(wscat.wait(), LINE_TIMEOUT, "wscat to exit after the server closed")
            check_equal(status, 0, "wscat's exit status after the server closed")
            stderr = (await wscat.stderr.read()).decode("utf-8", "replace")
            check_equal(stderr, "", "wscat's stderr")
            print("\n".join(output), flush=True)
            return host.url
        finally:
            await eb.terminate(wscat)


async def test():
    if not os.access(WSCAT, os.X_OK):
        eb.fail_setup(f"{WSCAT} is missing: run `npm ci --prefix tests/clients` from the repository root")
    if shutil.which("node") is None:
        eb.fail_setup("node is not on PATH: install Node.js (Debian: `apt-get install -y nodejs`)")

    feed = eb.data_lines("mixed-feed.jsonl")
    # The host numbers every published event (1, 2, 3... in feed order, the sentinel last), delivered or not.
    numbered = list(enumerate(map(json.loads, feed + [eb.SENTINEL_LINE]), start=1))
    expected = [(sequence, event) for sequence, event in numbered if wanted(event)]
    check(len(expected) > 2 and expected[-1][1] == eb.SENTINEL, "the mixed feed should have events for the filter")
    subscribe = json.dumps({"type": "subscribe", "data": {"filter": ROOM_FILTER}})

    plain = await subscribe_and_receive({}, (), feed, expected, subscribe)
    check(plain.startswith("ws://"), f"listening URL {plain!r} is not ws://")
    with tempfile.TemporaryDirectory() as directory:
        cert, key = eb.make_certificate(directory)
        tls = await subscribe_and_receive({"tls_cert_file": cert, "tls_key_file": key}, ("--ca", cert), feed,
                                          expected, subscribe)
        check(tls.startswith("wss://"), f"listening URL {tls!r} is not wss://")


if __name__ == "__main__":
    eb.run(test, "clients.wscat")
