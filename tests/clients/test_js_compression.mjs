// clients.js_compression: the two JavaScript clients that offer permessage-deflate without being asked,
// Node's `ws` (the library under wscat, tests/clients/node_modules) and headless Chromium (Debian's, driven
// by playwright-core), negotiate it with the event bus and receive the 49 Matrix specification example
// events exactly as published, in order: over ws://, then over wss:// with a certificate made by the test
// (ws trusts it as its only CA; the browser is told to accept it).
//
// Each client's own view of the handshake is asserted: the browser WebSocket's `extensions` must be the
// server's answer "permessage-deflate; server_no_context_takeover; client_no_context_takeover", ws's
// (which names extensions without parameters) "permessage-deflate". Compressed frames (RSV1) are a protocol error to a client that did not
// negotiate, so receiving the events proves they arrived in a form the client inflates.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import {
  NODE_MODULES, EventbusHost, check, dataLines, failSetup, makeCertificate, run, withDeadline,
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

// One host with `settings`: ws (made by `makeWebSocket`) then the browser's page receive the feed.
async function receiveFeed(settings, lines, page, makeWebSocket) {
  // Compared verbatim, so scrubbing is off (the spec's call events carry IP addresses in their SDP).
  const host = new EventbusHost({ pii_scrubbing: 'false', ...settings });
  opened.host = host;
  const url = await host.start();

  const fromNode = receive(makeWebSocket, url, lines.length, () => host.publish(...lines));
  // ws's `extensions` names the extensions taken, without their parameters.
  checkReceived(`ws (wscat's library) at ${url}`, await withDeadline(fromNode, STEP_MS, `the events in Node from ${url}`),
    lines, 'permessage-deflate');

  const fromBrowser = page.evaluate(
    ([source, target, count]) => new Function(`return (${source})`)()(WebSocket, target, count, window.publishFeed),
    [receive.toString(), url, lines.length]);
  checkReceived(`Chromium at ${url}`, await withDeadline(fromBrowser, STEP_MS, `the events in Chromium from ${url}`),
    lines, ANSWER);
  await host.stop();
  opened.host = null;
  return url;
}

async function test() {
  const lines = dataLines('matrix-spec-room-events.jsonl');
  opened.dir = await mkdtemp(join(tmpdir(), 'eventbus-chromium-'));
  const { cert, key } = makeCertificate(opened.dir);
  // The browser accepts the test's certificate; ws trusts it as its only CA.
  opened.browser = await launchChromium(chromium, join(opened.dir, 'profile'), { ignoreHTTPSErrors: true });
  const { browser } = opened;
  const page = browser.pages()[0] ?? await browser.newPage();
  await page.exposeFunction('publishFeed', () => opened.host.publish(...lines));

  const plain = await receiveFeed({}, lines, page, WebSocket);
  check(plain.startsWith('ws://'), `listening URL ${plain} is not ws://`);
  const ca = readFileSync(cert);
  class TrustingWebSocket extends WebSocket {
    constructor(target) { super(target, { ca }); }
  }
  const tls = await receiveFeed({ tls_cert_file: cert, tls_key_file: key }, lines, page, TrustingWebSocket);
  check(tls.startsWith('wss://'), `listening URL ${tls} is not wss://`);
  console.log(`${lines.length} events in order to ws (permessage-deflate) and to Chromium ("${ANSWER}"), `
    + 'over ws:// and over wss://');
}

await run(NAME, test, { overallMs: 120000, cleanup: (failed) => closeBrowserTest(opened, failed) });
