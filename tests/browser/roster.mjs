#!/usr/bin/env node
// Browser test of the roster and the incident page's Roles and SLA panels, on
// a phone (375 px wide): an incident manager fills in the roster, opens an
// incident, gives the Major Incident Manager role to the roster's main
// contact and reads the SLA panel; a viewer reads the roster. Every page is
// checked for horizontal scrolling and for form fields without a label.
//
//   SITREP_BIN=/path/to/sitrep node roster.mjs
// Prints one line per check and finally "N passed, M failed". Screenshots go
// to ./screenshots/roster-*.png.

import path from 'node:path';
import {
  SHOTS, check, assert, runSuite, pathOf, noHorizontalOverflow, signIn, expectNotice,
} from './lib.mjs';

const MIM = 'mim@example.com';
const VIEWER = 'viewer@example.com';
const PHONE = { width: 375, height: 740 };
const MIM_LABEL = 'Major Incident Manager (MIM)';

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

/** Names of visible form fields inside `scope` (a CSS selector) that have no label. */
async function unlabelledFields(page, scope) {
  const missing = await page.evaluate((selector) => {
    const root = document.querySelector(selector);
    if (!root) return [`(no element matches ${selector})`];
    return [...root.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.id || el.name);
  }, scope);
  assert(missing.length === 0, `fields without a label: ${missing.join(', ')}`);
  return 'every field has a label';
}

await runSuite({
  tmpPrefix: 'sitrep-roster-',
  users: [[MIM, 'incident_manager'], [VIEWER, 'viewer']],
  usersCheck: 'sitrep user add creates an incident manager and a viewer',
}, async ({ newContext, browserErrors }) => {
  const context = await newContext('mim', { viewport: PHONE });
  const mim = await context.newPage();

  await check('the incident manager signs in and opens the roster from the menu', async () => {
    await mim.goto('/admin/login');
    await signIn(mim, MIM);
    await mim.getByRole('link', { name: 'Roster', exact: true }).click();
    await mim.waitForURL('**/admin/roster');
    await mim.getByRole('heading', { name: 'Roster', level: 1 }).waitFor();
  }, { fatal: true });

  await check('the roster lists the seven roles with their duties', async () => {
    for (const role of [MIM_LABEL, 'Communication Manager (internal)', 'Communication Manager (external)',
      'Customer Support Lead', 'Social Media Lead', 'Second-level support', 'Third-level support']) {
      await mim.getByRole('heading', { name: role, level: 2 }).waitFor();
    }
    const text = await mim.locator('main').innerText();
    assert(text.includes('Escalate to the appropriate people on-call'), 'the MIM duties are missing');
  });

  await check('the roster page does not scroll sideways at 375 px', () => noHorizontalOverflow(mim));
  await check('the roster forms label every field', () => unlabelledFields(mim, 'main'));

  await check('the incident manager sets the main and backup contact of the MIM', async () => {
    const section = mim.locator('#role-major_incident_manager');
    await section.locator('summary').click();
    await section.getByLabel('Name').first().fill('Ana Lima');
    await section.getByLabel(/^Email/).first().fill('ana@example.com');
    await section.getByLabel(/^Phone/).first().fill('+33 1 23 45 67 89');
    await section.getByLabel('Name').nth(1).fill('Bo Chen');
    await section.getByRole('button', { name: /^Save/ }).click();
    await mim.waitForURL((url) => url.searchParams.get('done') === 'saved');
    await expectNotice(mim, 'Roster saved');
    const text = await mim.locator('#role-major_incident_manager').innerText();
    assert(text.includes('Ana Lima (ana@example.com, +33 1 23 45 67 89)'), `roster reads ${JSON.stringify(text)}`);
    assert(text.includes('Bo Chen'), 'backup missing');
    await noHorizontalOverflow(mim);
    await shot(mim, 'roster-phone.png');
  });

  let incidentPath;
  await check('the incident manager opens an incident', async () => {
    await mim.goto('/admin/incidents/new');
    await mim.getByLabel(/^Title/).fill('Checkout errors');
    await mim.getByLabel('Impact', { exact: true }).selectOption({ label: 'Major' });
    await mim.getByLabel('Urgency', { exact: true }).selectOption({ label: 'High' });
    await mim.getByLabel(/^External text/).fill('We are investigating errors at checkout.');
    await mim.getByRole('button', { name: 'Open incident', exact: true }).click();
    await mim.waitForURL((url) => /^\/admin\/incidents\/\d+$/.test(url.pathname));
    incidentPath = pathOf(mim);
  }, { fatal: true });

  await check('the Roles panel offers the signed-in incident manager for the MIM', async () => {
    const row = mim.locator('#incident-role-major_incident_manager');
    const text = await row.innerText();
    assert(text.includes('Nobody holds this role'), `row reads ${JSON.stringify(text)}`);
    const me = mim.getByRole('radio', { name: `Me (${MIM})` }).first();
    assert(await me.isChecked(), 'the "Me" choice is not preselected');
  });

  await check('the incident page does not scroll sideways at 375 px', () => noHorizontalOverflow(mim));
  await check('the Roles panel labels every field', () => unlabelledFields(mim, 'section[aria-labelledby="roles-heading"]'));

  await check('the MIM role goes to the roster main contact, then is handed over to the backup', async () => {
    const form = mim.locator('form[action$="/roles"]').filter({ has: mim.locator('input[value="major_incident_manager"]') });
    await form.getByRole('radio', { name: /^Main on the roster: Ana Lima/ }).check();
    await form.getByRole('button', { name: /^Assign/ }).click();
    await mim.waitForURL((url) => url.searchParams.get('done') === 'role');
    await expectNotice(mim, 'Role assigned');
    const again = mim.locator('form[action$="/roles"]').filter({ has: mim.locator('input[value="major_incident_manager"]') });
    await mim.locator('#incident-role-major_incident_manager + details > summary').click();
    await again.getByRole('radio', { name: /^Backup on the roster: Bo Chen/ }).check();
    await again.getByLabel(/^Handover note/).fill('Shift change');
    await again.getByRole('button', { name: /^Hand over/ }).click();
    await mim.waitForURL((url) => url.searchParams.get('done') === 'role');
    const holder = await mim.locator('#incident-role-major_incident_manager').innerText();
    assert(holder.includes('Bo Chen'), `the MIM row reads ${JSON.stringify(holder)}`);
    const history = await mim.locator('section[aria-labelledby="roles-heading"] ol').innerText();
    assert(history.indexOf('Ana Lima') < history.indexOf('Bo Chen'), `history reads ${JSON.stringify(history)}`);
    assert(history.includes('Note: Shift change'), 'the handover note is missing');
    await noHorizontalOverflow(mim);
  });

  await check('the SLA panel shows both targets in both clocks, in words', async () => {
    const panel = mim.locator('section[aria-labelledby="sla-heading"]');
    const text = await panel.innerText();
    for (const needle of ['Time to on-site', 'Time to restore', 'Wall clock', 'Support hours']) {
      assert(text.includes(needle), `the SLA panel lacks ${JSON.stringify(needle)}: ${JSON.stringify(text)}`);
    }
    assert(/Running|Breached|Met/.test(text), `no state word in ${JSON.stringify(text)}`);
    await shot(mim, 'roster-incident-phone.png');
  });

  const viewerContext = await newContext('viewer', { viewport: PHONE });
  const viewer = await viewerContext.newPage();
  await check('a viewer reads the roster and the incident roles without forms', async () => {
    await viewer.goto('/admin/login');
    await signIn(viewer, VIEWER);
    await viewer.goto('/admin/roster');
    const text = await viewer.locator('main').innerText();
    assert(text.includes('Ana Lima'), 'the roster is not shown to the viewer');
    assert(await viewer.locator('form[action^="/admin/roster/"]').count() === 0, 'the viewer sees roster forms');
    await noHorizontalOverflow(viewer);
    await viewer.goto(incidentPath);
    assert(await viewer.locator('form[action$="/roles"]').count() === 0, 'the viewer sees role forms');
    await noHorizontalOverflow(viewer);
  });

  await check('no console errors or uncaught exceptions', async () => {
    assert(browserErrors.length === 0, browserErrors.join('\n'));
  });
});
