// What the real-browser tests share: Debian's Chromium through playwright-core, named checks
// that report TAP-like lines, and axe-core run on a page.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

export const base = process.env.PINGYI_URL;
export const artifacts = process.env.ARTIFACTS ?? 'test-artifacts';
mkdirSync(artifacts, { recursive: true });
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

let passed = 0;
let failed = 0;
export async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(error.stack ?? error).split('\n').join('\n  ')}`);
  }
}

// How many checks have failed so far.
export function failures() {
  return failed;
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// axe-core's WCAG 2.1 A/AA rules and best practices; evaluated through the DevTools protocol,
// which the page's content security policy does not govern.
export async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
  }));
  expect(result.passes.length >= 10, `${what}: axe-core ran only ${result.passes.length} checks`);
  const found = result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help}`);
  expect(found.length === 0, `${what}: axe-core found ${found.join('; ')}`);
}

// Accessible, and carrying no script: the page works without JavaScript.
export async function checked(page, what) {
  expect(await page.locator('script').count() === 0, `${what} carries a script`);
  await accessible(page, what);
}

// A call of the JSON API, its answer parsed; anything but a success fails the check.
export async function api(method, path, token, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// An office PC (1366 × 768) signed in to the console as `name`.
export async function consoleAs(name, secret) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${base}/console/sign-in`);
  await page.fill('#username', name);
  await page.fill('#password', secret);
  await page.click('button[type=submit]');
  expect(page.url().endsWith('/console/'), `${name} signed in, at ${page.url()}`);
  return { context, page };
}

// Closes the browser and exits with the outcome.
export async function finish() {
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
