#!/usr/bin/python3
"""The installed package at work (run by package_test.sh once the .deb is installed).

Usage: installed_host_test.py HOST CONFIG PLUGIN

Starts the installed host HOST with the installed example CONFIG and no --plugin (websocket_addr is
overridden to 127.0.0.1:0 for a free port), and checks that: the process maps the installed PLUGIN, not
another copy; a `websockets` client subscribed to m.room.message receives exactly the m.room.message
events of the Matrix specification feed, in order; the host logs no warning (the example is accepted as
it is); and SIGTERM stops it with status 0.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clients"))
import eventbus_host as eb  # noqa: E402  (found through the path above)
from eventbus_host import check, check_equal  # noqa: E402

websockets = eb.require_websockets()

RECV_TIMEOUT = 20.0


def mapped_plugins(pid):
    """The shared objects named armorclaw-eventbus*.so that process `pid` has mapped."""
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps:
        paths = {line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6}
    return sorted(path for path in paths
                  if os.path.basename(path).startswith("armorclaw-eventbus") and path.endswith(".so"))


async def test():
    host_binary, config, plugin = sys.argv[1:4]
    os.environ["EVENTBUS_HOST_BINARY"] = host_binary
    lines = eb.data_lines("matrix-spec-room-events.jsonl")
    wanted = [event["event_id"] for event in map(json.loads, lines) if event["type"] == "m.room.message"]
    check(len(wanted) > 1, "the feed has m.room.message events")

    async with eb.EventbusHost(arguments=["--config", config]) as host:
        check_equal(mapped_plugins(host.process.pid), [plugin], "the plugin the installed host loaded")
        async with websockets.connect(host.url, open_timeout=20, close_timeout=10) as ws:
            await ws.send(json.dumps({"type": "subscribe",
                                      "data": {"filter": {"event_types": ["m.room.message"]}}}))
            reply = json.loads(await eb.within(ws.recv(), RECV_TIMEOUT, "the reply to subscribe"))
            check_equal(reply.get("type"), "subscribed", f"reply to subscribe {reply!r}")

            await host.publish(*lines, eb.SENTINEL_LINE)
            received = []
            while not received or received[-1] != eb.SENTINEL["event_id"]:
                message = json.loads(await eb.within(ws.recv(), RECV_TIMEOUT, "an event"))
                check_equal(message.get("type"), "event", f"type of message {message!r}")
                received.append(message["data"]["event"]["event_id"])
            check_equal(received, wanted + [eb.SENTINEL["event_id"]], "the event_ids the client received")

            await host.stop()  # Asserts exit status 0.
        warnings = [line for line in host.stderr_text().splitlines() if "WARN" in line]
        check_equal(warnings, [], "warnings of the installed host with the example config")
    print(f"the installed host listened on {host.url}; {len(received)} events received through {plugin}",
          flush=True)


eb.run(test, "package.installed_host")
