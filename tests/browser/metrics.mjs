#!/usr/bin/env node
// Browser check of the metrics console (/admin/metrics) and the digest
// preview (/admin/digest) on a phone (375 px) and a desktop: no horizontal
// scrolling, every chart is an image with a text alternative (an SVG with
// role="img" and a non-empty <title> and <desc>), and the uptime per
// component table is there.
//
//   SITREP_BIN=/path/to/sitrep node metrics.mjs
// Prints one line per check and "N passed, M failed". Screenshots go to
// ./screenshots/metrics-*.png and digest-*.png.

import path from 'node:path';
import { SHOTS, check, assert, runSuite, pathOf, noHorizontalOverflow, signIn, createComponent } from './lib.mjs';

const ADMIN = 'admin@example.com';
const VIEWER = 'viewer@example.com';
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

/** Every chart is role="img" labelled by a non-empty title and description. */
async function chartsHaveTextAlternatives(page) {
  const charts = await page.evaluate(() => [...document.querySelectorAll('svg.chart')].map((svg) => {
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    return {
      role: svg.getAttribute('role'),
      texts: ids.map((id) => (document.getElementById(id)?.textContent || '').trim()),
    };
  }));
  assert(charts.length >= 2, `expected the two charts, found ${charts.length}`);
  for (const [i, chart] of charts.entries()) {
    assert(chart.role === 'img', `chart ${i} has role ${chart.role}`);
    assert(chart.texts.length === 2 && chart.texts.every((t) => t.length > 0), `chart ${i} lacks a title or description: ${JSON.stringify(chart.texts)}`);
  }
  return `${charts.length} charts with title and description`;
}

await runSuite({
  tmpPrefix: 'sitrep-metrics-',
  users: [[ADMIN, 'admin'], [VIEWER, 'viewer']],
  usersCheck: 'sitrep user add creates an admin and a viewer',
}, async ({ newContext }) => {
  const adminContext = await newContext('admin', { viewport: DESKTOP });
  const admin = await adminContext.newPage();
  await check('admin signs in and creates the component "Checkout API"', async () => {
    await admin.goto('/admin/login');
    await signIn(admin, ADMIN);
    await createComponent(admin, { name: 'Checkout API' });
  }, { fatal: true });

  const viewerContext = await newContext('viewer', { viewport: PHONE });
  const viewer = await viewerContext.newPage();
  await check('a viewer signs in and opens /admin/metrics', async () => {
    await viewer.goto('/admin/metrics');
    if (pathOf(viewer) === '/admin/login') await signIn(viewer, VIEWER);
    if (pathOf(viewer) !== '/admin/metrics') await viewer.goto('/admin/metrics');
    await viewer.getByRole('heading', { name: 'Metrics', level: 1 }).waitFor();
  }, { fatal: true });

  for (const [label, size] of [['375 px', PHONE], ['desktop', DESKTOP]]) {
    const file = `metrics-${label === '375 px' ? 'phone' : 'desktop'}.png`;
    await viewer.setViewportSize(size);
    await viewer.goto('/admin/metrics');
    await check(`metrics at ${label}: no horizontal overflow; screenshot ${file}`, async () => {
      const detail = await noHorizontalOverflow(viewer);
      await shot(viewer, file);
      return detail;
    });
    await check(`metrics at ${label}: charts have text alternatives`, () => chartsHaveTextAlternatives(viewer));
    await check(`metrics at ${label}: uptime per component lists "Checkout API"`, async () => {
      const row = viewer.locator('#uptime-table tbody tr', { hasText: 'Checkout API' });
      await row.waitFor();
      const text = await row.innerText();
      assert(/100%|no data/.test(text), `uptime row reads ${JSON.stringify(text)}`);
      return text.replace(/\s+/g, ' ').trim();
    });
  }

  for (const [label, size] of [['375 px', PHONE], ['desktop', DESKTOP]]) {
    const file = `digest-${label === '375 px' ? 'phone' : 'desktop'}.png`;
    await viewer.setViewportSize(size);
    await check(`digest preview at ${label}: the HTML (labelled region) and the text version, no horizontal overflow; screenshot ${file}`, async () => {
      await viewer.goto('/admin/digest');
      await viewer.getByRole('heading', { name: 'Digest', level: 1 }).waitFor();
      const preview = viewer.getByRole('region', { name: 'The digest email as HTML' });
      const shown = await preview.innerText();
      assert(shown.includes('The period in figures'), `the HTML preview reads ${JSON.stringify(shown.slice(0, 200))}`);
      assert((await preview.locator('script').count()) === 0, 'a script in the preview');
      const text = await viewer.locator('pre.digest-text').innerText();
      assert(text.includes('THE PERIOD IN FIGURES'), 'no text version');
      const detail = await noHorizontalOverflow(viewer);
      await shot(viewer, file);
      return detail;
    });
  }
});
