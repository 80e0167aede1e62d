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

// Closes the browser and exits with the outcome.
export async function finish() {
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
