// The Node.js twin of eventbus_host.py, for the tests driven from Node (the browser test): runs
// armorclaw-eventbus-host with `--set websocket_addr=127.0.0.1:0 --set ping_interval=0s` (plus the
// caller's settings) and `--events -`, awaits its one stdout line "eventbus: listening on URL", writes
// event lines to its standard input and stops it with SIGTERM, expecting exit status 0. Every wait has
// a deadline; nothing sleeps.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENTS_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(dirname(CLIENTS_DIR));
export const DATA_DIR = join(REPO_ROOT, 'tests', 'data');
export const NODE_MODULES = join(CLIENTS_DIR, 'node_modules');

export const SUBSCRIBER_ID_RE = /^sub-[0-9a-f]{32}$/;
export const RFC3339_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

// Matches every filter of the client guide, so that reading up to it proves nothing else came before.
export const SENTINEL = {
  type: 'm.room.message',
  room_id: '!myroom:example.com',
  sender: '@alice:example.com',
  event_id: '$sentinel',
  content: { msgtype: 'm.text', body: 'end' },
};
export const SENTINEL_LINE = JSON.stringify(SENTINEL);

export class TestFailure extends Error {}

export function check(condition, message) {
  if (!condition) throw new TestFailure(message);
}

// A missing dependency found before the test starts anything: the test fails, naming the fix.
export function failSetup(message) {
  console.error(`FAIL (setup): ${message}`);
  process.exit(1);
}

// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command in `directory`
// (as eventbus_host.py's make_certificate): the paths of the certificate and of its key.
export function makeCertificate(directory) {
  const cert = join(directory, 'cert.pem');
  const key = join(directory, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  { stdio: 'ignore', timeout: 60000 });
  return { cert, key };
}

export function dataLines(name) {
  return readFileSync(join(DATA_DIR, name), 'utf8').split('\n').filter((line) => line.trim() !== '');
}

export function isRfc3339Utc(text) {
  return typeof text === 'string' && RFC3339_UTC_RE.test(text) && !Number.isNaN(Date.parse(text));
}

// Rejects with "timed out waiting for WHAT" unless `promise` settles within `ms`.
export function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TestFailure(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// $EVENTBUS_HOST_BINARY (ctest sets it from CMake), else the first build/*/bin/ host.
export function hostPath() {
  const fromEnvironment = process.env.EVENTBUS_HOST_BINARY;
  if (fromEnvironment) {
    if (!isExecutable(fromEnvironment)) {
      throw new TestFailure(`(setup) EVENTBUS_HOST_BINARY=${fromEnvironment} is not an executable file: build the armorclaw-eventbus-host target`);
    }
    return fromEnvironment;
  }
  const buildDir = join(REPO_ROOT, 'build');
  const candidates = existsSync(buildDir) ? readdirSync(buildDir).sort() : [];
  for (const preset of candidates) {
    const candidate = join(buildDir, preset, 'bin', 'armorclaw-eventbus-host');
    if (isExecutable(candidate)) return candidate;
  }
  throw new TestFailure('(setup) no armorclaw-eventbus-host: set EVENTBUS_HOST_BINARY or build the project');
}

export class EventbusHost {
  constructor(settings = {}) {
    this.settings = { websocket_addr: '127.0.0.1:0', ping_interval: '0s', ...settings };
    this.stderr = '';
    this.url = null;
    this.exitStatus = null;
  }

  async start(timeoutMs = 30000) {
    const args = [];
    for (const [key, value] of Object.entries(this.settings)) args.push('--set', `${key}=${value}`);
    args.push('--events', '-');
    // The host reads ARMORCLAW_EVENTBUS_<KEY> variables as [eventbus] keys: none reaches it, so only the
    // settings count.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('ARMORCLAW_EVENTBUS_')));
    this.process = spawn(hostPath(), args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exitStatus = signal ? `signal ${signal}` : code;
        resolve(this.exitStatus);
      });
    });
    this.process.stderr.setEncoding('utf8').on('data', (chunk) => { this.stderr += chunk; });
    let stdout = '';
    this.extraStdout = '';
    const listening = new Promise((resolve, reject) => {
      this.process.stdout.setEncoding('utf8').on('data', (chunk) => {
        if (this.url !== null) {
          this.extraStdout += chunk;
          return;
        }
        stdout += chunk;
        const newline = stdout.indexOf('\n');
        if (newline < 0) return;
        const line = stdout.slice(0, newline);
        this.extraStdout = stdout.slice(newline + 1);
        const match = /^eventbus: listening on (wss?:\/\/127\.0\.0\.1:[1-9][0-9]*\/events)$/.exec(line);
        if (!match) {
          reject(new TestFailure(`unexpected first stdout line of the host: ${JSON.stringify(line)}`));
          return;
        }
        this.url = match[1];
        resolve(this.url);
      });
      this.process.on('error', (error) => reject(new TestFailure(`cannot run the host: ${error.message}`)));
      this.exited.then((status) => reject(new TestFailure(`the host exited (${status}) before listening`)));
    });
    return withDeadline(listening, timeoutMs, "the host's listening line");
  }

  publish(...lines) {
    for (const line of lines) {
      const text = typeof line === 'string' ? line : JSON.stringify(line);
      check(!text.includes('\n'), 'an event must be one line');
      this.process.stdin.write(`${text}\n`);
    }
  }

  // SIGTERM, then awaits the exit: fails unless the host exits 0 in time (and kills it if it does not).
  async stop(timeoutMs = 15000) {
    if (this.exitStatus === null) this.process.kill('SIGTERM');
    try {
      await withDeadline(this.exited, timeoutMs, 'the host to exit after SIGTERM');
    } catch (error) {
      this.process.kill('SIGKILL');
      await this.exited;
      throw error;
    }
    this.process.stdin.destroy();
    check(this.exitStatus === 0, `the host's exit status after SIGTERM is ${this.exitStatus}, expected 0`);
    check(this.extraStdout === '', `the host printed more on stdout: ${JSON.stringify(this.extraStdout)}`);
  }

  // For `finally`: stops the host if it still runs, never throwing over the test's own failure.
  async ensureStopped() {
    if (!this.process || this.exitStatus !== null) return;
    this.process.kill('SIGTERM');
    try {
      await withDeadline(this.exited, 15000, 'the host to exit after SIGTERM');
    } catch {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}

// Runs `test` under an overall deadline; prints PASS/FAIL and sets the exit status. `cleanup` runs on
// every path, the deadline's included.
export async function run(name, test, { overallMs = 60000, cleanup = async () => {} } = {}) {
  let failed = false;
  // SIGTERM (ctest's timeout, say) or SIGINT: still stop the host and the browser on the way out.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, async () => {
      console.error(`FAIL ${name}: interrupted by ${signal}`);
      await withDeadline(cleanup(true), 30000, 'cleanup').catch(() => {});
      process.exit(1);
    });
  }
  try {
    await withDeadline(test(), overallMs, `the whole test (overall deadline)`);
  } catch (error) {
    failed = true;
    console.error(error instanceof TestFailure ? `FAIL ${name}: ${error.message}` : error);
  }
  try {
    await withDeadline(cleanup(failed), 30000, 'cleanup');
  } catch (error) {
    failed = true;
    console.error(`FAIL ${name}: cleanup: ${error.message ?? error}`);
  }
  if (failed) {
    console.error(`FAIL ${name}`);
    process.exit(1);
  }
  console.log(`PASS ${name}`);
  process.exit(0);
}
