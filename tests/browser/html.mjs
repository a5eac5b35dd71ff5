#!/usr/bin/env node
// Markup check: the main pages of a populated Sitrep (status pages, incident
// pages, history, subscribe, the console's pages) pass the Nu HTML Checker
// (the `vnu-jar` package, run with the system `java`) without an error.
//
//   SITREP_BIN=/path/to/sitrep node html.mjs
// Prints one line per check and "N passed, M failed"; each error the checker
// finds is printed with its page, line and message.

import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { here, check, assert, runSuite, runSitrep, signIn } from './lib.mjs';

const ADMIN = 'admin@example.com';
const VNU = path.join(here, 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar');

/** Runs the checker on `files`; resolves to its JSON messages. */
function vnu(files) {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-jar', VNU, '--errors-only', '--format', 'json', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', () => {
      // The JSON report goes to stderr; its exit code is 1 when it found errors.
      const text = err.trim() || out.trim();
      try {
        resolve(JSON.parse(text).messages ?? []);
      } catch {
        reject(new Error(`the checker printed no JSON report: ${text.slice(0, 500)}`));
      }
    });
  });
}

await runSuite({
  tmpPrefix: 'sitrep-html-',
  users: [[ADMIN, 'admin']],
  usersCheck: 'sitrep user add creates an admin',
}, async ({ base, env, tmp, newContext }) => {
  let token;
  const api = async (method, url, body) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert(res.ok, `${method} ${url}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  const ids = {};
  await check('a component, a group, an incident with two updates and a maintenance exist', async () => {
    token = (await runSitrep(['token', 'create', '--email', ADMIN, '--name', 'html-check'], { env, cwd: tmp, input: '' })).trim().split('\n').pop();
    const group = await api('POST', '/component-groups', { name: 'Platform' });
    const component = await api('POST', '/components', { name: 'API', group_id: group.id });
    await api('POST', '/components', { name: 'Back office', audience: 'internal' });
    const incident = await api('POST', '/incidents', {
      name: 'Checkout errors', impact: 'major', urgency: 'high',
      update: { external_body: 'We are **investigating**.', internal_body: 'Pager went off.', components: { [component.id]: 'partial_outage' } },
    });
    await api('POST', `/incidents/${incident.id}/updates`, { status: 'identified', external_body: 'Found it.', internal_body: 'A bad deploy.' });
    const maintenance = await api('POST', '/maintenances', {
      name: 'Database upgrade', body: 'Short read-only window.',
      scheduled_for: '2031-03-01T02:00:00Z', scheduled_until: '2031-03-01T04:00:00Z', components: [component.id],
    });
    const templates = await api('GET', '/templates');
    Object.assign(ids, { group: group.id, component: component.id, incident: incident.id, maintenance: maintenance.id, template: templates[0]?.id });
    return JSON.stringify(ids);
  }, { fatal: true });

  const pages = [
    '/', `/incidents/${ids.incident}`, '/history', '/subscribe',
    '/internal', `/internal/incidents/${ids.incident}`, '/internal/history', '/internal/subscribe',
    '/admin', '/admin/incidents', '/admin/incidents/new', `/admin/incidents/${ids.incident}`,
    `/admin/incidents/${ids.incident}/report`,
    '/admin/maintenances', '/admin/maintenances/new', `/admin/maintenances/${ids.maintenance}/edit`,
    '/admin/templates', '/admin/templates/new', `/admin/templates/${ids.template}`,
    '/admin/components/new', `/admin/components/${ids.component}/edit`, '/admin/groups/new', `/admin/groups/${ids.group}/edit`,
    '/admin/audit', '/admin/roster', '/admin/metrics', '/admin/digest', '/admin/subscribers', '/admin/notifications', '/admin/webhooks',
  ];

  const context = await newContext('admin');
  const files = new Map();
  await check(`the ${pages.length + 1} pages load (signed in as an admin)`, async () => {
    const dir = path.join(tmp, 'html');
    await mkdir(dir, { recursive: true });
    const save = async (url, html) => {
      const file = path.join(dir, `${files.size}-${url.replace(/[^a-z0-9]+/gi, '_')}.html`);
      await writeFile(file, html);
      files.set(file, url);
    };
    const login = await context.request.get('/admin/login');
    assert(login.status() === 200, `/admin/login: HTTP ${login.status()}`);
    await save('/admin/login', await login.text());
    const page = await context.newPage();
    await page.goto('/admin/login');
    await signIn(page, ADMIN);
    for (const url of pages) {
      const res = await context.request.get(url, { maxRedirects: 0 });
      assert(res.status() === 200, `${url}: HTTP ${res.status()}`);
      await save(url, await res.text());
    }
    return `${files.size} pages`;
  }, { fatal: true });

  await check('the Nu HTML Checker finds no error on any page', async () => {
    const messages = await vnu([...files.keys()]);
    const errors = messages.filter((m) => m.type === 'error' || m.subType === 'fatal');
    for (const m of errors) {
      const file = m.url ? decodeURIComponent(new URL(m.url).pathname) : '';
      console.log(`       ${files.get(file) ?? file}:${m.lastLine ?? '?'}: ${m.message}${m.extract ? `\n         ${JSON.stringify(m.extract.trim())}` : ''}`);
    }
    assert(errors.length === 0, `${errors.length} error(s), listed above`);
    return `${files.size} pages checked`;
  });
});
