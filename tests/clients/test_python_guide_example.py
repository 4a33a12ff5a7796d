#!/usr/bin/python3
"""clients.python_guide_example: the client guide's Python example, run as a user would run it.

guide_examples/python_client.py (the guide's code, only its URI taken from the command line) runs as a
subprocess of this Python (/usr/bin/python3 under ctest) with -u. Once it printed "Subscribed: <the
server's reply>", the mixed feed (tests/data/mixed-feed.jsonl) and a sentinel event are published.
Its filter is room !myroom:example.com + type m.room.message, so its standard output must be exactly
one "[<received>] <sender>: <body>" line per matching event of the feed, in feed order, then the
sentinel's line. The host is then stopped: the example must print "Connection closed" and exit 0 with
nothing on stderr. (If it did not exit by itself, the test terminates it and fails.)
"""

import asyncio
import json
import os
import re
import sys

import eventbus_host as eb
from eventbus_host import check, check_equal

eb.require_websockets()  # The example imports it: fail with the fix rather than with its traceback.

EXAMPLE = os.path.join(eb.CLIENTS_DIR, "guide_examples", "python_client.py")
LINE_TIMEOUT = 20.0


def wanted(event):
    """The example's filter, written out independently: room !myroom:example.com and m.room.message."""
    return event.get("room_id") == "!myroom:example.com" and event.get("type") == "m.room.message"


async def test():
    feed = eb.data_lines("mixed-feed.jsonl")
    expected_events = [event for event in map(json.loads, feed) if wanted(event)] + [eb.SENTINEL]
    # The example prints f"[{received}] {event['sender']}: {event['content'].get('body', '')}".
    expected = [(event["sender"], event["content"].get("body", "")) for event in expected_events]
    check(len(expected) > 2, "the mixed feed should have events for this filter")

    async with eb.EventbusHost() as host:
        example = await asyncio.create_subprocess_exec(
            sys.executable, "-u", EXAMPLE, host.url,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            deadline = eb.now() + LINE_TIMEOUT
            first = await eb.read_line(example.stdout, deadline, "the example's Subscribed line")
            if first is None:
                stderr = (await example.stderr.read()).decode("utf-8", "replace")
                raise eb.TestFailure(f"the example exited before printing its Subscribed line:\n{stderr}")
            check(first.startswith("Subscribed: "), f"first line of the example: {first!r}")
            reply = json.loads(first[len("Subscribed: "):])
            subscriber_id = reply.get("data", {}).get("subscriber_id", "")
            check(eb.SUBSCRIBER_ID_RE.match(subscriber_id) is not None, f"subscriber_id in {first!r}")
            check_equal(reply, eb.subscribed_reply(reply, subscriber_id),
                        "the reply the example printed")

            await host.publish(*feed, eb.SENTINEL_LINE)

            # Everything it prints up to the sentinel's line, which comes last if all is well.
            sentinel_line_end = f"] {eb.SENTINEL['sender']}: {eb.SENTINEL['content']['body']}"
            lines = []
            while not (lines and lines[-1].endswith(sentinel_line_end)):
                line = await eb.read_line(example.stdout, eb.now() + LINE_TIMEOUT,
                                          f"the sentinel's line (the example printed {lines!r} so far)")
                check(line is not None, f"the example exited after printing {lines!r}")
                lines.append(line)
            shown = []  # Each line without its "[<received>] " prefix, whose timestamp is checked here.
            for line in lines:
                match = re.fullmatch(r"\[([^\]]*)\] (.*)", line)
                check(match is not None, f"the example printed {line!r}, not '[received] sender: body'")
                check(eb.is_rfc3339_utc(match.group(1)), f"the received time in {line!r} is not RFC 3339 UTC")
                shown.append(match.group(2))
            check_equal(shown, [f"{sender}: {body}" for sender, body in expected],
                        "the example's event lines (after '[received] ')")

            await host.stop()
            deadline = eb.now() + LINE_TIMEOUT
            rest = []
            while (line := await eb.read_line(example.stdout, deadline, "the example's last lines")) is not None:
                rest.append(line)
            check_equal(rest, ["Connection closed"], "what the example prints when the server stops")
            status = await eb.within(example.wait(), LINE_TIMEOUT, "the example to exit after the server closed")
            check_equal(status, 0, "the example's exit status")
            stderr = (await example.stderr.read()).decode("utf-8", "replace")
            check_equal(stderr, "", "the example's stderr")
            print("\n".join([first] + lines + rest), flush=True)
        finally:
            await eb.terminate(example)


if __name__ == "__main__":
    eb.run(test, "clients.python_guide_example")
