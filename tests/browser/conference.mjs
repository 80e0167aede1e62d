// Real-browser test of the conference room: the office opens a session of the demo's 2017
// campaign from the console, prints the ballot-code slips, ten representatives score on
// phones the size of WeChat's browser, two paper ballots are entered by two clerks each (one
// after a disagreement), and the projector at 1920 × 1080 follows the count and then shows
// the results. Every page is checked with axe-core; all but the projector (whose live count
// is an enhancement) carry no script. Screenshots go to $ARTIFACTS.
import { accessible, api, artifacts, base, browser, check, checked, consoleAs, expect, finish } from './common.mjs';

const username = process.env.PINGYI_ADMIN;
const password = process.env.PINGYI_ADMIN_PASSWORD;
const wechat = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
  + 'Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN';

async function token(name, secret) {
  const grant = await api('POST', '/auth/token', null, { grant_type: 'password', username: name, password: secret });
  return grant.access_token;
}

// A finger on the submit button, and the page it leads to.
async function submit(page) {
  await Promise.all([page.waitForNavigation(), page.tap('button[type=submit]')]);
}

// The demo's 2017 campaign, and a second clerk.
const admin = await token(username, password);
const campaigns = await api('GET', '/campaigns', admin);
const year = (campaigns.items ?? campaigns).find((c) => c.year === 2017);
const secondName = 'clerk-two';
const secondPassword = 'second clerk password';
await api('POST', '/accounts', admin, { username: secondName, password: secondPassword, role: 'admin' });

let sessionPage;
let codes = [];

await check('the office moves the campaign on to its assessment phase from the dashboard', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(`${base}/console/campaigns/${year.id}`);
  for (const next of ['整改落实', '考核总结']) {
    await page.click(`button:has-text("进入下一阶段：${next}")`);
    expect((await page.locator('[role=status]').textContent()) === '评议活动已进入下一阶段。', `moved on to ${next}`);
    expect((await page.locator('.phase strong').textContent()) === next, `now in ${next}`);
  }
  await checked(page, 'the dashboard after moving on');
  await context.close();
});

await check('the office opens a session, adds representatives and prints their slips', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(`${base}/console/campaigns/${year.id}`);
  await page.click(`a[href="/console/campaigns/${year.id}/conference"]`);
  expect((await page.locator('h1').textContent()) === '大会测评', 'the conference page');
  await page.selectOption('#group', 'deputies');
  await page.fill('#count', '12');
  await page.click('button:has-text("添加代表")');
  expect((await page.content()).includes('E-001–E-012'), 'twelve representatives listed');
  await checked(page, 'the conference page');
  await page.screenshot({ path: `${artifacts}/console-conference.png`, fullPage: true });

  await page.click('button:has-text("开始一场测评")');
  expect(page.url().includes('/console/conference/'), `the session page, at ${page.url()}`);
  sessionPage = page.url();
  await checked(page, 'the session page');
  await page.screenshot({ path: `${artifacts}/console-conference-session.png`, fullPage: true });

  await page.click('button:has-text("生成并打印纸条")');
  codes = await page.locator('.slip .code').allTextContents();
  expect(codes.length === 12, `twelve slips, found ${codes.length}`);
  expect(await page.locator('.slip svg.qr').count() === 12, 'a QR code on every slip');
  await checked(page, 'the slips');
  await page.screenshot({ path: `${artifacts}/console-slips.png`, fullPage: true });
  // Printed on A4: eight slips to a page, so two pages.
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  expect(pages === 2, `the slips print on two A4 pages, not ${pages}`);
  await context.close();
});

// Representative `n` scores on a phone the size of WeChat's browser, from the slip's link;
// the first looks at everything on the way.
async function phoneBallot(n) {
  const session = sessionPage.split('/').pop();
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, userAgent: wechat, locale: 'zh-CN',
  });
  const page = await context.newPage();
  await page.goto(`${base}/conference/${session}/ballot?code=${codes[n]}`);
  expect(await page.inputValue('#code') === codes[n], 'the code from the slip is filled in');
  const groups = await page.locator('fieldset .opts').count();
  expect(groups >= 2, `the session's units on one page, found ${groups}`);
  const radios = page.locator('fieldset .opts');
  if (n === 0) {
    await checked(page, 'the phone ballot');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `the ballot overflows sideways by ${overflow} px`);
    await page.screenshot({ path: `${artifacts}/conference-ballot-phone.png`, fullPage: true });
    // Sent with nothing chosen: each unit is named, in Chinese.
    await submit(page);
    const named = await page.locator('[role=alert] li').count();
    expect(named === groups, `every unit left out is named: ${named} of ${groups}`);
    expect((await page.locator('[role=alert]').textContent()).includes('请评价'), 'in Chinese');
    await checked(page, 'the ballot with its problems');
    await page.screenshot({ path: `${artifacts}/conference-ballot-problems.png`, fullPage: true });
  }
  // Each representative's own choices: the first unit's level varies, the others satisfied.
  const levels = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dont_know'];
  for (let g = 0; g < groups; g += 1) {
    const level = g === 0 ? levels[n % levels.length] : 'satisfied';
    await radios.nth(g).locator(`input[value="${level}"]`).check();
  }
  await submit(page);
  expect(page.url().includes('/ballot/counted'), `counted, at ${page.url()}`);
  expect((await page.locator('[role=status]').textContent()).includes('已经计入'), 'a clear confirmation');
  if (n === 0) {
    await checked(page, 'the confirmation');
    await page.screenshot({ path: `${artifacts}/conference-ballot-counted.png` });
    await page.goto(`${base}/conference/${session}/ballot?code=${codes[0]}`);
    for (let g = 0; g < groups; g += 1) await radios.nth(g).locator('input[value="satisfied"]').check();
    await submit(page);
    expect((await page.locator('.err').first().textContent()).includes('已经使用过'), 'a code votes once');
  }
  await context.close();
}

await check('nine representatives score on their phones in WeChat\'s browser size', async () => {
  for (let n = 0; n < 9; n += 1) await phoneBallot(n);
});

await check('two paper ballots are entered by two clerks each, one after a disagreement', async () => {
  const first = await consoleAs(username, password);
  const second = await consoleAs(secondName, secondPassword);
  const enter = async (page, code, level) => {
    await page.goto(`${sessionPage}/paper`);
    await page.fill('#code', code);
    const groups = page.locator('fieldset .opts');
    const count = await groups.count();
    for (let g = 0; g < count; g += 1) {
      await groups.nth(g).locator(`input[value="${g === 0 ? level : 'satisfied'}"]`).check();
    }
    await page.click('button:has-text("保存录入")');
    return page.locator('[role=status]').textContent();
  };
  expect((await enter(first.page, codes[10], 'satisfied')).includes('已录入一次'), 'the first entry waits');
  await checked(first.page, 'the paper entry page');
  await first.page.screenshot({ path: `${artifacts}/console-paper-entry.png`, fullPage: true });
  expect((await enter(second.page, codes[10], 'satisfied')).includes('已计入'), 'two equal entries count');

  expect((await enter(first.page, codes[11], 'very_satisfied')).includes('已录入一次'), 'waits');
  const disagreement = await enter(second.page, codes[11], 'satisfied');
  expect(disagreement.includes('不一致'), `a disagreement is flagged: ${disagreement}`);
  await second.page.goto(sessionPage);
  expect((await second.page.locator('td.short').count()) === 1, 'the session page lists the disagreement');
  await checked(second.page, 'the session page with a disagreement');
  await second.page.screenshot({ path: `${artifacts}/console-paper-mismatch.png`, fullPage: true });
  expect((await enter(first.page, codes[11], 'satisfied')).includes('已计入'), 'the re-entry agreeing counts it');
  await first.page.goto(`${sessionPage.replace('/console/conference/', '/console/conference/')}/paper-form`);
  await checked(first.page, 'the blank paper ballot');
  await first.page.screenshot({ path: `${artifacts}/console-paper-form.png`, fullPage: true });
  await first.context.close();
  await second.context.close();
});

await check('the projector shows the count live, then the results sorted, at 1920 × 1080', async () => {
  const session = sessionPage.split('/').pop();
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  const hall = await context.newPage();
  await hall.goto(`${base}/conference/${session}`);
  expect((await hall.locator('.figure').textContent()) === '11', 'eleven ballots counted');
  expect(await hall.getAttribute('html', 'lang') === 'zh-CN', 'Chinese in the hall, whatever the browser prefers');
  expect((await hall.locator('h1').textContent()) === year.title, 'the campaign\'s name');
  await accessible(hall, 'the projector while voting');
  // The tenth phone ballot shows on the screen as it is counted.
  await phoneBallot(9);
  await hall.waitForFunction(() => document.getElementById('count').textContent === '12', null, { timeout: 10000 });
  await hall.screenshot({ path: `${artifacts}/conference-projector-open.png` });

  const { context: office, page } = await consoleAs(username, password);
  await page.goto(sessionPage);
  await page.click('button:has-text("结束本场测评")');
  expect((await page.locator('#tally + table tbody tr').count()) >= 2, 'the tally in the console');
  await office.close();

  // The page follows the tally and reloads itself when the session closes: the results
  // arrive without a touch.
  await hall.waitForSelector('table', { timeout: 10000 });
  const headings = await hall.locator('thead th').allTextContents();
  expect(['名次', '单位', '有效票', '得分'].every((h) => headings.includes(h)), `headings: ${headings}`);
  const scores = (await hall.locator('td.score').allTextContents()).map(Number);
  expect(scores.every((s, i) => i === 0 || scores[i - 1] >= s), `sorted from the highest: ${scores}`);
  const fits = await hall.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight);
  expect(fits, 'the results fit the screen');
  await checked(hall, 'the projector with the results');
  await hall.screenshot({ path: `${artifacts}/conference-projector-results.png` });
  await context.close();
});

await finish();
