#!/usr/bin/python3
"""clients.python_resume_example: the guide's "Resuming after a disconnect" client, run as a user would run it.

The example's code block is read from docs/websocket-client-guide.md, so what runs is what the guide shows;
only its URI line is replaced, by the address of a TCP relay in this test (the only way to cut the
example's connection the way a network does: without a close frame). The host keeps 3 events of history
and sends positions every 200 ms. The example follows !ops:example.org:

1. It connects (the relay sees the "subscribed" reply go by); 2 events in !ops are published: it prints them.
2. 10 events in another room follow: nothing for it, but the relay sees the position 12 reach it.
3. The relay cuts the connection; 2 more !ops events are published while it is away. It prints
   "disconnected (...); resuming after 12 in 1 s" (its cursor came from the position: with the cursor of
   its last event, 2, the history of 3 would no longer reach back and it could not resume), then on
   reconnecting "resumed: 2 missed events follow" and those two events, 13 and 14.
"""

import asyncio
import os
import re
import sys

import eventbus_host as eb
from eventbus_host import check, check_equal

eb.require_websockets()

GUIDE = os.path.join(eb.REPO_ROOT, "docs", "websocket-client-guide.md")
LINE_TIMEOUT = 20.0
OPS = "!ops:example.org"


def example_code(relay_url):
    """The guide's resume client, with its URI pointing at the relay."""
    with open(GUIDE, encoding="utf-8") as guide:
        text = guide.read()
    section = text[text.index("## Resuming after a disconnect"):]
    code = section[section.index("```python\n") + len("```python\n"):]
    code = code[:code.index("```")]
    uri_line = 'URI = "ws://127.0.0.1:8444/events"\n'
    check(uri_line in code, "the guide's resume example no longer sets URI as expected")
    return code.replace(uri_line, f"URI = {relay_url!r}\n")


class Relay:
    """A TCP relay to the host that records what the server sends and can cut every connection."""

    def __init__(self, host_url):
        match = re.fullmatch(r"ws://127\.0\.0\.1:(\d+)(/.*)", host_url)
        check(match is not None, f"unexpected host URL {host_url!r}")
        self.host_port, self.path = int(match.group(1)), match.group(2)
        self.from_server = b""  # Of the current connection; a server frame is unmasked, its JSON in clear.
        self.changed = asyncio.Event()
        self.server_writers = []
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", 0)
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}{self.path}"

    async def accept(self, client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.host_port)
        self.from_server = b""
        self.server_writers.append(server_writer)

        async def pump(reader, writer, record):
            try:
                while data := await reader.read(65536):
                    if record:
                        self.from_server += data
                        self.changed.set()
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            writer.close()

        await asyncio.gather(pump(client_reader, server_writer, False), pump(server_reader, client_writer, True))

    async def await_from_server(self, needle, what):
        async def seen():
            while needle not in self.from_server:
                self.changed.clear()
                await self.changed.wait()
        await eb.within(seen(), LINE_TIMEOUT, what)

    def cut(self):
        """Drops the connections to the host. Towards the example, what was relayed still arrives, then the
        connection ends without a close frame: a network failure, as the example sees it."""
        for writer in self.server_writers:
            writer.transport.abort()
        self.server_writers = []

    def close(self):
        self.cut()
        self.server.close()


def event(room, n):
    return {"type": "m.room.message", "room_id": room, "sender": "@a:example.org",
            "event_id": f"$resume{n}:example.org", "content": {"body": f"event {n}"}}


async def test():
    settings = {"history_size": "3", "position_interval": "200ms"}
    async with eb.EventbusHost(settings) as host:
        relay = Relay(host.url)
        example = None
        try:
            relay_url = await relay.start()
            example = await asyncio.create_subprocess_exec(
                sys.executable, "-u", "-c", example_code(relay_url),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env={k: v for k, v in os.environ.items() if k != "EVENTBUS_TOKEN"})
            printed = []

            async def expect_line(pattern, what):
                line = await eb.read_line(example.stdout, eb.now() + LINE_TIMEOUT, what)
                check(line is not None, f"the example exited after printing {printed!r}, waiting for {what}")
                printed.append(line)
                check(re.fullmatch(pattern, line) is not None, f"the example printed {line!r}, expected {what}")
                return line

            await relay.await_from_server(b'"type":"subscribed"', "the example's subscription")
            await host.publish(event(OPS, 1), event(OPS, 2))
            await expect_line(rf"1 m\.room\.message {OPS} \$resume1:example\.org", "event 1")
            await expect_line(rf"2 m\.room\.message {OPS} \$resume2:example\.org", "event 2")

            await host.publish(*[event("!elsewhere:example.org", n) for n in range(3, 13)])
            await relay.await_from_server(b'{"type":"position","data":{"sequence":12}}', "the position 12")

            relay.cut()
            await host.publish(event(OPS, 13), event(OPS, 14))
            await expect_line(r"disconnected \(.*\); resuming after 12 in 1 s", "the disconnect line")
            await expect_line(r"resumed: 2 missed events follow", "the resume line")
            await expect_line(rf"13 m\.room\.message {OPS} \$resume13:example\.org", "event 13")
            await expect_line(rf"14 m\.room\.message {OPS} \$resume14:example\.org", "event 14")
            print("\n".join(printed), flush=True)
        finally:
            await eb.terminate(example)
            relay.close()
        if example is not None:
            stderr = (await example.stderr.read()).decode("utf-8", "replace")
            check_equal(stderr, "", "the example's stderr")


if __name__ == "__main__":
    eb.run(test, "clients.python_resume_example")
