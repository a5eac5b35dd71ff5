#!/usr/bin/env node
// Browser test of the incident report: the Major Incident Manager writes the
// report on a phone, the reviewer and the approver sign it off on a desktop,
// a second version is approved, and the diff between the two versions is
// read on a phone and a desktop (no horizontal overflow, labelled fields,
// changes marked in words and signs as well as colour).
//
//   SITREP_BIN=/path/to/sitrep node reports.mjs
// Prints one line per check and finally "N passed, M failed". Screenshots go
// to ./screenshots/report-*.png.

import path from 'node:path';
import {
  SHOTS, check, assert, runSuite, pathOf, noHorizontalOverflow, signIn, expectNotice,
} from './lib.mjs';

const MIM = 'mim@example.com';
const REVIEWER = 'ad@example.com';
const APPROVER = 'director@example.com';
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };
const FIRST = 'Restarted the primary database.';
const ADDED = 'Failed over to the replica before restarting the primary database.';

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

async function signInTo(page, email, target) {
  await page.goto(target);
  if (pathOf(page) === '/admin/login') await signIn(page, email);
  assert(pathOf(page) === target, `after signing in ${email} ended on ${page.url()}, expected ${target}`);
}

/** Clicks a workflow button and waits for the notice. */
async function stepTo(page, button, notice) {
  await page.getByRole('button', { name: button, exact: true }).click();
  await expectNotice(page, notice);
}

await runSuite({
  tmpPrefix: 'sitrep-reports-',
  users: [[MIM, 'incident_manager'], [REVIEWER, 'reviewer'], [APPROVER, 'approver']],
  usersCheck: 'sitrep user add creates an incident manager, a reviewer and an approver',
}, async ({ newContext }) => {
  const mimContext = await newContext('mim phone', { viewport: PHONE });
  const mim = await mimContext.newPage();
  let id;
  let reportPath;

  await check('the MIM signs in and opens an incident (API, session cookie)', async () => {
    await signInTo(mim, MIM, '/admin/incidents');
    // A write with the session cookie carries the page's CSRF token.
    const csrf = await mim.locator('input[name="csrf_token"]').first().inputValue();
    const response = await mim.request.post('/api/v1/incidents', {
      headers: { 'X-CSRF-Token': csrf },
      data: { name: 'Checkout errors', impact: 'major', urgency: 'high', update: { external_body: 'Investigating.' } },
    });
    assert(response.status() === 201, `POST /api/v1/incidents answered ${response.status()}: ${await response.text()}`);
    id = (await response.json()).id;
    reportPath = `/admin/incidents/${id}/report`;
    return `incident ${id}`;
  }, { fatal: true });

  await check('the incident console links to the incident report', async () => {
    await mim.goto(`/admin/incidents/${id}`);
    await mim.getByRole('link', { name: 'Incident report' }).click();
    await mim.waitForURL(`**${reportPath}`);
    await mim.getByRole('heading', { name: 'Incident report', level: 1 }).waitFor();
  }, { fatal: true });

  await check('the report page at 375 px has no horizontal overflow', () => noHorizontalOverflow(mim));

  await check('every section of the template is a labelled field', async () => {
    for (const label of [/^Incident Description/, /^Links \(JIRA, Confluence/, /^Client Impact/, /^Incident Resolution/,
      /^What Worked Well/, /^What Didn’t Work Well/, /^Recommendations/, /^Action item$/, /^Responsibility$/, /^Priority$/, /^Due date$/]) {
      await mim.getByLabel(label).first().waitFor();
    }
    await mim.getByRole('table', { name: /Time Summary/ }).waitFor();
  });

  await check('the MIM writes the report and adds an action item', async () => {
    await mim.getByLabel(/^Incident Description/).fill('Checkout failed for **all** customers.');
    await mim.getByLabel(/^Links \(JIRA/).fill('JIRA https://jira.example.com/browse/OPS-1');
    await mim.getByLabel(/^Incident Resolution/).fill(FIRST);
    await mim.getByRole('button', { name: 'Save report' }).click();
    await expectNotice(mim, 'Report saved.');
    await mim.getByLabel(/^Action item$/).last().fill('Add a replica alarm');
    await mim.getByLabel(/^Responsibility$/).last().fill('DBA team');
    await mim.getByRole('button', { name: 'Add action item' }).click();
    await expectNotice(mim, 'Action item added.');
    await mim.getByRole('cell', { name: 'DBA team' }).waitFor();
  });

  await check('the report page at 375 px still fits after writing', async () => {
    await shot(mim, 'report-phone.png');
    return noHorizontalOverflow(mim);
  });

  await check('the MIM submits; "Mark as reviewed" is disabled for the MIM, with the reason', async () => {
    await stepTo(mim, 'Submit for review', 'submitted for review');
    const review = mim.getByRole('button', { name: 'Mark as reviewed' });
    assert(await review.isDisabled(), '"Mark as reviewed" is enabled for the incident manager');
    const describedBy = await review.getAttribute('aria-describedby');
    const reason = await mim.locator(`#${describedBy}`).innerText();
    assert(reason.includes('reviewer'), `reason reads ${JSON.stringify(reason)}`);
  });

  const reviewerContext = await newContext('reviewer desktop', { viewport: DESKTOP });
  const reviewer = await reviewerContext.newPage();
  const approverContext = await newContext('approver desktop', { viewport: DESKTOP });
  const approver = await approverContext.newPage();

  await check('the reviewer reviews and the approver approves version 1', async () => {
    await signInTo(reviewer, REVIEWER, reportPath);
    await stepTo(reviewer, 'Mark as reviewed', 'waits for the approver');
    await signInTo(approver, APPROVER, reportPath);
    await stepTo(approver, 'Approve', 'Report approved');
    await approver.getByRole('link', { name: 'Version 1' }).waitFor();
  }, { fatal: true });

  await check('the MIM starts version 2, changes the resolution, and it is approved again', async () => {
    await mim.goto(reportPath);
    await stepTo(mim, 'Start a new version', 'new version');
    await mim.getByLabel(/^Incident Resolution/).fill(`${ADDED}\n${FIRST}`);
    await mim.getByRole('button', { name: 'Save report' }).click();
    await expectNotice(mim, 'Report saved.');
    await stepTo(mim, 'Submit for review', 'submitted for review');
    await reviewer.goto(reportPath);
    await stepTo(reviewer, 'Mark as reviewed', 'waits for the approver');
    await approver.goto(reportPath);
    await stepTo(approver, 'Approve', 'Report approved');
    await shot(approver, 'report-desktop.png');
  }, { fatal: true });

  for (const [label, page, file] of [['desktop', approver, 'report-diff-desktop.png'], ['375 px', mim, 'report-diff-phone.png']]) {
    await check(`"compare with previous" shows a readable diff at ${label}`, async () => {
      await page.goto(reportPath);
      await page.getByRole('link', { name: 'compare with previous' }).first().click();
      await page.getByRole('heading', { name: 'Changes since version 1' }).waitFor();
      const added = page.locator('.diff li.added');
      assert(await added.count() >= 1, 'no added line');
      const text = await added.first().innerText();
      assert(text.includes('+') && text.includes(ADDED), `added line reads ${JSON.stringify(text)}`);
      const words = await added.first().locator('.sr-only').innerText();
      assert(words.includes('Added'), `the added line says ${JSON.stringify(words)} to screen readers`);
      await shot(page, file);
      return noHorizontalOverflow(page);
    });
  }

  await check('the MIM publishes; the public incident page at 375 px shows the postmortem without internal text', async () => {
    await mim.goto(reportPath);
    await stepTo(mim, 'Publish as postmortem', 'Postmortem published');
    const visitorContext = await newContext('visitor phone', { viewport: PHONE });
    const visitor = await visitorContext.newPage();
    await visitor.goto(`/incidents/${id}?after-publish`);
    const section = visitor.getByRole('region', { name: 'Postmortem' });
    await section.waitFor();
    const text = await section.innerText();
    assert(text.includes(ADDED), `postmortem reads ${JSON.stringify(text)}`);
    assert(!text.includes('DBA team') && !text.includes('jira.example.com'), `internal text on the public page: ${JSON.stringify(text)}`);
    await shot(visitor, 'report-public-phone.png');
    return noHorizontalOverflow(visitor);
  });
});
