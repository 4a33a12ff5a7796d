# The Python client example of the ArmorClaw "WebSocket Client Guide", version 1.0.0 (2026-02-08), section
# "Client Examples" > "Python Client", copied verbatim with one change: the URI comes from the command
# line (sys.argv[1]) instead of the guide's fixed "ws://localhost:8444/events", because the tests run the
# server on an ephemeral port. That change is the two lines marked "changed:" below.
# Run: /usr/bin/python3 -u python_client.py ws://127.0.0.1:PORT/events
# Tested by tests/clients/test_python_guide_example.py (ctest clients.python_guide_example).
import sys  # changed: added, for the URI from the command line
import asyncio
import json
import websockets
from datetime import datetime

async def subscribe_to_events():
    uri = sys.argv[1]  # changed: was "ws://localhost:8444/events"

    async with websockets.connect(uri) as websocket:
        # Subscribe to events from a specific room
        subscribe_msg = {
            "type": "subscribe",
            "data": {
                "filter": {
                    "room_id": "!myroom:example.com",
                    "event_types": ["m.room.message"]
                }
            }
        }

        await websocket.send(json.dumps(subscribe_msg))
        print(f"Subscribed: {await websocket.recv()}")

        # Receive events
        while True:
            try:
                message = await websocket.recv()
                data = json.loads(message)

                if data["type"] == "event":
                    event = data["data"]["event"]
                    received = data["data"]["received"]

                    print(f"[{received}] {event['sender']}: {event['content'].get('body', '')}")

                elif data["type"] == "error":
                    print(f"Error: {data['data']['message']}")
                    break

            except websockets.exceptions.ConnectionClosed:
                print("Connection closed")
                break

asyncio.run(subscribe_to_events())
