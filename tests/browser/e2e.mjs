#!/usr/bin/env node
// End-to-end browser test of Sitrep: a person signs in, builds a small page,
// changes a status, and the public and internal pages are checked in a real
// Chromium (phone and desktop sizes, light and dark), including the role
// limits and HTML escaping.
//
// Plain node script, no test framework:
//   SITREP_BIN=/path/to/sitrep node e2e.mjs
// Prints one line per check and finally "N passed, M failed"; exits 0 only
// when every check passed. Screenshots go to ./screenshots/.

import path from 'node:path';
import {
  SHOTS, check, assert, runSuite, pathOf, noHorizontalOverflow, bannerText, signIn, expectNotice, createComponent,
  shownInWidth,
} from './lib.mjs';

const ADMIN = 'admin@example.com';
const VIEWER = 'viewer@example.com';
const XSS_NAME = '<script>window.__xss=1</script>Evil';

await runSuite({
  tmpPrefix: 'sitrep-e2e-',
  users: [[ADMIN, 'admin'], [VIEWER, 'viewer']],
  usersCheck: 'sitrep user add creates an admin and a viewer',
  // The deliberate 403 of the viewer's direct visit to a console form is expected.
  expectedConsoleError: (page, msg) =>
    new URL(page.url()).pathname === '/admin/components/new' && /status of 403/.test(msg.text()),
}, async ({ newContext, browserErrors }) => {
  // ------------------------------------------------------------ 4. the admin builds the page
  const adminContext = await newContext('admin', { viewport: { width: 1280, height: 900 } });
  const admin = await adminContext.newPage();

  await check('anonymous /admin redirects to /admin/login', async () => {
    await admin.goto('/admin');
    assert(pathOf(admin) === '/admin/login', `ended on ${admin.url()}`);
  });

  await check('admin signs in with Email and Password and lands on /admin', async () => {
    if (pathOf(admin) !== '/admin/login') await admin.goto('/admin/login');
    await signIn(admin, ADMIN);
    assert(pathOf(admin) === '/admin', `ended on ${admin.url()}`);
    await admin.getByRole('heading', { name: 'Components', level: 1 }).waitFor();
  }, { fatal: true });

  await check('admin creates the group "Core services"', async () => {
    await admin.getByRole('link', { name: 'New group', exact: true }).click();
    await admin.waitForURL('**/admin/groups/new');
    await admin.getByLabel('Name', { exact: true }).fill('Core services');
    await admin.getByRole('button', { name: 'Create group' }).click();
    await admin.waitForURL((url) => url.pathname === '/admin');
    await expectNotice(admin, 'Group created');
    await admin.getByRole('heading', { name: 'Core services', level: 2 }).waitFor();
  });

  await check('admin creates the component "API" in "Core services"', async () => {
    await createComponent(admin, { name: 'API', group: 'Core services' });
    const section = admin.getByRole('region', { name: 'Core services' });
    await section.locator('.admin-row .name', { hasText: /^API$/ }).waitFor();
  });

  await check('admin creates the internal component "Billing backend"', async () => {
    await createComponent(admin, { name: 'Billing backend', audience: 'internal' });
    const row = admin.locator('.admin-row', { has: admin.locator('.name', { hasText: /^Billing backend$/ }) });
    await row.locator('.tag', { hasText: 'internal' }).waitFor();
  });

  await check('admin sets API to "Partial outage" from the dashboard', async () => {
    await admin.goto('/admin');
    await admin.getByLabel('Status of API', { exact: true }).selectOption({ label: 'Partial outage' });
    await admin.getByRole('button', { name: 'Set status of API', exact: true }).click();
    await admin.waitForURL((url) => url.pathname === '/admin' && url.searchParams.get('done') === 'status-changed');
    await expectNotice(admin, 'Status changed');
    const row = admin.locator('.admin-row', { has: admin.locator('.name', { hasText: /^API$/ }) });
    const shown = (await row.locator('.status').innerText()).trim();
    assert(shown === 'Partial outage', `API row shows ${JSON.stringify(shown)}`);
    const selected = await admin.getByLabel('Status of API', { exact: true }).inputValue();
    assert(selected === 'partial_outage', `status select now holds ${selected}`);
  });

  // ------------------------------------------------------------ 5. the public page on a phone
  const anonContext = await newContext('anonymous', { viewport: { width: 375, height: 740 } });
  const visitor = await anonContext.newPage();

  await check('public page loads on a phone (375x740)', async () => {
    const res = await visitor.goto('/');
    assert(res.status() === 200, `GET / answered ${res.status()}`);
  });

  // Only API is public and it is in partial outage, so *every* public
  // component is partial: Statuspage's rule (src/domain/page_status.rs) says
  // "Partial System Outage". "Minor Service Outage" would mean the internal
  // Billing backend (operational) was counted on the public page.
  await check('public banner reads "Partial System Outage" (internal components do not count)', async () => {
    const text = await bannerText(visitor);
    assert(text === 'Partial System Outage', `banner reads ${JSON.stringify(text)}`);
    const cls = await visitor.locator('section[aria-label="Overall status"]').getAttribute('class');
    assert(/\bindicator-major\b/.test(cls), `banner class is ${JSON.stringify(cls)}`);
  });

  await check('public page shows API as "Partial outage"', async () => {
    const row = visitor.locator('li.row', { has: visitor.locator('.name', { hasText: /^API$/ }) });
    await row.waitFor({ state: 'visible' });
    const status = row.locator('.status');
    assert(await status.isVisible(), 'status of API is not visible');
    const shown = (await status.innerText()).trim();
    assert(shown === 'Partial outage', `API shows ${JSON.stringify(shown)}`);
    await visitor.getByText('Core services', { exact: true }).waitFor({ state: 'visible' });
  });

  await check('public page does not mention "Billing backend" (text or HTML)', async () => {
    const text = await visitor.evaluate(() => document.body.innerText);
    assert(!text.includes('Billing backend'), 'visible text contains "Billing backend"');
    const html = await visitor.content();
    assert(!html.includes('Billing backend'), 'HTML source contains "Billing backend"');
    const json = await (await visitor.request.get('/api/v2/summary.json')).text();
    assert(!json.includes('Billing backend'), '/api/v2/summary.json contains "Billing backend"');
  });

  await check('public page has no horizontal overflow at 375 px', () => noHorizontalOverflow(visitor));

  await check('public page has landmarks main, header (banner), nav and html[lang]', async () => {
    for (const [what, locator] of [
      ['<main>', visitor.locator('main')],
      ['<header>', visitor.locator('body > header')],
      ['<nav>', visitor.locator('nav')],
      ['role=main', visitor.getByRole('main')],
      ['role=banner', visitor.getByRole('banner')],
      ['role=navigation', visitor.getByRole('navigation')],
    ]) {
      const n = await locator.count();
      assert(n === 1, `expected one ${what}, found ${n}`);
    }
    const lang = await visitor.locator('html').getAttribute('lang');
    assert(lang && lang.trim(), 'html has no lang attribute');
    return `lang="${lang}"`;
  });

  await check('public-phone.png shows, at 375 px, the banner on the first screen and API "Partial outage" in "Core services"', async () => {
    const width = await visitor.evaluate(() => window.innerWidth);
    assert(width === 375, `the window is ${width}px wide`);
    const banner = visitor.locator('section[aria-label="Overall status"]');
    const box = await shownInWidth(visitor, banner, 'the status banner');
    assert(box.y < 740, `the banner starts at y ${Math.round(box.y)}, below the first screen`);
    assert(await bannerText(visitor) === 'Partial System Outage', 'the banner changed');
    await shownInWidth(visitor, visitor.getByText('Core services', { exact: true }), 'the group "Core services"');
    const row = visitor.locator('li.row', { has: visitor.locator('.name', { hasText: /^API$/ }) });
    await shownInWidth(visitor, row.locator('.name'), 'the name "API"');
    await shownInWidth(visitor, row.locator('.status', { hasText: 'Partial outage' }), 'the status "Partial outage" of API');
    const text = await visitor.evaluate(() => document.body.innerText);
    assert(!text.includes('Billing backend'), 'visible text contains "Billing backend"');
    const detail = await noHorizontalOverflow(visitor);
    await visitor.screenshot({ path: path.join(SHOTS, 'public-phone.png'), fullPage: true });
    return detail;
  });

  await check('screenshot public-desktop.png (1280x900)', async () => {
    await visitor.setViewportSize({ width: 1280, height: 900 });
    await noHorizontalOverflow(visitor);
    await visitor.screenshot({ path: path.join(SHOTS, 'public-desktop.png'), fullPage: true });
  });

  await check('dark colour scheme applies; screenshot public-dark.png (375x740)', async () => {
    const background = () => visitor.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await visitor.emulateMedia({ colorScheme: 'light' });
    const light = await background();
    await visitor.setViewportSize({ width: 375, height: 740 });
    await visitor.emulateMedia({ colorScheme: 'dark' });
    const dark = await background();
    assert(light !== dark, `body background is ${light} in both schemes`);
    await noHorizontalOverflow(visitor);
    await visitor.screenshot({ path: path.join(SHOTS, 'public-dark.png'), fullPage: true });
    await visitor.emulateMedia({ colorScheme: 'light' });
    return `${light} -> ${dark}`;
  });

  // ------------------------------------------------------------ 6. the internal page and the console on a phone
  await check('signed-in /internal shows "Billing backend" with the "internal" tag', async () => {
    const res = await admin.goto('/internal');
    assert(res.status() === 200 && pathOf(admin) === '/internal', `GET /internal -> ${res.status()} ${admin.url()}`);
    const row = admin.locator('.row', { has: admin.locator('.name', { hasText: 'Billing backend' }) });
    await row.waitFor({ state: 'visible' });
    const tag = row.locator('.tag', { hasText: 'internal' });
    assert(await tag.isVisible(), 'no visible "internal" tag on the Billing backend row');
  });

  await check('internal banner reads "Minor Service Outage" (API partial, Billing backend operational)', async () => {
    const text = await bannerText(admin);
    assert(text === 'Minor Service Outage', `banner reads ${JSON.stringify(text)}`);
  });

  await check('internal.png shows /internal at 1280 px: the banner, API "Partial outage" and Billing backend tagged "internal"', async () => {
    assert(pathOf(admin) === '/internal', `on ${admin.url()}`);
    const width = await admin.evaluate(() => window.innerWidth);
    assert(width === 1280, `the window is ${width}px wide`);
    await shownInWidth(admin, admin.locator('section[aria-label="Overall status"]'), 'the status banner');
    assert(await bannerText(admin) === 'Minor Service Outage', 'the banner changed');
    const api = admin.locator('.row', { has: admin.locator('.name', { hasText: /^API$/ }) });
    await shownInWidth(admin, api.locator('.status', { hasText: 'Partial outage' }), 'the status "Partial outage" of API');
    const billing = admin.locator('.row', { has: admin.locator('.name', { hasText: 'Billing backend' }) });
    await shownInWidth(admin, billing.locator('.name'), 'the name "Billing backend"');
    await shownInWidth(admin, billing.locator('.tag', { hasText: 'internal' }), 'the "internal" tag of Billing backend');
    const detail = await noHorizontalOverflow(admin);
    await admin.screenshot({ path: path.join(SHOTS, 'internal.png'), fullPage: true });
    return detail;
  });

  await check('console /admin at 375 px has no horizontal overflow; screenshot admin-phone.png', async () => {
    await admin.setViewportSize({ width: 375, height: 740 });
    await admin.goto('/admin');
    const detail = await noHorizontalOverflow(admin);
    await admin.screenshot({ path: path.join(SHOTS, 'admin-phone.png'), fullPage: true });
    await admin.setViewportSize({ width: 1280, height: 900 });
    return detail;
  });

  // ------------------------------------------------------------ 7. who may see and do what
  await check('anonymous /internal ends on /admin/login', async () => {
    await visitor.goto('/internal');
    assert(pathOf(visitor) === '/admin/login', `ended on ${visitor.url()}`);
    const text = await visitor.evaluate(() => document.body.innerText);
    assert(!text.includes('Billing backend'), 'the sign-in page mentions "Billing backend"');
  });

  await check('viewer signs in and is sent back to /internal, which works', async () => {
    if (pathOf(visitor) !== '/admin/login') await visitor.goto('/admin/login?next=%2Finternal');
    await signIn(visitor, VIEWER);
    assert(pathOf(visitor) === '/internal', `ended on ${visitor.url()}`);
    await visitor.locator('.row .name', { hasText: 'Billing backend' }).waitFor({ state: 'visible' });
  });

  await check('viewer /admin shows no "New component" link and no status controls', async () => {
    await visitor.goto('/admin');
    assert(pathOf(visitor) === '/admin', `ended on ${visitor.url()}`);
    await visitor.locator('.admin-row .name', { hasText: /^API$/ }).waitFor({ state: 'visible' });
    const links = await visitor.getByRole('link', { name: 'New component' }).count();
    assert(links === 0, `found ${links} "New component" link(s)`);
    const selects = await visitor.locator('select').count();
    assert(selects === 0, `found ${selects} <select> element(s)`);
    const labelled = await visitor.getByLabel(/^Status of /).count();
    assert(labelled === 0, `found ${labelled} "Status of ..." control(s)`);
    const buttons = await visitor.getByRole('button', { name: /^Set status of / }).count();
    assert(buttons === 0, `found ${buttons} "Set status of ..." button(s)`);
  });

  await check('viewer opening /admin/components/new directly is refused', async () => {
    const res = await visitor.goto('/admin/components/new');
    assert(res.status() === 403, `GET /admin/components/new answered ${res.status()}`);
    const forms = await visitor.getByRole('button', { name: 'Create component' }).count();
    assert(forms === 0, 'the component form is shown to a viewer');
  });

  // ------------------------------------------------------------ 8. HTML in a name stays text
  await check('admin creates a component named with a <script> tag', async () => {
    await createComponent(admin, { name: XSS_NAME });
  });

  const xssContext = await newContext('xss', { viewport: { width: 1280, height: 900 } });
  const xssVisitor = await xssContext.newPage();
  for (const [label, page, url] of [['public /', xssVisitor, '/'], ['console /admin', admin, '/admin']]) {
    await check(`${label}: the <script> name is shown as text and does not run`, async () => {
      const res = await page.goto(url);
      assert(res.status() === 200, `GET ${url} answered ${res.status()}`);
      const ran = await page.evaluate(() => typeof window.__xss !== 'undefined');
      assert(!ran, 'window.__xss is defined: the script ran');
      const name = page.locator('.name', { hasText: 'Evil' }).first();
      await name.waitFor({ state: 'visible' });
      const text = (await name.innerText()).trim();
      assert(text === XSS_NAME, `name shows as ${JSON.stringify(text)}`);
      await page.getByText(XSS_NAME, { exact: true }).first().waitFor({ state: 'visible' });
      const html = await res.text();
      assert(!html.includes('<script>window.__xss'), 'the response HTML contains the raw <script> tag');
      assert(html.includes('&lt;script&gt;window.__xss'), 'the response HTML does not contain the escaped name');
      const scripts = await page.locator('script').count();
      assert(scripts === 0, `the page has ${scripts} <script> element(s)`);
    });
  }

  await check('no console errors or uncaught exceptions in the browser', async () => {
    assert(browserErrors.length === 0, browserErrors.join('\n'));
  });
});
