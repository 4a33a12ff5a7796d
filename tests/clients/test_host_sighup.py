#!/usr/bin/python3
"""clients.host_sighup: armorclaw-eventbus-host reloads its config file on SIGHUP (ABI 1.1 reconfigure).

The host runs with --config FILE holding max_subscriptions_per_connection = 3. A Python websockets client
subscribes once. FILE is rewritten with max_subscriptions_per_connection = 1 and the host gets SIGHUP:
it logs "received SIGHUP, configuration reloaded", the same connection's next subscribe is refused with
too_many_subscriptions, and it still receives events. Then FILE names another websocket_path, which
takes a restart: after SIGHUP the host logs that the configuration was not reloaded, naming
websocket_path, and goes on serving on the old path with the limit of 1 still in force.
"""

import asyncio
import json
import os
import signal
import tempfile

import eventbus_host as eb
from eventbus_host import check_equal

websockets = eb.require_websockets()
TIMEOUT = 20.0


async def await_stderr(host, text):
    """Waits (bounded) until the host's stderr holds `text`: the line the SIGHUP handling logs."""
    deadline = eb.now() + TIMEOUT
    while text not in host.stderr_text():
        if eb.now() > deadline:
            raise eb.TestFailure(f"the host did not log {text!r} within {TIMEOUT} s")
        await asyncio.sleep(0.05)


async def reply(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def test():
    with tempfile.TemporaryDirectory() as directory:
        config = os.path.join(directory, "config.toml")

        def write_config(body):
            with open(config + ".new", "w", encoding="utf-8") as out:
                out.write("[eventbus]\n" + body)
            os.replace(config + ".new", config)

        write_config("max_subscriptions_per_connection = 3\n")
        async with eb.EventbusHost(arguments=["--config", config]) as host:
            async with websockets.connect(host.url, open_timeout=TIMEOUT, close_timeout=10) as ws:
                subscribe = json.dumps({"type": "subscribe", "data": {}})
                await ws.send(subscribe)
                check_equal((await reply(ws))["type"], "subscribed", "the first subscribe's reply")

                write_config("max_subscriptions_per_connection = 1\n")
                host.process.send_signal(signal.SIGHUP)
                await await_stderr(host, "eventbus-host: received SIGHUP, configuration reloaded")
                await ws.send(subscribe)
                refused = await reply(ws)
                check_equal(refused.get("data", {}).get("code"), "too_many_subscriptions", f"the reply {refused!r}")

                write_config('max_subscriptions_per_connection = 1\nwebsocket_path = "/elsewhere"\n')
                host.process.send_signal(signal.SIGHUP)
                await await_stderr(host, "configuration not reloaded (the running one stays): reconfigure: "
                                         "websocket_path cannot change without a restart")
                # The host goes on: the open connection still gets events, the old path still serves.
                await host.publish(eb.SENTINEL)
                event = await reply(ws)
                check_equal(event["data"]["event"]["event_id"], "$sentinel", "the event after the refused reload")
                async with websockets.connect(host.url, open_timeout=TIMEOUT, close_timeout=10) as again:
                    await again.send(subscribe)
                    check_equal((await reply(again))["type"], "subscribed", "a new connection on the old path")
                    await again.send(subscribe)
                    check_equal((await reply(again)).get("data", {}).get("code"), "too_many_subscriptions",
                                "the limit of the last reload, still in force")


if __name__ == "__main__":
    eb.run(test, "clients.host_sighup")
