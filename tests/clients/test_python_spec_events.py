#!/usr/bin/python3
"""clients.python_spec_events: the `websockets` library (Debian's python3-websockets) receives the 49
Matrix specification example events exactly as published.

A client subscribes with the empty filter; then all 49 lines of tests/data/matrix-spec-room-events.jsonl
are published. The client must receive 49 "event" messages, in order, each with `data.event` equal as a
JSON value to the published line, `data.sequence` 1..49 and `data.received` an RFC 3339 UTC timestamp
of the time of the test (within ten minutes: no latency is measured). Then the host is stopped with SIGTERM: the very next thing the client sees is
the close handshake with code 1001 (going away), which also proves no extra message was delivered.
"""

import datetime
import json

import eventbus_host as eb
from eventbus_host import check, check_equal

websockets = eb.require_websockets()

RECV_TIMEOUT = 20.0


async def recv_json(ws):
    text = await eb.within(ws.recv(), RECV_TIMEOUT, "a message")
    check(isinstance(text, str), f"expected a text frame, got {text!r}")
    return json.loads(text)


async def test():
    lines = eb.data_lines("matrix-spec-room-events.jsonl")
    check_equal(len(lines), 49, "number of events in matrix-spec-room-events.jsonl")
    published = [json.loads(line) for line in lines]

    # Compared verbatim, so scrubbing is off: the spec's call events carry IP addresses in their SDP.
    async with eb.EventbusHost({"pii_scrubbing": "false"}) as host:
        async with websockets.connect(host.url, open_timeout=20, close_timeout=10) as ws:
            await ws.send(json.dumps({"type": "subscribe", "data": {"filter": {}}}))
            reply = await recv_json(ws)
            check_equal(reply.get("type"), "subscribed", f"reply to subscribe {reply!r}")
            subscriber_id = reply["data"].get("subscriber_id")
            check(isinstance(subscriber_id, str) and eb.SUBSCRIBER_ID_RE.match(subscriber_id),
                  f"subscriber_id {subscriber_id!r} is not sub-<32 hex>")
            check_equal(reply, eb.subscribed_reply(reply, subscriber_id),
                        "the subscribed reply")

            # "received" is the host's clock, which the test shares: it must read "now", give or take
            # ten minutes. That catches a wrong zone, epoch or unit without measuring any latency.
            slack = datetime.timedelta(minutes=10)
            earliest = datetime.datetime.now(datetime.timezone.utc) - slack
            await host.publish(*lines)

            for index, expected_event in enumerate(published):
                sequence = index + 1
                message = await recv_json(ws)
                check_equal(message.get("type"), "event", f"type of message {sequence}")
                check_equal(sorted(message.keys()), ["data", "type"], f"keys of message {sequence}")
                data = message["data"]
                check_equal(sorted(data.keys()), ["event", "received", "sequence"], f"keys of data {sequence}")
                check(eb.json_equal(data["event"], expected_event),
                      f"event {sequence} differs from line {sequence} of the feed:\n"
                      f"  published: {lines[index]}\n  received:  {json.dumps(data['event'])}")
                check(type(data["sequence"]) is int, f"sequence of event {sequence} is not an integer")
                check_equal(data["sequence"], sequence, f"sequence of event {sequence}")
                received = eb.parse_rfc3339_utc(data["received"])
                latest = datetime.datetime.now(datetime.timezone.utc) + slack
                check(earliest <= received <= latest,
                      f"received {data['received']} of event {sequence} is not the time it was published")

            await host.stop()  # Asserts exit status 0.
            try:
                extra = await eb.within(ws.recv(), RECV_TIMEOUT, "the close handshake")
            except websockets.exceptions.ConnectionClosed:
                pass
            else:
                raise eb.TestFailure(f"a message arrived after the 49 events: {extra!r}")
            check_equal(ws.close_code, 1001, "close code the client sees when the host stops")
            print(f"49 events in order, sequences 1..49; close {ws.close_code} {ws.close_reason!r}", flush=True)


if __name__ == "__main__":
    eb.run(test, "clients.python_spec_events")
