// clients.browser_guide_example: the client guide's browser example, in headless Chromium.
//
// guide_examples/browser_client.html holds the guide's JavaScript verbatim (only its URL comes from the
// page's ?url= query). Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_EXECUTABLE), driven by
// playwright-core, opens the page from a file:// URL; the page's own WebSocket connects to the host.
// Its filter is event_types ["m.room.message"]. Asserted from the browser console, message by message:
//   1. log "Subscribed:" <sub-32 hex>, before anything is published;
//   2. then, after the mixed feed and a sentinel are published, one log "Event received:" {type, sender,
//      room, content, received} per m.room.message event of the feed, in order, then the sentinel's;
//   3. when the host stops, log "Connection closed";
// and nothing else: no other console message, no error, no uncaught exception.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';

import {
  CLIENTS_DIR, NODE_MODULES, SENTINEL, SENTINEL_LINE, SUBSCRIBER_ID_RE, EventbusHost, check, closeBrowserTest,
  dataLines, failSetup, isRfc3339Utc, launchHeadlessChromium, run, withDeadline,
} from './eventbus_host.mjs';

const NAME = 'clients.browser_guide_example';
const STEP_MS = 20000;
const PAGE = join(CLIENTS_DIR, 'guide_examples', 'browser_client.html');
const CHROMIUM = process.env.CHROMIUM_EXECUTABLE || '/usr/bin/chromium';

if (!existsSync(join(NODE_MODULES, 'playwright-core'))) {
  failSetup(`${join(NODE_MODULES, 'playwright-core')} is missing: run \`npm ci --prefix tests/clients\` from the repository root`);
}
if (!existsSync(CHROMIUM)) {
  failSetup(`no Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_EXECUTABLE)`);
}
const { chromium } = await import('playwright-core');

const wanted = (event) => event.type === 'm.room.message';  // The example's filter, written out.

const opened = {};  // host, browser, userDataDir: what cleanup closes.

async function test() {
  const feed = dataLines('mixed-feed.jsonl');
  const expectedEvents = [...feed.map((line) => JSON.parse(line)).filter(wanted), SENTINEL];
  check(expectedEvents.length > 2, 'the mixed feed should have m.room.message events');

  const host = new EventbusHost();
  opened.host = host;
  const url = await host.start();

  Object.assign(opened, await launchHeadlessChromium(chromium, CHROMIUM));
  const context = opened.browser;
  const page = context.pages()[0] ?? await context.newPage();

  // Every console message in order, with its arguments as JSON values; waiters are woken on each.
  const messages = [];
  const pageErrors = [];
  let wake = () => {};
  page.on('console', (message) => {
    messages.push({
      type: message.type(),
      args: Promise.all(message.args().map((handle) => handle.jsonValue()))
        .catch((error) => [`<arguments unreadable: ${error.message}>`]),
    });
    wake();
  });
  page.on('pageerror', (error) => { pageErrors.push(String(error)); wake(); });

  // Awaits console message number `index` (0-based) and returns {type, args}.
  async function consoleMessage(index, what) {
    while (messages.length <= index) {
      await withDeadline(new Promise((resolve) => { wake = resolve; }), STEP_MS, what);
    }
    return { type: messages[index].type, args: await withDeadline(messages[index].args, STEP_MS, what) };
  }
  const described = async (upTo) => JSON.stringify(
    await Promise.all(messages.slice(0, upTo).map(async (m) => ({ type: m.type, args: await m.args }))));

  const pageUrl = `${pathToFileURL(PAGE).href}?url=${encodeURIComponent(url)}`;
  await withDeadline(page.goto(pageUrl), STEP_MS, `the page ${pageUrl} to load`);

  const subscribed = await consoleMessage(0, 'console "Subscribed:"');
  check(subscribed.type === 'log' && subscribed.args.length === 2 && subscribed.args[0] === 'Subscribed:'
        && SUBSCRIBER_ID_RE.test(subscribed.args[1]),
  `first console message should be log "Subscribed:" sub-<32 hex>, was ${JSON.stringify(subscribed)}`);

  host.publish(...feed, SENTINEL_LINE);
  // Every console message up to the sentinel's "Event received:", which comes last if all is well.
  const shown = [];
  const isSentinel = (m) => m.args[0] === 'Event received:' && m.args[1]?.content?.body === SENTINEL.content.body;
  while (shown.length === 0 || !isSentinel(shown.at(-1))) {
    shown.push(await consoleMessage(1 + shown.length, `the sentinel's "Event received:" (got ${JSON.stringify(shown)})`));
  }
  // The example shows {type, sender, room, content, received}: all but "received" known in advance.
  const expected = expectedEvents.map((event, index) => ({
    type: 'log',
    args: ['Event received:', {
      type: event.type, sender: event.sender, room: event.room_id, content: event.content,
      received: shown[index]?.args[1]?.received,
    }],
  }));
  check(isDeepStrictEqual(shown, expected),
    `console after "Subscribed:":\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(shown)}`);
  for (const message of shown) {
    check(isRfc3339Utc(message.args[1].received), `received in ${JSON.stringify(message)} is not RFC 3339 UTC`);
  }

  await host.stop();
  const closedIndex = 1 + expectedEvents.length;
  const closed = await consoleMessage(closedIndex, 'console "Connection closed" after the host stopped');
  check(closed.type === 'log' && isDeepStrictEqual(closed.args, ['Connection closed']),
    `after the sentinel the console should show only log "Connection closed", was ${JSON.stringify(closed)}`);

  // Nothing after it either: the page is idle once closed, so anything pending shows by a round trip.
  await withDeadline(page.evaluate(() => true), STEP_MS, 'a round trip to the page');
  check(messages.length === closedIndex + 1,
    `extra console messages: ${await described(messages.length)}`);
  check(pageErrors.length === 0, `uncaught page errors: ${JSON.stringify(pageErrors)}`);

  console.log(await described(messages.length));
  console.log(`${expectedEvents.length} events shown in order between "Subscribed:" and "Connection closed"`);
}

await run(NAME, test, { overallMs: 90000, cleanup: (failed) => closeBrowserTest(opened, failed) });
