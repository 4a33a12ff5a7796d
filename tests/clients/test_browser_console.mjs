// clients.browser_console: the console page (console_enabled) in headless Chromium, as an operator uses it.
//
// The real host runs the real plugin with console_enabled and a tokens file. Debian's Chromium, driven by
// playwright-core, opens http://HOST:PORT/ and:
//   1. with a wrong token, Connect shows the server's refusal ("unauthorized: invalid token") on the page;
//   2. with the right token, connects; fills a filter (room_id, event_types with a wildcard, not_senders)
//      and subscribes; the cursor shows the subscription's epoch and sequence;
//   3. a mix of matching and non-matching events is published through the host: exactly the matching ones
//      appear in the list, newest first, with their sequences, and event text shown as text (not markup);
//      the cursor's sequence is the last one's; the counters polled by the page reach events_published;
//   4. Pause: events published meanwhile are counted, not shown, and the cursor still moves; Resume shows
//      them on top;
// with no uncaught page error. The screenshot goes to $EVENTBUS_CONSOLE_SCREENSHOT (the build directory),
// and also to docs/console.png when EVENTBUS_UPDATE_SCREENSHOT=1.
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { closeBrowserTest, launchChromium, playwrightChromium } from './chromium.mjs';
import { REPO_ROOT, EventbusHost, check, isRfc3339Utc, run, withDeadline } from './eventbus_host.mjs';

const NAME = 'clients.browser_console';
const STEP_MS = 20000;
const TOKEN = 'console-browser-token-0123456789';

const chromium = await playwrightChromium();

// The filter typed into the page, and the same written out.
const ROOM = '!ops:example.org';
const wanted = (event) => event.room_id === ROOM
  && (event.type === 'm.room.message' || event.type.startsWith('workflow.'))
  && event.sender !== '@mallory:example.org';

function event(index, type, room, sender, body) {
  return { type, room_id: room, sender, event_id: `$e${index}`, content: { msgtype: 'm.text', body } };
}

// Matching and non-matching events interleaved; one carries markup that must be shown as text.
const FEED = [
  event(1, 'm.room.message', ROOM, '@alice:example.org', 'first'),
  event(2, 'm.room.message', '!lobby:example.org', '@alice:example.org', 'other room'),
  event(3, 'workflow.started', ROOM, 'orchestrator', 'started'),
  event(4, 'm.room.member', ROOM, '@bob:example.org', 'member event'),
  event(5, 'm.room.message', ROOM, '@mallory:example.org', 'excluded sender'),
  event(6, 'm.room.message', ROOM, '@bob:example.org', '<img src=x onerror="document.title=1">'),
  event(7, 'workflow.step_completed', '!lobby:example.org', 'orchestrator', 'other room'),
  event(8, 'workflow.step_completed', ROOM, 'orchestrator', 'step done'),
];
const WHILE_PAUSED = [
  event(9, 'm.room.message', ROOM, '@alice:example.org', 'while paused 1'),
  event(10, 'm.room.topic', ROOM, '@alice:example.org', 'not matching'),
  event(11, 'm.room.message', ROOM, '@alice:example.org', 'while paused 2'),
];

let host;
let browser;
let workDir;

async function test() {
  check(FEED.filter(wanted).length === 4 && WHILE_PAUSED.filter(wanted).length === 2, 'the feed is not what the test expects');
  workDir = await mkdtemp(join(tmpdir(), 'eventbus-console-'));
  const tokens = join(workDir, 'tokens');
  await writeFile(tokens, `${TOKEN}\n`);

  host = new EventbusHost({ console_enabled: 'true', auth_tokens_file: tokens });
  const wsUrl = await host.start();
  const base = wsUrl.replace(/^ws:/, 'http:').replace(/\/events$/, '');

  browser = await launchChromium(chromium, join(workDir, 'chromium'), { viewport: { width: 1280, height: 1000 } });
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  const pageErrors = [];
  page.on('pageerror', (error) => { pageErrors.push(String(error)); });
  const text = (selector) => page.locator(selector).textContent();
  const rows = () => page.locator('#events tr').evaluateAll(
    (trs) => trs.map((tr) => [...tr.cells].map((cell) => cell.textContent)));
  // Awaits `predicate(value)` of what `read` returns, polling (the page changes on its own).
  async function until(read, predicate, what) {
    let last;
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      last = await read();
      if (predicate(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
      await page.waitForTimeout(50);  // A poll interval, not a wait for the event itself.
    }
  }

  await withDeadline(page.goto(`${base}/`), STEP_MS, 'the console page to load');
  check(await page.title() === 'ArmorClaw Event Bus console', `page title: ${await page.title()}`);

  // 1. A wrong token: the server's refusal is shown.
  await page.getByLabel('Token', { exact: true }).fill('wrong-token-0123456789abcdef');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await until(() => text('#error'), (t) => t === 'unauthorized: invalid token', 'the refusal on the page');
  await until(() => text('#status'), (t) => t.includes('close code 1008'), 'the 1008 close on the page');

  // 2. The right token (the page's ?access_token= fills the field, and leaves the address bar).
  await withDeadline(page.goto(`${base}/?access_token=${encodeURIComponent(TOKEN)}`), STEP_MS, 'the page with a token');
  check(await page.getByLabel('Token', { exact: true }).inputValue() === TOKEN, 'the token field is not filled from ?access_token=');
  check(!page.url().includes('access_token'), `the token stays in the address bar: ${page.url()}`);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await until(() => text('#status'), (t) => t.startsWith('Connected to ws://'), 'the connection');
  check(await text('#error') === '', `error shown: ${await text('#error')}`);
  await until(() => text('[data-counter="events_published"]'), (t) => t === '0', 'the counters (events_published 0)');

  await page.getByLabel('room_id').fill(ROOM);
  await page.getByLabel('event_types').fill('m.room.message\nworkflow.*');
  await page.getByLabel('not_senders').fill('@mallory:example.org');
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  await until(() => page.locator('#subscriptions li').count(), (n) => n === 1, 'the subscription in the list');
  check(/^sub-[0-9a-f]{32}$/.test(await text('#subscriptions li code')), 'subscriber id shown');
  const epoch = await text('#cursor-epoch');
  check(/^[0-9a-f]{32}$/.test(epoch), `cursor epoch after subscribe: ${epoch}`);
  check(await text('#cursor-sequence') === '0', `cursor sequence after subscribe: ${await text('#cursor-sequence')}`);

  // 3. The mixed feed: sequence i+1 for FEED[i] (nothing else is published).
  host.publish(...FEED);
  const expected = FEED.map((e, i) => ({ e, sequence: i + 1 })).filter(({ e }) => wanted(e)).reverse();
  const shown = await until(rows, (r) => r.length >= expected.length, `${expected.length} rows`);
  check(shown.length === expected.length, `rows: ${JSON.stringify(shown)}`);
  const columns = (r) => [r[0], r[2], r[3], r[4], JSON.parse(r[5])];
  const wantedColumns = expected.map(({ e, sequence }) => [String(sequence), e.type, e.room_id, e.sender, e.content]);
  check(isDeepStrictEqual(shown.map(columns), wantedColumns),
    `rows, newest first:\n  expected ${JSON.stringify(wantedColumns)}\n  actual   ${JSON.stringify(shown.map(columns))}`);
  check(shown.every((r) => isRfc3339Utc(r[1])), `received column: ${JSON.stringify(shown.map((r) => r[1]))}`);
  check(await page.locator('#events img').count() === 0, 'event content was rendered as markup');
  check(await page.title() === 'ArmorClaw Event Bus console', 'event content ran as script');
  check(await text('#cursor-sequence') === String(expected[0].sequence), `cursor sequence: ${await text('#cursor-sequence')}`);
  check(await text('#cursor-epoch') === epoch, 'the epoch changed');
  await until(() => text('[data-counter="events_published"]'), (t) => t === String(FEED.length),
    `the page's events_published to reach ${FEED.length}`);
  await until(() => text('[data-counter="deliveries"]'), (t) => t === String(expected.length),
    `the page's deliveries to reach ${expected.length}`);

  // 4. Pause: counted and the cursor moves, nothing shown; Resume shows them on top.
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  host.publish(...WHILE_PAUSED);
  const lastSequence = FEED.length + WHILE_PAUSED.length;
  await until(() => text('#cursor-sequence'), (t) => t === String(lastSequence), 'the cursor while paused');
  check(await text('#pending') === 'Paused: 2 new event(s) not shown.', `pending: ${await text('#pending')}`);
  check((await rows()).length === expected.length, 'rows were added while paused');
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  const resumed = await rows();
  check(isDeepStrictEqual(resumed.slice(0, 2).map((r) => r[0]), [String(lastSequence), String(FEED.length + 1)])
        && resumed.length === expected.length + 2, `rows after resume: ${JSON.stringify(resumed.map((r) => r[0]))}`);
  check(await text('#pending') === '', 'the pending count stays after resume');
  await until(() => text('[data-counter="events_published"]'), (t) => t === String(lastSequence),
    `the page's events_published to reach ${lastSequence}`);

  const screenshot = process.env.EVENTBUS_CONSOLE_SCREENSHOT || join(workDir, 'console.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  if (process.env.EVENTBUS_UPDATE_SCREENSHOT === '1') {
    await copyFile(screenshot, join(REPO_ROOT, 'docs', 'console.png'));
    console.log(`screenshot copied to ${join(REPO_ROOT, 'docs', 'console.png')}`);
  }
  check(pageErrors.length === 0, `uncaught page errors: ${JSON.stringify(pageErrors)}`);
  console.log(`${resumed.length} matching events of ${lastSequence} shown; screenshot ${screenshot}`);
  await host.stop();
}

async function cleanup(failed) {
  await closeBrowserTest({ browser, host, dir: workDir }, failed);
}

await run(NAME, test, { overallMs: 100000, cleanup });
