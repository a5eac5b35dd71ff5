#!/usr/bin/env node
// End-to-end browser test of the communication manager's incident flow: an
// admin builds a small page, a Major Incident Manager opens an incident from
// the phase templates on a phone (with preview), posts an "Identified" update
// with separate customer and staff texts, and the public page, the public
// incident page and the internal page are checked on a phone and a desktop;
// finally an external communication manager, who may not write internal text,
// posts a "Monitoring" update.
//
// Plain node script, no test framework:
//   SITREP_BIN=/path/to/sitrep node incidents.mjs
// Prints one line per check and finally "N passed, M failed"; exits 0 only
// when every check passed. Screenshots go to ./screenshots/incident-*.png.

import path from 'node:path';
import {
  SHOTS, check, assert, runSuite, pathOf, noHorizontalOverflow, bannerText, signIn, expectNotice, createComponent,
  shownInWidth,
} from './lib.mjs';

const ADMIN = 'admin@example.com';
const CM = 'cm@example.com';
const EXT = 'ext@example.com';
const TITLE = 'Checkout errors';
const TEMPLATE_EXTERNAL = 'We are investigating a problem affecting API';
const IDENTIFIED_EXTERNAL = 'We found the cause: a bad configuration. A fix is rolling out.';
const IDENTIFIED_INTERNAL = 'Staff only: config push 4711 broke checkout; rollback in progress.';
const SECRET = 'config push 4711';
const MONITORING_EXTERNAL = 'A fix is in place and checkout works again. We are watching it closely.';
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

/** Full-page screenshot to ./screenshots/<name>; resolves to nothing (a check's return value is printed). */
async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

/** `<input type="datetime-local">` value `minutes` from now, in UTC (the server's default zone, Etc/UTC). */
function inputTimeFromNow(minutes) {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);
}

/** Signs in on /admin/login?next=<target> and checks that the person lands on `target`. */
async function signInTo(page, email, target) {
  await page.goto(target);
  if (pathOf(page) === '/admin/login') await signIn(page, email);
  assert(pathOf(page) === target, `after signing in ${email} ended on ${page.url()}, expected ${target}`);
}

async function noScripts(page) {
  const scripts = await page.locator('script').count();
  assert(scripts === 0, `${pathOf(page)} has ${scripts} <script> element(s)`);
}

async function visibleText(page) {
  return page.evaluate(() => document.body.innerText);
}

await runSuite({
  tmpPrefix: 'sitrep-incidents-',
  users: [[ADMIN, 'admin'], [CM, 'incident_manager'], [EXT, 'comms_external']],
  usersCheck: 'sitrep user add creates an admin, an incident manager and an external communication manager',
}, async ({ newContext, browserErrors }) => {
  // ------------------------------------------------------------ 2. the admin builds the page
  const adminContext = await newContext('admin', { viewport: DESKTOP });
  const admin = await adminContext.newPage();

  await check('admin signs in at /admin/login and lands on /admin', async () => {
    await admin.goto('/admin/login');
    await signIn(admin, ADMIN);
    assert(pathOf(admin) === '/admin', `ended on ${admin.url()}`);
    await admin.getByRole('heading', { name: 'Components', level: 1 }).waitFor();
  }, { fatal: true });

  await check('admin creates the component "API"', async () => {
    await createComponent(admin, { name: 'API' });
    await admin.locator('.admin-row .name', { hasText: /^API$/ }).waitFor();
  }, { fatal: true });

  await check('admin creates the internal component "Billing batch"', async () => {
    await createComponent(admin, { name: 'Billing batch', audience: 'internal' });
    const row = admin.locator('.admin-row', { has: admin.locator('.name', { hasText: /^Billing batch$/ }) });
    await row.locator('.tag', { hasText: 'internal' }).waitFor();
  });

  // ------------------------------------------------------------ 3. the incident manager opens an incident on a phone
  const cmContext = await newContext('cm phone', { viewport: PHONE });
  const cm = await cmContext.newPage();
  const nextUpdateBy = inputTimeFromNow(90);

  await check('cm signs in on a phone and reaches /admin/incidents', async () => {
    await signInTo(cm, CM, '/admin/incidents');
    await cm.getByRole('heading', { name: 'Incidents', level: 1 }).waitFor();
    await cm.getByText('No open incidents.').waitFor({ state: 'visible' });
  }, { fatal: true });

  await check('"Open an incident" leads to the form', async () => {
    await cm.getByRole('link', { name: 'Open an incident' }).click();
    await cm.waitForURL('**/admin/incidents/new');
    await cm.getByRole('heading', { name: 'Open an incident', level: 1 }).waitFor();
  }, { fatal: true });

  await check('the form at 375 px has no horizontal overflow', () => noHorizontalOverflow(cm));

  await check('cm fills title, impact, urgency, checklist, template set, next update and the API status', async () => {
    await cm.getByLabel(/^Title/).fill(TITLE);
    await cm.getByLabel('Impact', { exact: true }).selectOption({ label: 'Major' });
    await cm.getByLabel('Urgency', { exact: true }).selectOption({ label: 'High' });
    const checklist = cm.getByRole('group', { name: /Is this an incident\?/ });
    await checklist.getByRole('checkbox').first().check();
    const set = cm.getByLabel('Start from template set');
    const setLabel = (await set.locator('option:checked').innerText()).trim();
    assert(setLabel === 'Default', `template set preselected is ${JSON.stringify(setLabel)}`);
    await cm.getByLabel(/^Next update by/).fill(nextUpdateBy);
    await cm.getByLabel('API', { exact: true }).selectOption({ label: 'Partial outage' });
    return `next update by ${nextUpdateBy} UTC`;
  }, { fatal: true });

  await check('"Fill from template and preview" shows both previews and fills the external text', async () => {
    await cm.getByRole('button', { name: 'Fill from template and preview' }).click();
    await cm.getByText('Customers will read:', { exact: true }).waitFor({ state: 'visible' });
    await cm.getByText('Staff will read:', { exact: true }).waitFor({ state: 'visible' });
    const external = await cm.getByLabel(/^External text/).inputValue();
    assert(external.includes(TEMPLATE_EXTERNAL), `External text is ${JSON.stringify(external)}`);
    const preview = await cm.getByRole('region', { name: 'Preview for customers' }).innerText();
    assert(preview.includes(TEMPLATE_EXTERNAL), `customer preview reads ${JSON.stringify(preview)}`);
    const internal = await cm.getByLabel(/^Internal text/).inputValue();
    assert(internal.trim() !== '', 'Internal text stayed empty after the preview');
  });

  await check('the preview keeps what was typed (title, impact, urgency, checklist, next update, API status)', async () => {
    const problems = [];
    const title = await cm.getByLabel(/^Title/).inputValue();
    if (title !== TITLE) problems.push(`title ${JSON.stringify(title)}`);
    const impact = await cm.getByLabel('Impact', { exact: true }).inputValue();
    if (impact !== 'major') problems.push(`impact ${impact}`);
    const urgency = await cm.getByLabel('Urgency', { exact: true }).inputValue();
    if (urgency !== 'high') problems.push(`urgency ${urgency}`);
    const ticked = await cm.getByRole('group', { name: /Is this an incident\?/ }).getByRole('checkbox').first().isChecked();
    if (!ticked) problems.push('first checklist box unticked');
    const next = await cm.getByLabel(/^Next update by/).inputValue();
    if (next !== nextUpdateBy) problems.push(`next update ${next}`);
    const api = await cm.getByLabel('API', { exact: true }).inputValue();
    if (api !== 'partial_outage') problems.push(`API status ${JSON.stringify(api)}`);
    assert(problems.length === 0, `after the preview: ${problems.join('; ')}`);
  });

  await check('preview at 375 px has no horizontal overflow; screenshot incident-preview-phone.png', async () => {
    await shot(cm, 'incident-preview-phone.png');
    return noHorizontalOverflow(cm);
  });

  let incidentPath;
  await check('"Open incident" opens it: notice "Incident opened." and "Next update promised by"', async () => {
    await cm.getByRole('button', { name: 'Open incident', exact: true }).click();
    await cm.waitForURL((url) => /^\/admin\/incidents\/\d+$/.test(url.pathname) && url.searchParams.get('done') === 'opened');
    incidentPath = pathOf(cm);
    await expectNotice(cm, 'Incident opened.');
    await cm.getByText('Next update promised by').waitFor({ state: 'visible' });
    await cm.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    return incidentPath;
  }, { fatal: true });

  await check('the console incident page at 375 px has no horizontal overflow; screenshot incident-console-phone.png', async () => {
    await shot(cm, 'incident-console-phone.png');
    return noHorizontalOverflow(cm);
  });

  // ------------------------------------------------------------ 4. an "Identified" update with two texts
  await check('cm posts an "Identified" update with own external and internal text: "Update posted."', async () => {
    const form = cm.getByRole('region', { name: 'Post an update' });
    await form.getByLabel('Phase', { exact: true }).selectOption({ label: 'Identified' });
    await form.getByLabel('Start from template set').selectOption({ label: 'No template: I write the text' });
    await form.getByLabel(/^External text/).fill(IDENTIFIED_EXTERNAL);
    await form.getByLabel(/^Internal text/).fill(IDENTIFIED_INTERNAL);
    await form.getByRole('button', { name: 'Post update', exact: true }).click();
    await cm.waitForURL((url) => url.pathname === incidentPath && url.searchParams.get('done') === 'posted');
    await expectNotice(cm, 'Update posted.');
    const timeline = cm.getByRole('region', { name: 'Timeline' });
    await timeline.getByText('We found the cause').waitFor({ state: 'visible' });
    await timeline.getByText(SECRET).waitFor({ state: 'visible' });
  });

  // ------------------------------------------------------------ 5. what customers see
  const phoneContext = await newContext('anonymous phone', { viewport: PHONE });
  const phone = await phoneContext.newPage();
  const desktopContext = await newContext('anonymous desktop', { viewport: DESKTOP });
  const desktop = await desktopContext.newPage();

  for (const [label, page, file] of [['phone', phone, 'incident-public-phone.png'], ['desktop', desktop, 'incident-public-desktop.png']]) {
    await check(`public / (${label}): "Active incidents" shows the title and the customer text, not the staff text`, async () => {
      const res = await page.goto('/');
      assert(res.status() === 200, `GET / answered ${res.status()}`);
      const section = page.getByRole('region', { name: 'Active incidents' });
      await section.getByRole('heading', { name: TITLE }).waitFor({ state: 'visible' });
      await section.getByText('We found the cause').waitFor({ state: 'visible' });
      assert(!(await visibleText(page)).includes(SECRET), `visible text contains ${JSON.stringify(SECRET)}`);
      assert(!(await page.content()).includes(SECRET), `HTML contains ${JSON.stringify(SECRET)}`);
      assert(!(await page.content()).includes('Staff only'), 'HTML contains "Staff only"');
    });

    await check(`public / (${label}): banner reads "Partial System Outage"`, async () => {
      const text = await bannerText(page);
      assert(text === 'Partial System Outage', `banner reads ${JSON.stringify(text)}`);
    });

    await check(`public / (${label}): no <script> elements, no horizontal overflow; screenshot ${file}`, async () => {
      await noScripts(page);
      const detail = await noHorizontalOverflow(page);
      await shot(page, file);
      return detail;
    });
  }

  let publicIncidentPath;
  await check('"Full timeline" opens the public incident page with "Identified" and "Investigating" updates', async () => {
    await phone.getByRole('link', { name: /^Full timeline/ }).first().click();
    await phone.waitForURL((url) => /^\/incidents\/\d+$/.test(url.pathname));
    publicIncidentPath = pathOf(phone);
    await phone.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    const phases = (await phone.locator('article.update .phase').allInnerTexts()).map((t) => t.trim());
    assert(phases.includes('Identified') && phases.includes('Investigating'), `update phases shown: ${JSON.stringify(phases)}`);
    await phone.getByText('We found the cause').waitFor({ state: 'visible' });
    await phone.getByText(TEMPLATE_EXTERNAL).waitFor({ state: 'visible' });
    return `${publicIncidentPath}: ${phases.join(', ')}`;
  });

  await check('the public incident page has no staff text, no <script>, no overflow at 375 px; screenshot incident-page-phone.png', async () => {
    assert(!(await visibleText(phone)).includes(SECRET), `visible text contains ${JSON.stringify(SECRET)}`);
    const html = await phone.content();
    assert(!html.includes(SECRET), `HTML contains ${JSON.stringify(SECRET)}`);
    assert(!html.includes('Staff only'), 'HTML contains "Staff only"');
    await noScripts(phone);
    const detail = await noHorizontalOverflow(phone);
    await shot(phone, 'incident-page-phone.png');
    return detail;
  });

  // ------------------------------------------------------------ 6. what staff see
  const cmDesktopContext = await newContext('cm desktop', { viewport: DESKTOP });
  const cmDesktop = await cmDesktopContext.newPage();

  await check('cm (desktop) /internal shows the staff text labelled "Staff only" and the customer text', async () => {
    await signInTo(cmDesktop, CM, '/internal');
    const section = cmDesktop.getByRole('region', { name: 'Active incidents' });
    await section.getByRole('heading', { name: TITLE }).waitFor({ state: 'visible' });
    const staff = section.locator('.internal-text', { hasText: SECRET });
    await staff.waitFor({ state: 'visible' });
    const staffText = await staff.innerText();
    assert(/Staff only/.test(staffText), `the staff text block reads ${JSON.stringify(staffText)}`);
    await section.getByText('We found the cause').waitFor({ state: 'visible' });
  });

  await check('incident-internal-desktop.png shows, at 1280 px, the incident with its customer text and its "Staff only" text', async () => {
    assert(pathOf(cmDesktop) === '/internal', `on ${cmDesktop.url()}`);
    const width = await cmDesktop.evaluate(() => window.innerWidth);
    assert(width === DESKTOP.width, `the window is ${width}px wide`);
    await shownInWidth(cmDesktop, cmDesktop.locator('section[aria-label="Overall status"]'), 'the status banner');
    const section = cmDesktop.getByRole('region', { name: 'Active incidents' });
    await shownInWidth(cmDesktop, section.getByRole('heading', { name: TITLE }), `the title ${JSON.stringify(TITLE)}`);
    await shownInWidth(cmDesktop, section.getByText('We found the cause'), 'the customer text');
    const staff = section.locator('.internal-text', { hasText: SECRET });
    await shownInWidth(cmDesktop, staff, 'the staff text');
    const staffText = await staff.innerText();
    assert(/Staff only/.test(staffText), `the staff text block reads ${JSON.stringify(staffText)}`);
    const detail = await noHorizontalOverflow(cmDesktop);
    await shot(cmDesktop, 'incident-internal-desktop.png');
    return detail;
  });

  await check('console incident page at 1280 px; screenshot incident-console-desktop.png', async () => {
    const res = await cmDesktop.goto(incidentPath);
    assert(res.status() === 200, `GET ${incidentPath} answered ${res.status()}`);
    await cmDesktop.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await shot(cmDesktop, 'incident-console-desktop.png');
    return noHorizontalOverflow(cmDesktop);
  });

  // ------------------------------------------------------------ 7. the external communication manager
  const extContext = await newContext('ext phone', { viewport: PHONE });
  const ext = await extContext.newPage();

  await check('ext (comms_external) sees only "External text" on the incident page', async () => {
    await signInTo(ext, EXT, incidentPath);
    const form = ext.getByRole('region', { name: 'Post an update' });
    await form.waitFor({ state: 'visible' });
    const externalFields = await form.getByLabel(/^External text/).count();
    assert(externalFields === 1, `found ${externalFields} "External text" field(s)`);
    const internalFields = await ext.getByLabel(/^Internal text/).count();
    assert(internalFields === 0, `found ${internalFields} "Internal text" field(s)`);
    const textareas = await ext.locator('textarea[name="internal_body"]').count();
    assert(textareas === 0, `found ${textareas} internal_body textarea(s)`);
  });

  await check('ext posts a "Monitoring" update with external text: "Update posted."', async () => {
    const form = ext.getByRole('region', { name: 'Post an update' });
    await form.getByLabel('Phase', { exact: true }).selectOption({ label: 'Monitoring' });
    await form.getByLabel(/^External text/).fill(MONITORING_EXTERNAL);
    await form.getByRole('button', { name: 'Post update', exact: true }).click();
    await ext.waitForURL((url) => url.pathname === incidentPath && url.searchParams.get('done') === 'posted');
    await expectNotice(ext, 'Update posted.');
    const newest = ext.getByRole('region', { name: 'Timeline' }).locator('article.update').first();
    const phase = (await newest.locator('.phase').first().innerText()).trim();
    assert(phase === 'Monitoring', `newest update is ${JSON.stringify(phase)}`);
    await newest.getByText(MONITORING_EXTERNAL).waitFor({ state: 'visible' });
    const staffBlocks = await newest.locator('.internal-text').count();
    assert(staffBlocks === 0, 'the external manager\'s update carries internal text');
  });

  await check('public / now shows the "Monitoring" update', async () => {
    // A new URL: the page allows caches (and browsers) to keep "/" for a few
    // seconds (max-age=5, stale-while-revalidate), so a plain reload of "/"
    // right after a write may legitimately show the previous copy.
    await phone.goto('/?after=monitoring');
    const section = phone.getByRole('region', { name: 'Active incidents' });
    await section.getByText(MONITORING_EXTERNAL).waitFor({ state: 'visible' });
    await noScripts(phone);
    await phone.goto(publicIncidentPath ?? '/');
    await noScripts(phone);
  });

  // ------------------------------------------------------------ 8. no errors anywhere
  await check('no console errors or uncaught exceptions in the browser', async () => {
    assert(browserErrors.length === 0, browserErrors.join('\n'));
  });
});
