#!/usr/bin/python3
"""clients.go_gorilla_compression: the Go gorilla/websocket client (Debian's
golang-github-gorilla-websocket-dev) with EnableCompression negotiates permessage-deflate with the event
bus, sends its subscribe compressed, and receives the 49 Matrix specification example events exactly as
published, in order: over ws://, then over wss:// with a certificate made by the test (and trusted by the
client alone).

gorilla_client/ is built with `go build` (nothing downloaded: its go.mod points at Debian's copy). Its
first output line is the 101's Sec-WebSocket-Extensions, which must be the bus's answer; then come the
"subscribed" reply and one line per event. When the host stops, the client must exit 0 (close 1001) with
nothing on standard error: a frame gorilla could not inflate would have ended it with status 1.
"""

import asyncio
import json
import os
import shutil
import tempfile

import eventbus_host as eb
from eventbus_host import check, check_equal

ANSWER = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
GORILLA = "/usr/share/gocode/src/github.com/gorilla/websocket"
LINE_TIMEOUT = 20.0


async def build_client(directory):
    go = shutil.which("go")
    if go is None:
        eb.fail_setup("go is not on PATH: apt-get install -y golang-go (or scripts/dev.sh deps)")
    if not os.path.isdir(GORILLA):
        eb.fail_setup(f"{GORILLA} is missing: apt-get install -y golang-github-gorilla-websocket-dev")
    binary = os.path.join(directory, "gorilla_client")
    environment = dict(os.environ, GOPROXY="off", GOTOOLCHAIN="local", GOFLAGS="-mod=mod",
                       GOCACHE=os.environ.get("GOCACHE", os.path.join(directory, "go-cache")))
    build = await asyncio.create_subprocess_exec(
        go, "build", "-o", binary, ".", cwd=os.path.join(eb.CLIENTS_DIR, "gorilla_client"), env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = await eb.within(build.communicate(), 240, "go build of gorilla_client")
    check_equal(build.returncode, 0, f"go build of gorilla_client:\n{output[0].decode()}")
    return binary


async def receive_feed(binary, lines, settings, client_arguments):
    """One host with `settings`, one gorilla_client run with `client_arguments` after the URL."""
    async with eb.EventbusHost(settings) as host:
        client = await asyncio.create_subprocess_exec(
            binary, host.url, *client_arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            async def next_line(what):
                return await eb.read_client_line(client, f"gorilla_client of {host.url}", LINE_TIMEOUT, what)

            check_equal(await next_line("the extension answer"), ANSWER, "the 101's Sec-WebSocket-Extensions")
            reply = json.loads(await next_line("the subscribed reply"))
            check_equal(reply.get("type"), "subscribed", "reply to the compressed subscribe")
            await host.publish(*lines)
            for index, line in enumerate(lines):
                message = json.loads(await next_line(f"event {index + 1}"))
                check(eb.json_equal(message["data"]["event"], json.loads(line)),
                      f"event {index + 1} from {host.url} differs from line {index + 1} of the feed: {message!r}")
            await host.stop()
            rest = await eb.within(client.stdout.read(), LINE_TIMEOUT, "the end of gorilla_client's output")
            check_equal(rest.decode("utf-8", "replace"), "", "gorilla_client's output after the events")
            status = await eb.within(client.wait(), LINE_TIMEOUT, "gorilla_client to exit")
            stderr = (await client.stderr.read()).decode("utf-8", "replace")
            check_equal((status, stderr), (0, ""), "gorilla_client's exit status and stderr")
            return host.url
        finally:
            await eb.terminate(client)


async def test():
    lines = eb.data_lines("matrix-spec-room-events.jsonl")
    with tempfile.TemporaryDirectory() as directory:
        binary = await build_client(directory)
        cert, key = eb.make_certificate(directory)
        # Compared verbatim, so scrubbing is off (the spec's call events carry IP addresses in their SDP).
        plain = await receive_feed(binary, lines, {"pii_scrubbing": "false"}, ())
        check(plain.startswith("ws://"), f"listening URL {plain!r} is not ws://")
        tls = await receive_feed(binary, lines, {"pii_scrubbing": "false", "tls_cert_file": cert, "tls_key_file": key},
                                 (cert,))
        check(tls.startswith("wss://"), f"listening URL {tls!r} is not wss://")
    print(f"{len(lines)} events in order to gorilla over ws:// and wss:// with \"{ANSWER}\"", flush=True)


if __name__ == "__main__":
    eb.run(test, "clients.go_gorilla_compression", overall_timeout=300.0)
