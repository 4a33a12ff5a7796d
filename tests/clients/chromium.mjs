// What the Chromium tests share: Debian's Chromium ($CHROMIUM_EXECUTABLE, else /usr/bin/chromium) driven
// by playwright-core from tests/clients/node_modules, launched headless with a profile of its own, and the
// cleanup that runs on every exit path.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { NODE_MODULES, failSetup } from './eventbus_host.mjs';

const CHROMIUM = process.env.CHROMIUM_EXECUTABLE || '/usr/bin/chromium';

// Playwright's chromium, or a setup failure naming what to install.
export async function playwrightChromium() {
  if (!existsSync(join(NODE_MODULES, 'playwright-core'))) {
    failSetup(`${join(NODE_MODULES, 'playwright-core')} is missing: run \`npm ci --prefix tests/clients\` from the repository root`);
  }
  if (!existsSync(CHROMIUM)) {
    failSetup(`no Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_EXECUTABLE)`);
  }
  return (await import('playwright-core')).chromium;
}

// A headless browser context with its profile in `userDataDir`; `options` adds to Playwright's.
export function launchChromium(chromium, userDataDir, options = {}) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,  // Adds --no-sandbox: this runs as root.
    timeout: 60000,
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    ...options,
  });
}

// For run()'s cleanup: closes the browser, stops the host (printing its stderr when the test failed) and
// removes `dir`; each only if it was made.
export async function closeBrowserTest({ browser, host, dir }, failed) {
  if (browser) await browser.close().catch((error) => console.error(`closing Chromium: ${error.message}`));
  if (host) {
    await host.ensureStopped();
    if (failed) process.stderr.write(`---- armorclaw-eventbus-host stderr ----\n${host.stderr}---- end ----\n`);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}
