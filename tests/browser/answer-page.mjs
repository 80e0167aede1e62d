// Real-browser test of the answer page: a phone-sized Chromium answers every question and
// submits, once with JavaScript and once without; screenshots go to $ARTIFACTS.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.env.PINGYI_URL;
const slug = process.env.PINGYI_SLUG;
const artifacts = process.env.ARTIFACTS ?? 'test-artifacts';
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(error.stack ?? error).split('\n').join('\n  ')}`);
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function phone(javaScriptEnabled, width = 360) {
  const context = await browser.newContext({
    viewport: { width, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN', javaScriptEnabled,
  });
  const page = await context.newPage();
  const foreign = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) foreign.push(request.url()); });
  return { context, page, foreign };
}

async function answerAll(page, choice) {
  const groups = await page.locator('fieldset').all();
  expect(groups.length === 7, `expected 7 rating questions, found ${groups.length}`);
  for (const group of groups) await group.locator('label.opt').nth(choice).click();
  await page.fill('textarea', '窗口排队时间可以再短一些');
}

for (const [javaScript, choice] of [[true, 1], [false, 2]]) {
  const mode = javaScript ? 'js' : 'nojs';
  await check(`answering and submitting on a phone (${mode})`, async () => {
    const { context, page, foreign } = await phone(javaScript);
    const response = await page.goto(`${base}/s/${slug}`);
    expect(response.status() === 200, `status ${response.status()}`);
    expect((await page.locator('h1').textContent()).includes('区交通运输局'), 'unit name shown');
    await page.screenshot({ path: `${artifacts}/answer-page-${mode}.png`, fullPage: true });
    await answerAll(page, choice);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=感谢您的评价', { timeout: 10000 });
    await page.screenshot({ path: `${artifacts}/thank-you-${mode}.png`, fullPage: true });
    expect(foreign.length === 0, `requests left the service: ${foreign.join(', ')}`);
    await page.goto(`${base}/s/${slug}`);
    expect(await page.locator('text=您已经提交过本问卷').count() === 1, 'a second visit is recognised');
    await context.close();
  });
}

await check('inline validation marks unanswered questions without leaving the page (js)', async () => {
  const { context, page } = await phone(true);
  await page.goto(`${base}/s/${slug}`);
  await page.locator('fieldset').first().locator('label.opt').first().click();
  await page.click('button[type=submit]');
  await page.waitForSelector('#err-fair_enforcement:not(:empty)');
  expect(await page.locator('#err-lawful_duty').textContent() === '', 'answered question not marked');
  const focused = await page.evaluate(() => document.activeElement?.name);
  expect(focused === 'a.fair_enforcement', `focus moved to the first unanswered question, got ${focused}`);
  expect(page.url().endsWith(`/s/${slug}`), 'no navigation');
  await page.screenshot({ path: `${artifacts}/inline-errors-js.png`, fullPage: false });
  await context.close();
});

await check('usable at 320 px wide: nothing overflows sideways', async () => {
  const { context, page } = await phone(true, 320);
  await page.goto(`${base}/s/${slug}?lang=en`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 0, `horizontal overflow of ${overflow}px`);
  const tapTarget = await page.locator('label.opt').first().boundingBox();
  expect(tapTarget.height >= 44, `tap target ${tapTarget.height}px high`);
  await context.close();
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
