// Shared helpers of the browser tests (e2e.mjs, incidents.mjs): reporting
// (check/assert and the final "N passed, M failed" line), starting and
// stopping a throw-away `sitrep serve`, Chromium, and a few page helpers.
//
// `runSuite()` does the common set-up (binary check, temporary folder, free
// port, `sitrep user add`, `sitrep serve`, Chromium), runs the script's body,
// cleans up and prints the summary. When BROWSER_TOTALS_FILE is set (run.sh
// sets it) the script appends "<script> <passed> <failed>" to that file and
// prefixes its own summary with the script's name, so that run.sh can print
// the single combined "N passed, M failed" line at the very end.

import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, access, appendFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const SITREP_BIN = path.resolve(process.env.SITREP_BIN || path.join(here, '..', '..', 'target', 'debug', 'sitrep'));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SHOTS = path.join(here, 'screenshots');
export const PASSWORD = 'correct horse battery';
export const ACTION_TIMEOUT_MS = 10_000;
export const HEALTH_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------- reporting

let passed = 0;
let failed = 0;

export class Fatal extends Error {}

/** Runs one check; prints "ok" or "FAIL" with the reason. A failed `fatal` check stops the run. */
export async function check(name, fn, { fatal = false } = {}) {
  try {
    const detail = await fn();
    passed += 1;
    console.log(`ok   - ${name}${detail ? ` (${detail})` : ''}`);
    return true;
  } catch (err) {
    failed += 1;
    const reason = String(err?.message ?? err).split('\n').slice(0, 6).join('\n       ');
    console.log(`FAIL - ${name}\n       ${reason}`);
    if (fatal) throw new Fatal(name);
    return false;
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// ---------------------------------------------------------------- server

/** A port that was free on the loopback interface a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The inherited environment without SITREP_* settings (so a developer's own config cannot leak in), plus `extra`. */
export function sitrepEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SITREP_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `sitrep args...` to completion with `input` on stdin; rejects on a non-zero exit. */
export function runSitrep(args, { env, cwd, input }) {
  return new Promise((resolve, reject) => {
    const child = spawn(SITREP_BIN, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`sitrep ${args.join(' ')} exited with ${code ?? signal}: ${output.trim()}`));
    });
    child.stdin.end(input);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET /healthz until it answers 200, the server exits, or the time is up. */
export async function waitForHealth(base, server) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`sitrep serve exited early (${server.exitCode ?? server.signalCode})`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(200);
  }
  throw new Error(`GET /healthz did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export function stopServer(server) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
    server.once('exit', () => { clearTimeout(timer); resolve(); });
    server.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------- page helpers

export const pathOf = (page) => new URL(page.url()).pathname;

export async function noHorizontalOverflow(page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert(scrollWidth <= innerWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px window (horizontal scrolling)`);
  return `scrollWidth ${scrollWidth} <= ${innerWidth}`;
}

/**
 * What a screenshot is meant to show is really on screen: `locator` is
 * visible, has a size, and lies inside the window's width (not cut off at the
 * right or pushed off to the left). Resolves to its bounding box.
 */
export async function shownInWidth(page, locator, what) {
  await locator.waitFor({ state: 'visible' });
  const box = await locator.boundingBox();
  assert(box && box.width > 0 && box.height > 0, `${what} has no size on screen`);
  const innerWidth = await page.evaluate(() => window.innerWidth);
  assert(box.x >= 0 && box.x + box.width <= innerWidth + 0.5,
    `${what} spans x ${Math.round(box.x)}..${Math.round(box.x + box.width)} in a ${innerWidth}px window`);
  return box;
}

export async function bannerText(page) {
  const banner = page.locator('section[aria-label="Overall status"]');
  await banner.waitFor({ state: 'visible' });
  return (await banner.innerText()).trim();
}

export async function signIn(page, email) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/admin/login');
}

/** The console's notice after a redirect (role="status"). */
export async function expectNotice(page, text) {
  const notice = page.locator('.notice[role="status"]');
  await notice.waitFor({ state: 'visible' });
  const shown = (await notice.innerText()).trim();
  assert(shown.includes(text), `notice reads ${JSON.stringify(shown)}, expected it to contain ${JSON.stringify(text)}`);
}

export async function createComponent(page, { name, group, audience }) {
  await page.goto('/admin');
  await page.getByRole('link', { name: 'New component', exact: true }).click();
  await page.waitForURL('**/admin/components/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (group) await page.getByLabel('Group').selectOption({ label: group });
  if (audience) await page.getByLabel('Audience').selectOption(audience);
  await page.getByRole('button', { name: 'Create component' }).click();
  await page.waitForURL((url) => url.pathname === '/admin' && url.searchParams.get('done') === 'component-created');
  await expectNotice(page, 'Component created');
}

/**
 * Collects console errors and uncaught exceptions of every page in a context.
 * `expected(page, msg)` may return true for a console error the script causes on purpose.
 */
export function watchErrors(context, label, sink, expected = () => false) {
  context.on('page', (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      if (expected(page, msg)) return;
      sink.push(`${label} ${page.url()}: console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => sink.push(`${label} ${page.url()}: uncaught ${err.message}`));
  });
}

// ---------------------------------------------------------------- the run

/**
 * The common frame of a browser test script.
 *   tmpPrefix   prefix of the temporary folder (database, mail)
 *   users       [[email, role], ...] created with `sitrep user add` before the server starts
 *   usersCheck  the name of that check
 *   expectedConsoleError(page, msg)  see watchErrors
 *   body(h)     the script's checks; h = { base, env, tmp, browser, newContext, browserErrors }
 */
export async function runSuite({ tmpPrefix, users, usersCheck, expectedConsoleError }, body) {
  let tmp;
  let server;
  let serverLog = '';
  let browser;
  const browserErrors = [];

  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
  };
  const onSignal = (signal) => {
    console.log(`\ninterrupted by ${signal}; cleaning up`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // ------------------------------------------------------------ set-up
    await check('sitrep binary and chromium are present', async () => {
      await access(SITREP_BIN, fsConstants.X_OK).catch(() => { throw new Error(`no executable at ${SITREP_BIN} (set SITREP_BIN)`); });
      await access(CHROMIUM, fsConstants.X_OK).catch(() => { throw new Error(`no executable at ${CHROMIUM}`); });
      return SITREP_BIN;
    }, { fatal: true });

    tmp = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
    await mkdir(SHOTS, { recursive: true });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = sitrepEnv({
      SITREP_DATABASE_URL: `sqlite://${tmp}/sitrep.db`,
      SITREP_LISTEN: `127.0.0.1:${port}`,
      SITREP_MAIL_DIR: `${tmp}/mail`,
    });

    await check(usersCheck, async () => {
      for (const [email, role] of users) {
        await runSitrep(['user', 'add', '--email', email, '--role', role, '--password-stdin'], { env, cwd: tmp, input: `${PASSWORD}\n` });
      }
    }, { fatal: true });

    await check(`sitrep serve answers GET /healthz on ${base}`, async () => {
      server = spawn(SITREP_BIN, ['serve'], { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (d) => { serverLog = (serverLog + d).slice(-20_000); };
      server.stdout.on('data', keep);
      server.stderr.on('data', keep);
      await waitForHealth(base, server);
    }, { fatal: true });

    await check('chromium starts', async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      return `Chromium ${browser.version()}`;
    }, { fatal: true });

    const newContext = async (label, options = {}) => {
      const context = await browser.newContext({ baseURL: base, ...options });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
      watchErrors(context, label, browserErrors, expectedConsoleError);
      return context;
    };

    await body({ base, env, tmp, browser, newContext, browserErrors });
  } catch (err) {
    if (!(err instanceof Fatal)) {
      failed += 1;
      console.log(`FAIL - unexpected error: ${err?.stack ?? err}`);
    } else {
      console.log('       (stopping: later checks depend on this one)');
    }
    if (serverLog.trim()) {
      console.log('--- last lines of the sitrep serve log ---');
      console.log(serverLog.trim().split('\n').slice(-25).join('\n'));
      console.log('---');
    }
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
  await summary();
}

/** Prints "N passed, M failed"; under run.sh (BROWSER_TOTALS_FILE) also records the totals for the combined line. */
async function summary() {
  const totalsFile = process.env.BROWSER_TOTALS_FILE;
  if (!totalsFile) {
    console.log(`${passed} passed, ${failed} failed`);
    return;
  }
  const script = path.basename(process.argv[1] ?? 'script');
  console.log(`${script}: ${passed} passed, ${failed} failed`);
  try {
    await appendFile(totalsFile, `${script} ${passed} ${failed}\n`);
  } catch (err) {
    console.log(`FAIL - could not record the totals in ${totalsFile}: ${err.message}`);
    process.exitCode = 1;
  }
}
