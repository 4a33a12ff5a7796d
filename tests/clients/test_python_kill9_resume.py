"""kill -9 of armorclaw-eventbus-host mid-stream with the durable log on, then a restart with the same
directory: every client resumes with its cursor and the same epoch and, over both runs, receives every
event exactly once and in order. Once with durable_log_fsync = interval, once with never (a process crash
loses nothing the kernel was handed, whatever the fsync policy).

Real host, real Python websockets clients, a real SIGKILL. Everything awaits what the host or a client
says; nothing sleeps.
"""

import asyncio
import json
import tempfile

import eventbus_host as eb
from eventbus_host import check, check_equal

websockets = eb.require_websockets()

CLIENTS = 5
# Events each client must have received before the kill, and events the second run publishes.
BEFORE_KILL = 300
AFTER_RESTART = 100


def event_line(number):
    return json.dumps({"type": "m.room.message", "room_id": "!ops:example.org", "sender": "@feed:example.org",
                       "event_id": f"$e{number}", "content": {"msgtype": "m.text", "body": f"event {number}"}},
                      separators=(",", ":"))


class Client:
    """One subscriber over both runs: its cursor (epoch, last sequence) and every sequence it received."""

    def __init__(self):
        self.epoch = None
        self.sequences = []
        self.received = asyncio.Event()  # Set whenever an event arrives, for waiters to look again.

    async def subscribe(self, ws, since=None):
        data = {"filter": {}}
        if since is not None:
            data["since"] = {"sequence": since, "epoch": self.epoch}
        await ws.send(json.dumps({"type": "subscribe", "data": data}))
        reply = json.loads(await eb.within(ws.recv(), 10, "subscribed"))
        check_equal(reply["type"], "subscribed", "the reply to subscribe")
        return reply["data"]

    async def read(self, ws):
        """Reads events until the connection ends (the host was killed, or the test closes it)."""
        try:
            async for text in ws:
                message = json.loads(text)
                check_equal(message["type"], "event", "a message after subscribed")
                self.sequences.append(message["data"]["sequence"])
                self.received.set()
        except websockets.exceptions.ConnectionClosed:
            pass


async def feed(host, stop):
    """Publishes events continuously until `stop` is set or the host is gone."""
    number = 0
    try:
        while not stop.is_set():
            await host.publish(*(event_line(number + i) for i in range(20)))
            number += 20
            await asyncio.sleep(0)  # Lets the clients read between bursts.
    except (BrokenPipeError, ConnectionResetError):
        pass


async def await_all(clients, condition, what, timeout=30):
    async def one(client):
        while not condition(client):
            client.received.clear()
            await client.received.wait()
    await eb.within(asyncio.gather(*(one(client) for client in clients)), timeout, what)


async def run_policy(policy):
    with tempfile.TemporaryDirectory(prefix="eventbus-kill9-") as directory:
        settings = {"enable_durable_log": "true", "durable_log_dir": f"{directory}/log",
                    "durable_log_fsync": policy, "durable_log_fsync_interval": "100ms",
                    "history_size": "50"}  # Small: most of a resume comes from disk.
        clients = [Client() for _ in range(CLIENTS)]

        # First run: subscribe, feed, and SIGKILL the host while events flow.
        async with eb.EventbusHost(settings) as host:
            sockets = [await websockets.connect(host.url, max_size=None) for _ in clients]
            for client, ws in zip(clients, sockets):
                client.epoch = (await client.subscribe(ws))["epoch"]
            check(len({client.epoch for client in clients}) == 1, "clients of one host saw different epochs")
            readers = [asyncio.create_task(client.read(ws)) for client, ws in zip(clients, sockets)]
            stop = asyncio.Event()
            feeder = asyncio.create_task(feed(host, stop))
            await await_all(clients, lambda c: len(c.sequences) >= BEFORE_KILL, f"{BEFORE_KILL} events each")
            # SIGKILL mid-stream: lines the host has not read yet wait in its standard input.
            host.process.kill()
            stop.set()
            host.returncode = await host.process.wait()
            await eb.within(asyncio.gather(*readers, feeder), 10, "the clients to see the connection end")
            for ws in sockets:
                await ws.close()
        for client in clients:
            check_equal(client.sequences, list(range(1, len(client.sequences) + 1)),
                        f"[{policy}] first run's sequences")

        # Second run, same directory: every client resumes with its cursor.
        async with eb.EventbusHost(settings) as host:
            sockets = [await websockets.connect(host.url, max_size=None) for _ in clients]
            heads = []
            for client, ws in zip(clients, sockets):
                resumed = await client.subscribe(ws, since=client.sequences[-1])
                check_equal(resumed["epoch"], client.epoch, f"[{policy}] the epoch after kill -9 and restart")
                check_equal(resumed.get("recovered"), True, f"[{policy}] recovered ({resumed})")
                heads.append(resumed["sequence"])
            check(len(set(heads)) == 1, f"heads differ before anything was published: {heads}")
            check(heads[0] >= max(client.sequences[-1] for client in clients),
                  f"the restarted log ends at {heads[0]}, before what a client received")
            readers = [asyncio.create_task(client.read(ws)) for client, ws in zip(clients, sockets)]
            await host.publish(*(event_line(100000 + i) for i in range(AFTER_RESTART)))
            final = heads[0] + AFTER_RESTART
            await await_all(clients, lambda c: c.sequences[-1] >= final, f"every client to reach {final}")
            for ws in sockets:
                await ws.close()
            await asyncio.gather(*readers)
            check("(kept)" in host.stderr_text(), f"[{policy}] the host did not log the epoch as kept")
        for index, client in enumerate(clients):
            check_equal(client.sequences, list(range(1, final + 1)),
                        f"[{policy}] client {index}: every event exactly once, in order, over both runs")
        print(f"{policy}: {CLIENTS} clients resumed across kill -9 (log recovered up to {heads[0]}), "
              f"each received 1..{final} exactly once", flush=True)


async def test():
    for policy in ("interval", "never"):
        await run_policy(policy)


if __name__ == "__main__":
    eb.run(test, "clients.python_kill9_resume", overall_timeout=90.0)
