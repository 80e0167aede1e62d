// Real-browser test of the office's console: an office PC (1366 × 768) and a tablet sign in,
// read the campaigns, a campaign's dashboard, the units and the accounts, switch to English
// and sign out; every page checked with axe-core and found to carry no script at all (the console
// works without JavaScript; axe itself runs through the DevTools protocol, which needs it
// on). Screenshots go to $ARTIFACTS.
import { accessible, artifacts, base, browser, check, checked, expect, finish } from './common.mjs';

const username = process.env.PINGYI_ADMIN;
const password = process.env.PINGYI_ADMIN_PASSWORD;

async function office(viewport = { width: 1366, height: 768 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  const foreign = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) foreign.push(request.url()); });
  return { context, page, foreign };
}

async function signIn(page) {
  await page.goto(`${base}/console/`);
  expect(page.url().endsWith('/console/sign-in'), `sent to sign in, at ${page.url()}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  expect(page.url().endsWith('/console/'), `signed in, at ${page.url()}`);
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `${what} overflows sideways by ${overflow} px`);
}

await check('an office PC signs in and reads the campaigns, a dashboard, the units and the accounts', async () => {
  const { context, page, foreign } = await office();
  await page.goto(`${base}/console/sign-in`);
  expect((await page.locator('h1').textContent()) === '登录', 'the sign-in page in Chinese');
  await checked(page, 'the sign-in page');
  await page.screenshot({ path: `${artifacts}/console-sign-in.png` });
  await signIn(page);
  await checked(page, 'the campaigns');
  await page.screenshot({ path: `${artifacts}/console-campaigns.png`, fullPage: true });

  await page.click('a[href^="/console/campaigns/"] >> nth=0');
  expect((await page.locator('h2').allTextContents()).includes('样本量'), 'the dashboard has its samples');
  expect(await page.locator('tr.current').count() === 1, 'the current phase is marked');
  await checked(page, 'the dashboard');
  await noSidewaysScroll(page, 'the dashboard at 1366 px');
  await page.screenshot({ path: `${artifacts}/console-dashboard.png`, fullPage: true });

  await page.click('a[href$="/links"]');
  expect((await page.locator('h1').textContent()) === '链接与海报', 'the links page');
  expect(await page.locator('img[src$="/qr.svg"]').count() >= 1, 'each live link shows its QR code');
  await checked(page, 'the links page');
  await page.screenshot({ path: `${artifacts}/console-links.png`, fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="posters.zip?format=pdf"]')]);
  expect(download.suggestedFilename().startsWith('posters-'), `the posters download, ${download.suggestedFilename()}`);
  const saved = `${artifacts}/${download.suggestedFilename()}`;
  await download.saveAs(saved);
  const { statSync } = await import('node:fs');
  expect(statSync(saved).size > 10000, 'the posters are in it');

  await page.click('a[href="/console/units"]');
  expect((await page.locator('h1').textContent()) === '单位名录', 'the units page');
  expect(await page.locator('th.child').count() > 0, 'stations listed under their townships');
  await checked(page, 'the units');
  await page.screenshot({ path: `${artifacts}/console-units.png`, fullPage: true });

  await page.click('a[href="/console/accounts"]');
  expect((await page.locator('h1').textContent()) === '账号', 'the accounts page');
  expect((await page.content()).includes(username), 'the admin is listed');
  await checked(page, 'the accounts');
  await page.screenshot({ path: `${artifacts}/console-accounts.png`, fullPage: true });
  expect(foreign.length === 0, `requests left the service: ${foreign.join(', ')}`);
  await context.close();
});

await check('the office sets a campaign up: its scoring settings checked as typed, its units and questionnaires', async () => {
  const { context, page } = await office();
  await signIn(page);
  await page.click('a[href^="/console/campaigns/"] >> nth=0');
  const dashboard = page.url();
  await page.click('a[href$="/settings"]');
  expect((await page.locator('h1').textContent()) === '评分规则', 'the settings form');
  expect(await page.locator('#weights-error').isHidden(), 'the plan\'s weights make a hundred');
  const planned = await page.inputValue('#w_conference');
  await page.fill('#w_conference', String(Number(planned) + 10));
  await page.locator('#weights-error').waitFor({ state: 'visible', timeout: 5000 });
  expect((await page.locator('#weights-sum').textContent()) === '110', 'the sum follows the typing');
  await page.fill('#min_conference', '0');
  await page.locator('#min_conference-error').waitFor({ state: 'visible', timeout: 5000 });
  expect((await page.locator('#min_conference').getAttribute('aria-invalid')) === 'true', 'the field is marked');
  await accessible(page, 'the settings form with its problems shown');
  await page.screenshot({ path: `${artifacts}/console-settings-typing.png`, fullPage: true });
  await page.fill('#w_conference', planned);
  await page.fill('#min_conference', '10');
  await page.locator('#weights-error').waitFor({ state: 'hidden', timeout: 5000 });
  await page.locator('#min_conference-error').waitFor({ state: 'hidden', timeout: 5000 });
  await page.click('#settings button[type=submit]');
  expect((await page.locator('.notice').textContent()) === '已保存。', 'the settings are saved');
  await accessible(page, 'the settings form');
  await page.screenshot({ path: `${artifacts}/console-settings.png`, fullPage: true });

  await page.goto(dashboard);
  await page.click('a[href$="/members"]');
  expect((await page.locator('h1').textContent()) === '参评单位', 'the units evaluated');
  await checked(page, 'the units evaluated');
  await page.screenshot({ path: `${artifacts}/console-members.png`, fullPage: true });

  await page.goto(dashboard);
  await page.click('a[href$="/questionnaires"]');
  expect((await page.locator('h1').textContent()) === '问卷', 'the questionnaires');
  await checked(page, 'the questionnaires');
  await page.screenshot({ path: `${artifacts}/console-questionnaires.png`, fullPage: true });
  await page.click('a[href$="/preview"] >> nth=0');
  expect((await page.locator('h1').textContent()) === '（示例单位）', 'the preview as a citizen sees it');
  expect(await page.locator('button[type=submit]').isDisabled(), 'the preview sends nothing');
  await accessible(page, 'the questionnaire preview');
  await page.screenshot({ path: `${artifacts}/console-questionnaire-preview.png`, fullPage: true });
  await context.close();

  const plain = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', javaScriptEnabled: false });
  const noScript = await plain.newPage();
  await signIn(noScript);
  await noScript.goto(dashboard.replace(/\/?$/, '/settings'));
  await noScript.fill('#excellent_min', '60');
  await noScript.click('#settings button[type=submit]');
  expect((await noScript.locator('.alert a[href="#excellent_min"]').textContent()) === '优秀线不能低于合格线。',
    'without JavaScript the server names the problem');
  await plain.close();
});

await check('the office makes a link and sets its times, checks for bursts, adds an API client, and reads the rectification board', async () => {
  const { context, page } = await office();
  await signIn(page);
  await page.click('a[href^="/console/campaigns/"] >> nth=0');
  const dashboard = page.url();
  await page.click('a[href$="/links"]');
  await page.selectOption('#channel', 'other');
  await page.fill('#closes', '2030-12-31T18:00');
  await page.click('form[action$="/links"] button[type=submit]');
  expect((await page.locator('.notice').textContent()) === '已生成链接。', 'the link is made');
  await page.locator('tbody tr', { has: page.locator('td', { hasText: /^其他$/ }) })
    .locator('a[href^="/console/links/"]').first().click();
  expect((await page.locator('#closes').inputValue()) === '2030-12-31T18:00', 'its closing time, as typed');
  await page.fill('#closes', '2030-12-30T18:00');
  await page.click('form[action$="/window"] button[type=submit]');
  expect((await page.locator('.notice').textContent()) === '已保存。', 'its times are saved');
  await checked(page, 'a link\'s settings');
  await page.screenshot({ path: `${artifacts}/console-link.png`, fullPage: true });

  await page.goto(dashboard);
  await page.click('a[href$="/integrity"]');
  expect((await page.locator('h1').textContent()) === '数据核查', 'the bursts to review');
  await page.click('button:has-text("立即检查")');
  expect((await page.locator('[role=status]').textContent()) === '已检查。', 'checked at once');
  expect((await page.content()).includes('上次检查'), 'when it was checked');
  await checked(page, 'the bursts to review');
  await page.screenshot({ path: `${artifacts}/console-integrity.png`, fullPage: true });

  await page.goto(dashboard);
  await page.click('a[href$="/rectification"]');
  expect((await page.locator('h1').textContent()) === '问题与整改', 'the rectification board');
  await page.fill('#p-text', '窗口排队时间过长');
  await page.check('form[action$="/rectification/problems"] input[name=public]');
  await page.click('form[action$="/rectification/problems"] button[type=submit]');
  expect((await page.locator('.notice').textContent()) === '已保存。', 'the problem is recorded');
  await page.click('details summary');
  await page.locator('details textarea').fill('增设两个窗口，推行预约办理');
  await page.locator('details input[name=responsible]').fill('办公室主任');
  await page.locator('details input[name=deadline]').fill('2020-01-15');
  await page.click('details button[type=submit]');
  expect((await page.locator('tbody th').first().textContent()) === '增设两个窗口，推行预约办理', 'the measure is listed');
  expect(await page.locator('tbody .tag').count() === 1, 'past its deadline: marked overdue');
  await checked(page, 'the rectification board');
  await page.screenshot({ path: `${artifacts}/console-rectification.png`, fullPage: true });

  // The problem made public is on the notice board, with its measure but not who is responsible.
  const board = page.url();
  await page.click('a[href^="/notice/"]');
  expect((await page.locator('h1').textContent()) === '整改公示', 'the campaign\'s notice board');
  await checked(page, 'the notice board');
  await page.locator('h2 a').first().click();
  expect((await page.content()).includes('增设两个窗口，推行预约办理'), 'the measure is public');
  expect(!(await page.content()).includes('办公室主任'), 'the responsible post is not');
  await checked(page, 'a unit\'s notice board');
  await page.screenshot({ path: `${artifacts}/notice-board-unit.png`, fullPage: true });
  await page.goto(board);

  // Before and after: a unit's comparison, and its second window set.
  await page.click('a[href$="/before-after"]');
  expect((await page.locator('h1').textContent()).startsWith('整改前后对比'), 'the before-and-after page');
  await page.selectOption('#b-unit', { label: '区交通运输局' });
  await page.click('form[method=get][action$="/before-after"] button[type=submit]');
  await page.fill('#b-opens', '2017-11-01T08:00');
  await page.fill('#b-closes', '2017-11-20T18:00');
  await page.click('form[method=post][action$="/before-after"] button[type=submit]');
  expect((await page.locator('[role=status]').textContent()).includes('已保存'), 'the window is saved');
  const shown = await page.locator('main').innerText();
  expect(shown.includes('2017-11-01 08:00 – 2017-11-20 18:00'), `and shown: ${shown.slice(0, 500)}`);
  await checked(page, 'the before-and-after page');
  await page.screenshot({ path: `${artifacts}/console-before-after.png`, fullPage: true });
  await page.goto(board.split('?')[0].replace(/\/rectification$/, ''));
  await page.click('a[href$="/townships"]');
  expect((await page.locator('h1').textContent()) === '乡镇汇总', 'the township report');
  expect((await page.locator('#t-unit option').allTextContents()).includes('元坝镇'), 'the demo\'s township offered');
  await checked(page, 'the township report');
  await page.screenshot({ path: `${artifacts}/console-township.png`, fullPage: true });
  await page.goto(board);

  await page.click('a[href="/console/clients"]');
  expect((await page.locator('h1').textContent()) === '接口客户端', 'the API clients');
  await checked(page, 'the API clients');
  await page.fill('#name', '某某调查公司');
  await page.click('form[action="/console/clients"] button[type=submit]');
  expect((await page.locator('.secret code').textContent()).startsWith('pys_'), 'the secret, shown once');
  await checked(page, 'the client secret');
  await page.click('.crumb a');
  expect((await page.locator('h1').textContent()) === '某某调查公司', 'the client\'s page');
  await checked(page, 'a client\'s page');
  await page.screenshot({ path: `${artifacts}/console-client.png`, fullPage: true });
  await context.close();
});

await check('the office adds a unit by hand, a bad code named', async () => {
  const { context, page } = await office();
  await signIn(page);
  await page.goto(`${base}/console/units`);
  await page.click('a[href="/console/units/new"]');
  await checked(page, 'the unit form');
  await page.fill('#code', 'bad code');
  await page.fill('#name', '区档案馆');
  await page.click('button:has-text("保存")');
  expect((await page.locator('[role=alert]').textContent()).includes('代码只能由字母'), 'a bad code is named');
  await checked(page, 'the unit form with a problem');
  await page.screenshot({ path: `${artifacts}/console-unit-form.png`, fullPage: true });
  await page.fill('#code', 'dagj');
  await page.click('button:has-text("保存")');
  expect((await page.locator('[role=status]').textContent()).includes('已保存'), 'saved');
  await context.close();
});

await check('the console in English, on a tablet, and signing out', async () => {
  const { context, page } = await office({ width: 768, height: 1024 });
  await signIn(page);
  await page.click('a[lang="en"]');
  expect((await page.locator('h1').textContent()) === 'Campaigns', 'the campaigns in English');
  expect(await page.getAttribute('html', 'lang') === 'en', 'the page says it is English');
  await checked(page, 'the English campaigns');
  await page.click('a[href^="/console/campaigns/"] >> nth=0');
  await checked(page, 'the English dashboard');
  await noSidewaysScroll(page, 'the dashboard on a tablet');
  await page.screenshot({ path: `${artifacts}/console-dashboard-tablet-en.png`, fullPage: true });
  await page.click('button:has-text("Sign out")');
  expect(page.url().includes('/console/sign-in'), `signed out, at ${page.url()}`);
  expect((await page.locator('[role=status]').textContent()).includes('signed out'), 'told so');
  await checked(page, 'the signed-out page');
  await page.goto(`${base}/console/`);
  expect(page.url().endsWith('/console/sign-in'), 'the console asks to sign in again');
  await context.close();
});

await finish();
