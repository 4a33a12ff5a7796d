"""Runs armorclaw-eventbus-host for the client tests, and the few things every such test needs.

The host is started with `--set websocket_addr=127.0.0.1:0 --set ping_interval=0s` (plus the caller's
--set options) and `--events -`: it binds an ephemeral loopback port, prints exactly one stdout line
"eventbus: listening on ws://127.0.0.1:PORT/events", then publishes each JSON line written to its
standard input. SIGTERM stops it gracefully (clients get close 1001) and it exits 0.

Everything waits on something the host or a client says, each with a deadline; nothing sleeps.
Meant for Debian's /usr/bin/python3 (python3-websockets); the module itself needs only the standard
library.
"""

import asyncio
import datetime
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback

CLIENTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(CLIENTS_DIR))
DATA_DIR = os.path.join(REPO_ROOT, "tests", "data")
NODE_MODULES = os.path.join(CLIENTS_DIR, "node_modules")

LISTENING_PREFIX = "eventbus: listening on "
SUBSCRIBER_ID_RE = re.compile(r"^sub-[0-9a-f]{32}$")
EPOCH_RE = re.compile(r"^[0-9a-f]{32}$")


def subscribed_reply(reply, subscriber_id, sequence=0):
    """The exact "subscribed" reply: the guide's two fields, then the resume extension's epoch (32 hex
    digits, checked here) and sequence."""
    epoch = reply.get("data", {}).get("epoch", "")
    if not isinstance(epoch, str) or EPOCH_RE.match(epoch) is None:
        raise TestFailure(f"epoch in {reply!r} is not 32 hex digits")
    return {"type": "subscribed", "data": {"subscriber_id": subscriber_id, "message": "Subscribed successfully",
                                           "epoch": epoch, "sequence": sequence}}
# RFC 3339 in UTC, as the server writes "received": 2026-02-08T12:34:56Z or with a fraction of a second.
RFC3339_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

# Matches every filter of the client guide (room !myroom, sender @alice, type m.room.message), so that
# reading up to it proves that nothing else was delivered before it.
SENTINEL = {
    "type": "m.room.message",
    "room_id": "!myroom:example.com",
    "sender": "@alice:example.com",
    "event_id": "$sentinel",
    "content": {"msgtype": "m.text", "body": "end"},
}
SENTINEL_LINE = json.dumps(SENTINEL, separators=(",", ":"))


class TestFailure(Exception):
    """An assertion about what a client saw did not hold."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}:\n  expected: {expected!r}\n  actual:   {actual!r}")


class SetupFailure(TestFailure):
    """A missing dependency or a broken setup; the message names the fix."""


def fail_setup(message):
    """Fails the test (raises SetupFailure) with a message that names the fix."""
    raise SetupFailure(message)


def require_websockets():
    """Imports the `websockets` package, or fails the test naming the Debian package that provides it."""
    try:
        import websockets  # noqa: F401  (imported for the caller)
        import websockets.exceptions  # noqa: F401
    except ImportError as error:
        # At import time of a test, outside run(): report and exit here.
        print(f"FAIL (setup): cannot import websockets ({error}) with {sys.executable}: run "
              "`apt-get install -y python3-websockets` and run this test with /usr/bin/python3",
              file=sys.stderr, flush=True)
        sys.exit(1)
    return websockets


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command in DIRECTORY:
    the paths of the certificate and of its key."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def data_lines(name):
    """The non-empty lines of tests/data/NAME, as published (the raw text of each line)."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as file:
        return [line.rstrip("\n") for line in file if line.strip()]


def is_rfc3339_utc(text):
    if not isinstance(text, str) or not RFC3339_UTC_RE.match(text):
        return False
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.utcoffset() == datetime.timedelta(0)


def parse_rfc3339_utc(text):
    check(is_rfc3339_utc(text), f"not an RFC 3339 UTC timestamp: {text!r}")
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def json_equal(a, b):
    """Equality of JSON values: objects regardless of key order, but true/false never equal to 1/0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def host_path():
    """$EVENTBUS_HOST_BINARY (ctest sets it from CMake), else the first build/*/bin/ host."""
    path = os.environ.get("EVENTBUS_HOST_BINARY")
    if path:
        if not os.access(path, os.X_OK):
            fail_setup(f"EVENTBUS_HOST_BINARY={path} is not an executable file: build the "
                       "armorclaw-eventbus-host target")
        return path
    for candidate in sorted(glob.glob(os.path.join(REPO_ROOT, "build", "*", "bin", "armorclaw-eventbus-host"))):
        if os.access(candidate, os.X_OK):
            return candidate
    fail_setup("no armorclaw-eventbus-host: set EVENTBUS_HOST_BINARY or build the project "
               "(cmake --preset default && cmake --build --preset default)")


async def read_line(stream, deadline, what):
    """One line (without its newline) from an asyncio StreamReader; None at end of stream."""
    try:
        line = await asyncio.wait_for(stream.readline(), timeout=max(0.0, deadline - now()))
    except asyncio.TimeoutError:
        raise TestFailure(f"timed out waiting for {what}") from None
    if not line:
        return None
    return line.decode("utf-8").rstrip("\n")


async def read_client_line(client, name, timeout, what):
    """One line of a client subprocess's stdout; a TestFailure with its exit status and stderr if it ended."""
    line = await read_line(client.stdout, now() + timeout, what)
    if line is None:
        stderr = (await client.stderr.read()).decode("utf-8", "replace")
        raise TestFailure(f"{name} exited (status {await client.wait()}) while waiting for {what}:\n{stderr}")
    return line


def now():
    return asyncio.get_running_loop().time()


async def within(awaitable, timeout, what):
    """Awaits `awaitable`; a TestFailure naming `what` if it takes more than `timeout` seconds."""
    try:
        return await asyncio.wait_for(awaitable, timeout=timeout)
    except asyncio.TimeoutError:
        raise TestFailure(f"timed out after {timeout} s waiting for {what}") from None


class EventbusHost:
    """One armorclaw-eventbus-host process. Use as `async with EventbusHost() as host:`.

    On leaving the block the host is stopped with SIGTERM if the test has not stopped it already
    (and killed if it does not exit within `stop_timeout`), so no test leaves a host behind.
    """

    def __init__(self, settings=None, start_timeout=30.0, stop_timeout=15.0, arguments=()):
        self.settings = {"websocket_addr": "127.0.0.1:0", "ping_interval": "0s"}
        self.settings.update(settings or {})
        # More command-line options, before the --set ones (which override a --config file's values).
        self.arguments = list(arguments)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process = None
        self.url = None
        self.returncode = None
        self._stderr = None

    async def __aenter__(self):
        try:
            await self.start()
        except BaseException:
            await self._abort()
            raise
        return self

    async def __aexit__(self, exc_type, exc, tb):
        if self.process is not None and self.returncode is None:
            try:
                await self.stop(check_status=exc_type is None)
            except Exception:
                if exc_type is None:
                    raise
                traceback.print_exc()  # The test's own failure is the one to report.
        if exc_type is not None:
            self.print_stderr()
        self._stderr.close()
        return False

    async def start(self):
        command = [host_path(), *self.arguments]
        for key, value in self.settings.items():
            command += ["--set", f"{key}={value}"]
        command += ["--events", "-"]
        # The host logs to stderr; kept in a file so a failing test can show it.
        self._stderr = tempfile.TemporaryFile()
        # The host reads ARMORCLAW_EVENTBUS_<KEY> variables as [eventbus] keys: none reaches it.
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith("ARMORCLAW_EVENTBUS_")}
        self.process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._stderr,
            env=environment)
        deadline = now() + self.start_timeout
        line = await read_line(self.process.stdout, deadline, "the host's listening line")
        if line is None:
            self.returncode = await self.process.wait()
            raise TestFailure(f"the host exited with status {self.returncode} before listening: {command}")
        check(line.startswith(LISTENING_PREFIX), f"unexpected first stdout line of the host: {line!r}")
        self.url = line[len(LISTENING_PREFIX):]
        check(re.fullmatch(r"wss?://127\.0\.0\.1:[1-9][0-9]*/events", self.url) is not None,
              f"unexpected listening URL: {self.url!r}")
        return self.url

    async def _abort(self):
        """After a failed start: ends the host if it runs, and shows its stderr."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            self.returncode = await self.process.wait()
        self.print_stderr()
        if self._stderr is not None:
            self._stderr.close()

    async def publish(self, *lines):
        """Writes event lines (str, or dicts serialised as JSON) to the host's standard input."""
        for line in lines:
            if not isinstance(line, str):
                line = json.dumps(line, separators=(",", ":"))
            check("\n" not in line, "an event must be one line")
            self.process.stdin.write(line.encode("utf-8") + b"\n")
        await self.process.stdin.drain()

    async def stop(self, check_status=True):
        """SIGTERM, then waits for the exit; fails unless the host exits 0 in time."""
        try:
            self.process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass  # Already exited (a signal to the whole process group, say): its status tells.
        try:
            self.returncode = await asyncio.wait_for(self.process.wait(), timeout=self.stop_timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            self.returncode = await self.process.wait()
            raise TestFailure(f"the host did not exit within {self.stop_timeout} s of SIGTERM; killed") from None
        finally:
            if self.process.stdin is not None and not self.process.stdin.is_closing():
                self.process.stdin.close()
        extra = await asyncio.wait_for(self.process.stdout.read(), timeout=self.stop_timeout)
        if check_status:
            check_equal(self.returncode, 0, "the host's exit status after SIGTERM")
            check_equal(extra, b"", "the host's stdout after its listening line")

    def stderr_text(self):
        """What the host has written to its standard error so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def print_stderr(self):
        if self._stderr is None:
            return
        print("---- armorclaw-eventbus-host stderr ----", file=sys.stderr)
        print(self.stderr_text(), end="", file=sys.stderr)
        print("---- end of host stderr ----", file=sys.stderr, flush=True)


async def terminate(process, timeout=10.0):
    """Ends a client subprocess this test started (SIGTERM, then SIGKILL) if it is still running."""
    if process is None or process.returncode is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=timeout)
    except ProcessLookupError:
        pass
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()


def run(test, name, overall_timeout=60.0):
    """Runs the coroutine function `test` under an overall deadline; exits 0 on success, 1 otherwise."""
    async def main():
        # SIGTERM (ctest's timeout, say) or SIGINT cancels the test, so its host and clients are still
        # stopped on the way out.
        task = asyncio.current_task()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signal_number, task.cancel)
        await asyncio.wait_for(test(), timeout=overall_timeout)

    try:
        asyncio.run(main())
    except SetupFailure as failure:
        print(f"FAIL (setup) {name}: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except TestFailure as failure:
        print(f"FAIL {name}: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except asyncio.TimeoutError:
        print(f"FAIL {name}: not finished within the overall deadline of {overall_timeout} s",
              file=sys.stderr, flush=True)
        sys.exit(1)
    except asyncio.CancelledError:
        print(f"FAIL {name}: interrupted by a signal", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception:  # noqa: BLE001  (any other error fails the test with its traceback)
        traceback.print_exc()
        print(f"FAIL {name}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"PASS {name}", flush=True)
