// Real-browser test of the citizens' pages: a phone-sized Chromium answers every question and
// submits, with JavaScript and without; two neighbours behind one address; a tablet at a
// service window; every page checked with axe-core. Screenshots go to $ARTIFACTS.
import { accessible, artifacts, base, browser, check, expect, finish } from './common.mjs';

const slug = process.env.PINGYI_SLUG;
const kioskSlug = process.env.PINGYI_KIOSK_SLUG;
const resultsUrl = process.env.PINGYI_RESULTS_URL;

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
    expect((await page.locator('p.intro').textContent()).includes('匿名填写'), 'the introduction says it is anonymous');
    await page.screenshot({ path: `${artifacts}/answer-page-${mode}.png`, fullPage: true });
    if (javaScript) await accessible(page, 'the answer page');
    await answerAll(page, choice);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=感谢您对区交通运输局的评价！', { timeout: 10000 });
    await page.screenshot({ path: `${artifacts}/thank-you-${mode}.png`, fullPage: true });
    if (javaScript) await accessible(page, 'the thank-you');
    expect(foreign.length === 0, `requests left the service: ${foreign.join(', ')}`);
    await page.goto(`${base}/s/${slug}`);
    expect(await page.locator('text=您已经提交过本问卷').count() === 1, 'a second visit is recognised');
    if (javaScript) await accessible(page, 'the already-answered page');
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

await check('two neighbours behind one address give the same answers: both are counted (js)', async () => {
  const first = await phone(true);
  const second = await phone(true);
  for (const { page } of [first, second]) {
    await page.goto(`${base}/s/${slug}`);
    await answerAll(page, 0);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=感谢您对区交通运输局的评价！', { timeout: 10000 });
  }
  // The first one again, on a fresh page (as if the "answered" note were cleared): a repeat,
  // explained in Chinese.
  await first.context.clearCookies({ name: new RegExp(`^pingyi_done_`) });
  await first.page.goto(`${base}/s/${slug}`);
  await answerAll(first.page, 0);
  await first.page.click('button[type=submit]');
  await first.page.waitForSelector('text=这份答卷刚刚已经提交', { timeout: 10000 });
  const text = await first.page.locator('main').textContent();
  expect(!/[A-Za-z]{4,}/.test(text.replace('English', '')), `no English on the Chinese page: ${text}`);
  await first.page.screenshot({ path: `${artifacts}/repeat-js.png`, fullPage: true });
  await accessible(first.page, 'the repeat page');
  await first.context.close();
  await second.context.close();
});

await check('a tablet at the window serves one citizen after another (kiosk, js)', async () => {
  const { context, page } = await phone(true, 800);
  await page.goto(`${base}/s/${kioskSlug}`);
  for (const citizen of [1, 2]) {
    await answerAll(page, 0);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=感谢您对区交通运输局的评价！', { timeout: 10000 });
    await page.screenshot({ path: `${artifacts}/kiosk-thanks-${citizen}.png`, fullPage: true });
    await page.click('text=下一位评价');
    await page.waitForSelector('form#survey');
    expect(await page.locator('input:checked').count() === 0, 'a fresh, empty form');
  }
  await context.close();
});

await check('the other public pages are accessible too', async () => {
  const { context, page } = await phone(true);
  const missing = await page.goto(`${base}/s/nosuchlink`);
  expect(missing.status() === 404, `status ${missing.status()}`);
  expect((await page.locator('h1').textContent()) === '找不到这份问卷', 'a page in Chinese');
  await accessible(page, 'the not-found page');
  await page.goto(`${base}/s/${slug}?lang=en`);
  await accessible(page, 'the English answer page');
  const published = await (await fetch(resultsUrl)).json();
  await page.goto(`${base}/api/v1/public/results/${published.id}/report.html`);
  await page.screenshot({ path: `${artifacts}/results-report.png`, fullPage: true });
  await accessible(page, 'the printable results');
  await context.close();
});

await finish();
