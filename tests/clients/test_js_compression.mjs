// clients.js_compression: the two JavaScript clients that offer permessage-deflate without being asked,
// Node's `ws` (the library under wscat, tests/clients/node_modules) and headless Chromium (Debian's, driven
// by playwright-core), negotiate it with the event bus and receive the 49 Matrix specification example
// events exactly as published, in order.
//
// Each client's own view of the handshake is asserted: the browser WebSocket's `extensions` must be the
// server's answer "permessage-deflate; server_no_context_takeover; client_no_context_takeover", ws's
// (which names extensions without parameters) "permessage-deflate". Compressed frames (RSV1) are a protocol error to a client that did not
// negotiate, so receiving the events proves they arrived in a form the client inflates.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import {
  NODE_MODULES, EventbusHost, check, dataLines, failSetup, run, withDeadline,
} from './eventbus_host.mjs';
import { closeBrowserTest, launchChromium, playwrightChromium } from './chromium.mjs';

const NAME = 'clients.js_compression';
const STEP_MS = 20000;
const ANSWER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
if (!existsSync(join(NODE_MODULES, 'ws'))) {
  failSetup(`${join(NODE_MODULES, 'ws')} is missing: run \`npm ci --prefix tests/clients\` from the repository root`);
}
// wscat's own copy of ws, so that this is the library wscat runs on.
const WebSocket = createRequire(join(NODE_MODULES, 'wscat', 'package.json'))('ws');
const chromium = await playwrightChromium();

const opened = {};  // host, browser, dir: what cleanup closes.

// In the page (or in Node): connects, subscribes, calls `onSubscribed` (which publishes), and resolves
// with the negotiated extensions and the first `count` event messages, parsed. `WebSocketClass` is the
// page's WebSocket or ws's.
function receive(WebSocketClass, url, count, onSubscribed) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocketClass(url);
    const events = [];
    socket.onerror = () => reject(new Error('WebSocket error'));
    socket.onclose = (close) => reject(new Error(`closed ${close.code} after ${events.length} events`));
    socket.onopen = () => socket.send(JSON.stringify({ type: 'subscribe', data: { filter: {} } }));
    socket.onmessage = (message) => {
      const parsed = JSON.parse(message.data);
      if (parsed.type === 'subscribed') {
        onSubscribed();
        return;
      }
      events.push(parsed);
      if (events.length === count) {
        socket.onclose = null;
        socket.close();
        resolve({ extensions: socket.extensions, events });
      }
    };
  });
}

function checkReceived(client, received, lines, extensions) {
  check(received.extensions === extensions,
    `${client} negotiated ${JSON.stringify(received.extensions)}, not ${JSON.stringify(extensions)}`);
  received.events.forEach((message, index) => {
    check(message.type === 'event' && isDeepStrictEqual(message.data.event, JSON.parse(lines[index])),
      `${client}: event ${index + 1} differs from line ${index + 1} of the feed: ${JSON.stringify(message)}`);
  });
}

async function test() {
  const lines = dataLines('matrix-spec-room-events.jsonl');
  // Compared verbatim, so scrubbing is off (the spec's call events carry IP addresses in their SDP).
  const host = new EventbusHost({ pii_scrubbing: 'false' });
  opened.host = host;
  const url = await host.start();

  const fromNode = receive(WebSocket, url, lines.length, () => host.publish(...lines));
  // ws's `extensions` names the extensions taken, without their parameters.
  checkReceived('ws (wscat\'s library)', await withDeadline(fromNode, STEP_MS, 'the events in Node'), lines,
    'permessage-deflate');

  opened.dir = await mkdtemp(join(tmpdir(), 'eventbus-chromium-'));
  opened.browser = await launchChromium(chromium, opened.dir);
  const { browser } = opened;
  const page = browser.pages()[0] ?? await browser.newPage();

  await page.exposeFunction('publishFeed', () => host.publish(...lines));
  const fromBrowser = page.evaluate(
    ([source, target, count]) => new Function(`return (${source})`)()(WebSocket, target, count, window.publishFeed),
    [receive.toString(), url, lines.length]);
  checkReceived('Chromium', await withDeadline(fromBrowser, STEP_MS, 'the events in Chromium'), lines, ANSWER);
  await host.stop();
  console.log(`${lines.length} events in order to ws (permessage-deflate) and to Chromium ("${ANSWER}")`);
}

await run(NAME, test, { overallMs: 120000, cleanup: (failed) => closeBrowserTest(opened, failed) });
