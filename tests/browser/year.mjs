// Real-browser test of a whole year run from the console, in the order an evaluation office
// runs it, on a fresh demo server (2016 evaluated, 2017 in its survey): the office imports
// twelve units from an XLSX file, adds its colleagues (a second clerk, two approvers) who set
// their own passwords, sets 2018 up by copying 2016 (the year with an approved result: its
// bottom units carried over), adds imported units to the year, publishes its questionnaires
// and makes every unit a link, opens the survey, downloads the posters; citizens answer three links on
// their phones; the office adds the plan's deliverables and a unit hands its plan in through
// the upload form (late, sent back with a comment, handed in again, accepted and published on
// the notice board), and its rectification report, which a representative reads with the code
// on a slip; the office moves the year on to its assessment, runs the conference (ten
// phone ballots, two paper ballots entered twice, the projector), records a supervision
// notice and a violation, computes the result, two approvers approve it, the office
// publishes it and the public reads it, issues the official notice (通报) whose PDF pdf.js
// draws and reads; then 2019 is set up from 2018 with its bottom units
// carried over. Every page is checked with axe-core, and every page but the projector
// (whose live count is an enhancement) carries no script. Screenshots go to $ARTIFACTS.
import { readFileSync, statSync } from 'node:fs';
import {
  accessible, api, artifacts, base, browser, check, checked, consoleAs, expect, failures, finish,
} from './common.mjs';

const username = process.env.PINGYI_ADMIN;
const password = process.env.PINGYI_ADMIN_PASSWORD;
const wechat = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
  + 'Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI Language/zh_CN';

// The imported units this year evaluates, and the three whose links citizens answer.
const evaluated = ['区民政局', '区人力资源和社会保障局', '区市场监督管理局', '区住房和城乡建设局', '区生态环境分局',
  '区燃气公司', '区电信分公司'];
const answered = ['区民政局', '区人力资源和社会保障局', '区燃气公司'];
const colleagues = { clerk: 'clerk-two', approvers: ['approver-one', 'approver-two'] };
const passwords = {};

let dashboard;
let carried;
let members;
let campaignId;
let sessionPage;
let codes = [];
let versionPage;

// A step of the year: each needs the ones before it, so after a failure the rest are
// reported as not run rather than failing for the same reason.
async function step(name, body) {
  if (failures() > 0) {
    await check(name, async () => { throw new Error('not run: an earlier step failed'); });
  } else {
    await check(name, body);
  }
}

// Picks the option of a select naming `name` (alone, or followed by its code in brackets).
async function choose(page, select, name) {
  const labels = await page.locator(`${select} option`).allTextContents();
  const label = labels.find((l) => l === name || l.startsWith(`${name}（`));
  expect(label !== undefined, `${name} is offered in ${select}: ${labels.join(', ')}`);
  await page.selectOption(select, { label });
}

// A form's notice after submitting it; without one, what the page said instead.
async function status(page) {
  const notice = page.locator('[role=status]');
  if (await notice.count() === 0) {
    const said = [(await page.locator('main').innerText()).slice(0, 400)];
    throw new Error(`no notice at ${page.url()}: ${said.join(' / ')}`);
  }
  return notice.first().textContent();
}

// A finger on the submit button, and the page it leads to.
async function submit(page) {
  await Promise.all([page.waitForNavigation(), page.tap('button[type=submit]')]);
}

// A phone the size of WeChat's browser.
async function phone() {
  const context = await browser.newContext({
    viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, userAgent: wechat, locale: 'zh-CN',
  });
  return { context, page: await context.newPage() };
}

// The dashboard's button moving the campaign on to `next`.
async function moveOn(page, next) {
  await page.goto(dashboard);
  await page.click(`button:has-text("进入下一阶段：${next}")`);
  expect((await status(page)) === '评议活动已进入下一阶段。', `moved on to ${next}`);
  expect((await page.locator('.phase strong').textContent()) === next, `now in ${next}`);
}

// A colleague's first sign-in with the one-time password the office was shown, and the
// password they choose then.
async function ownPassword(name, oneTime, check = false) {
  const own = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const theirs = await own.newPage();
  await theirs.goto(`${base}/console/sign-in`);
  await theirs.fill('#username', name);
  await theirs.fill('#password', oneTime);
  await theirs.click('button[type=submit]');
  expect(theirs.url().endsWith('/console/password'), `${name} is asked for a new password first`);
  if (check) await checked(theirs, 'the password change');
  passwords[name] = `${name} own password`;
  await theirs.fill('#current_password', oneTime);
  await theirs.fill('#new_password', passwords[name]);
  await theirs.fill('#repeat_password', passwords[name]);
  await theirs.click('form[action="/console/password"] button[type=submit]');
  expect((await status(theirs)).includes('密码已修改'), `${name}'s password is changed`);
  await own.close();
}

await step('the office signs in and imports twelve units from an XLSX file, checked first', async () => {
  const { context, page } = await consoleAs(username, password);
  const file = new URL('./fixtures/units.xlsx', import.meta.url).pathname;
  await page.click('a[href="/console/units"]');
  await page.setInputFiles('#file', file);
  await page.check('input[name=dry_run]');
  await page.click('button:has-text("导入")');
  expect((await status(page)).includes('将新增 12 个单位'), 'checked first, nothing written');
  await page.goto(`${base}/console/units`);
  expect(await page.locator('th:has-text("区民政局")').count() === 0, 'nothing written by the check');
  await page.setInputFiles('#file', file);
  await page.click('button:has-text("导入")');
  expect((await status(page)).includes('新增 12 个单位'), 'twelve units imported');
  await checked(page, 'the import result');
  await page.screenshot({ path: `${artifacts}/year-units-imported.png`, fullPage: true });
  await page.goto(`${base}/console/units`);
  expect(await page.locator('th.child:has-text("虎跳镇国土资源所")').count() === 1, 'the station under its township');
  await checked(page, 'the units');
  await page.screenshot({ path: `${artifacts}/year-units.png`, fullPage: true });
  await context.close();
});

await step('the office adds a second clerk and two approvers, who set their own passwords', async () => {
  const { context, page } = await consoleAs(username, password);
  const accounts = [[colleagues.clerk, 'admin'], ...colleagues.approvers.map((name) => [name, 'approver'])];
  for (const [name, role] of accounts) {
    await page.goto(`${base}/console/accounts`);
    await page.fill('#username', name);
    await page.selectOption('#role', role);
    await page.click('form[action="/console/accounts"] button[type=submit]');
    const oneTime = (await page.locator('.secret code').textContent()).trim();
    expect(oneTime.length >= 12, `${name}'s one-time password is shown`);
    if (name === colleagues.clerk) {
      await checked(page, 'the one-time password');
      await page.screenshot({ path: `${artifacts}/year-one-time-password.png` });
    }

    await ownPassword(name, oneTime, name === colleagues.clerk);
  }
  await page.goto(`${base}/console/accounts`);
  await checked(page, 'the accounts');
  await context.close();
});

await step('the office sets 2018 up from 2016, the year with an approved result', async () => {
  const { context, page } = await consoleAs(username, password);
  expect(await page.inputValue('#year') === '2018', 'the next year is offered');
  const offered = await page.locator('#copy_from option').allTextContents();
  expect(offered.some((t) => t.includes('2016')) && !offered.some((t) => t.includes('2017')),
    `only a year with an approved result is offered to copy: ${offered}`);
  await checked(page, 'the campaigns with the new campaign form');
  await page.fill('#title', '昭化区2018年度民主评议政风行风');
  await page.click('button:has-text("建立")');
  const notice = await status(page);
  carried = Number((notice.match(/(\d+) 个末位单位/) ?? [])[1]);
  expect(notice.includes('已按上一年度建立') && carried >= 1, `told what was carried: ${notice}`);
  dashboard = page.url().replace(/\?.*$/, '');
  campaignId = dashboard.split('/').pop();
  expect((await page.locator('h1').textContent()).includes('2018'), 'the new year\'s dashboard');
  await checked(page, 'the new year\'s dashboard');
  await page.screenshot({ path: `${artifacts}/year-dashboard.png`, fullPage: true });
  await context.close();
});

await step('the office adds imported units to the year, publishes its questionnaires and makes every unit a link', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(dashboard);
  await page.click('a[href$="/members"]');
  expect(await page.locator('tbody .tag').count() === carried, 'the carried units marked with their reason');
  for (const name of evaluated) {
    await choose(page, '#unit', name);
    await page.selectOption('#role', 'district_key');
    await page.click('form[action$="/members"] button[type=submit]');
    expect(await page.locator(`tbody th:text-is("${name}")`).count() === 1, `${name} is evaluated`);
  }
  members = await page.locator('tbody tr').count();
  expect(members === carried + evaluated.length, `the carried units and the added ones: ${members}`);
  await checked(page, 'the units evaluated');
  await page.screenshot({ path: `${artifacts}/year-members.png`, fullPage: true });

  await page.goto(`${dashboard}/questionnaires`);
  for (const category of ['government', 'public_service']) {
    await page.selectOption('#category', category);
    await page.click('form[action$="/questionnaires"] button[type=submit]');
    await page.goto(`${dashboard}/questionnaires`);
    await page.locator('form[action$="/publish"] button').first().click();
    await page.goto(`${dashboard}/questionnaires`);
  }
  expect(await page.locator('td:text-is("已发布")').count() === 2, 'a questionnaire of each category published');
  await checked(page, 'the questionnaires');
  await page.screenshot({ path: `${artifacts}/year-questionnaires.png`, fullPage: true });

  await page.goto(`${dashboard}/links`);
  const units = await page.locator('#unit option').allTextContents();
  expect(units.length === members, `every unit evaluated can have a link: ${units.length}`);
  for (const name of units) {
    const questionnaire = name.endsWith('公司') ? '公共服务' : '政府部门';
    const option = await page.locator('#questionnaire option', { hasText: questionnaire }).first().getAttribute('value');
    await page.selectOption('#questionnaire', option);
    await choose(page, '#unit', name);
    await page.selectOption('#channel', 'web');
    await page.click('form[action$="/links"] button[type=submit]');
    expect((await page.locator('.notice').textContent()) === '已生成链接。', `a link for ${name}`);
  }
  expect(await page.locator('img[src$="/qr.svg"]').count() === members, 'each link has its QR code');
  await checked(page, 'the links page');
  await page.screenshot({ path: `${artifacts}/year-links.png`, fullPage: true });
  await context.close();
});

await step('the office opens the survey and downloads the posters', async () => {
  const { context, page } = await consoleAs(username, password);
  await moveOn(page, '调查摸底');
  await checked(page, 'the dashboard in the survey');
  await page.click('a[href$="/links"]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href$="posters.zip?format=pdf"]')]);
  const saved = `${artifacts}/year-${download.suggestedFilename()}`;
  await download.saveAs(saved);
  expect(statSync(saved).size > 10000 * members, `a poster per link in ${download.suggestedFilename()}`);
  await context.close();
});

await step('citizens answer three units\' links on their phones, and the dashboard counts them', async () => {
  const { context: office, page } = await consoleAs(username, password);
  await page.goto(`${dashboard}/links`);
  for (const [n, name] of answered.entries()) {
    const url = await page.locator('tbody th', { hasText: name }).locator('a[href*="/s/"]').getAttribute('href');
    const { context, page: citizen } = await phone();
    await citizen.goto(url);
    expect((await citizen.locator('h1').textContent()).includes(name), `${name}'s questionnaire`);
    if (n === 0) await accessible(citizen, 'the answer page');
    for (const group of await citizen.locator('fieldset').all()) await group.locator('label.opt').nth(n % 3).click();
    await citizen.click('button[type=submit]');
    await citizen.waitForSelector(`text=感谢您对${name}的评价！`, { timeout: 10000 });
    if (n === 0) await citizen.screenshot({ path: `${artifacts}/year-answered.png`, fullPage: true });
    await context.close();
  }
  // The dashboard's samples follow the answers as the running totals take them in.
  const counted = async () => {
    await page.goto(dashboard);
    const rows = await Promise.all(answered.map((name) => page.locator('tbody tr', { has: page.locator(`th:text-is("${name}")`) })
      .locator('td').first().textContent()));
    return rows.every((count) => count.trim().startsWith('1 /'));
  };
  const until = Date.now() + 15000;
  while (!(await counted())) {
    expect(Date.now() < until, 'the dashboard counts each unit\'s answer');
    await page.waitForTimeout(300);
  }
  await checked(page, 'the dashboard with samples');
  await page.screenshot({ path: `${artifacts}/year-dashboard-samples.png`, fullPage: true });
  await office.close();
});

// A small PDF, as a unit's scanner or word processor would make one.
const plan = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

await step('the office adds the plan\'s deliverables; a unit hands its plan in late, is sent back and hands it in again', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(`${base}/console/accounts`);
  await page.fill('#username', 'minzheng');
  await page.selectOption('#role', 'unit');
  await choose(page, '#unit', '区民政局');
  await page.click('form[action="/console/accounts"] button[type=submit]');
  await ownPassword('minzheng', (await page.locator('.secret code').textContent()).trim());

  await page.goto(dashboard);
  await page.click('a:has-text("材料报送")');
  await checked(page, 'the deliverables, none yet');
  await page.click('button:has-text("按评议方案添加报送材料")');
  expect((await status(page)).includes('已保存'), 'the plan\'s deliverables added');
  for (const title of ['单位评议工作方案', '整改情况报告', '评议工作总结', '主要负责人述职报告']) {
    expect(await page.locator(`a:has-text("${title}")`).count() === 1, `${title} is listed`);
  }
  await checked(page, 'the deliverables');
  await page.screenshot({ path: `${artifacts}/year-deliverables.png`, fullPage: true });

  const unit = await consoleAs('minzheng', passwords.minzheng);
  await unit.page.goto(dashboard);
  await unit.page.click('a:has-text("材料报送")');
  await unit.page.click('a:has-text("单位评议工作方案")');
  const handIn = async (fileName, note) => {
    await unit.page.setInputFiles('#h-file', { name: fileName, mimeType: 'application/pdf', buffer: plan });
    await unit.page.fill('#h-note', note);
    await unit.page.click('form[enctype="multipart/form-data"] button[type=submit]');
    expect((await status(unit.page)).includes('已保存'), `${fileName} handed in`);
  };
  await unit.page.setInputFiles('#h-file', { name: '方案.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>not a pdf</html>') });
  await unit.page.click('form[enctype="multipart/form-data"] button[type=submit]');
  expect((await unit.page.locator('[role=alert]').textContent()).includes('文件须为 PDF'), 'a web page named .pdf is refused');
  await handIn('区民政局评议工作方案.pdf', '本局评议工作方案，请审核。');
  expect((await unit.page.content()).includes('逾期报送'), 'handed in after 20 June: late');
  await checked(unit.page, 'a unit\'s hand-in');
  await unit.page.screenshot({ path: `${artifacts}/year-hand-in.png`, fullPage: true });

  const deliverable = unit.page.url().split('?')[0];
  await page.goto(deliverable);
  await page.fill('textarea[name=comment]', '请补充各阶段时间安排。');
  await page.click('button[value=returned]');
  expect((await status(page)).includes('已保存'), 'returned');
  await unit.page.goto(deliverable);
  expect((await unit.page.content()).includes('请补充各阶段时间安排'), 'the unit reads why');
  await handIn('区民政局评议工作方案（修改稿）.pdf', '已补充时间安排。');
  await page.goto(deliverable);
  await page.click('button[value=published]');
  expect((await page.content()).includes('已公开'), 'accepted and made public');
  await checked(page, 'a deliverable reviewed');
  await page.screenshot({ path: `${artifacts}/year-deliverable-reviewed.png`, fullPage: true });

  // The rectification report, which the representatives receive: accepted as handed in.
  await unit.page.goto(dashboard);
  await unit.page.click('a:has-text("材料报送")');
  await unit.page.click('a:has-text("整改情况报告")');
  await handIn('区民政局整改情况报告.pdf', '针对群众反映的办事排队问题，已增设两个窗口。');
  await page.goto(unit.page.url().split('?')[0]);
  await page.click('button[value=accepted]');
  expect((await status(page)).includes('已保存'), 'the rectification report accepted');
  await unit.context.close();

  await page.goto(`${base}/notice/${campaignId}`);
  await page.click('a:has-text("区民政局")');
  expect((await page.content()).includes('区民政局评议工作方案（修改稿）.pdf'), 'the accepted plan on the notice board');
  await checked(page, 'the unit\'s notice board with its document');
  await page.goto(dashboard);
  expect((await page.locator('#deadlines').count()) === 1, 'the dashboard lists the deadlines');
  expect((await page.content()).includes('整改情况报告'), 'the rectification report\'s deadline');
  await context.close();
});

await step('the office moves the year on to its assessment, opens a session and prints the slips', async () => {
  const { context, page } = await consoleAs(username, password);
  await moveOn(page, '整改落实');
  await moveOn(page, '考核总结');
  await page.click(`a[href="/console/campaigns/${campaignId}/conference"]`);
  expect((await page.locator('h1').textContent()) === '大会测评', 'the conference page');
  await page.selectOption('#group', 'deputies');
  await page.fill('#count', '12');
  await page.click('button:has-text("添加代表")');
  expect((await page.content()).includes('E-001–E-012'), 'twelve representatives listed');
  await checked(page, 'the conference page');
  await page.screenshot({ path: `${artifacts}/year-conference.png`, fullPage: true });

  await page.click('button:has-text("开始一场测评")');
  expect(page.url().includes('/console/conference/'), `the session page, at ${page.url()}`);
  sessionPage = page.url();
  await checked(page, 'the session page');

  await page.click('button:has-text("生成并打印纸条")');
  codes = await page.locator('.slip .code').allTextContents();
  expect(codes.length === 12, `twelve slips, found ${codes.length}`);
  expect(await page.locator('.slip svg.qr').count() === 12, 'a QR code on every slip');
  await checked(page, 'the slips');
  await page.screenshot({ path: `${artifacts}/year-slips.png`, fullPage: true });
  // Printed on A4: eight slips to a page, so two pages.
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  expect(pages === 2, `the slips print on two A4 pages, not ${pages}`);
  await context.close();
});

// Representative `n` scores from the slip's link; the first looks at everything on the way.
async function phoneBallot(n) {
  const session = sessionPage.split('/').pop();
  const { context, page } = await phone();
  await page.goto(`${base}/conference/${session}/ballot?code=${codes[n]}`);
  expect(await page.inputValue('#code') === codes[n], 'the code from the slip is filled in');
  const radios = page.locator('fieldset .opts');
  const groups = await radios.count();
  expect(groups === members, `the year's ${members} units on one page, found ${groups}`);
  if (n === 0) {
    await checked(page, 'the phone ballot');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `the ballot overflows sideways by ${overflow} px`);
    await page.screenshot({ path: `${artifacts}/year-ballot-phone.png`, fullPage: true });
    // Sent with nothing chosen: each unit is named, in Chinese.
    await submit(page);
    const named = await page.locator('[role=alert] li').count();
    expect(named === groups, `every unit left out is named: ${named} of ${groups}`);
    expect((await page.locator('[role=alert]').textContent()).includes('请评价'), 'in Chinese');
    await checked(page, 'the ballot with its problems');
  }
  // Each representative's own choices: the first unit's level varies, the others satisfied.
  const levels = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dont_know'];
  for (let g = 0; g < groups; g += 1) {
    await radios.nth(g).locator(`input[value="${g === 0 ? levels[n % levels.length] : 'satisfied'}"]`).check();
  }
  await submit(page);
  expect(page.url().includes('/ballot/counted'), `counted, at ${page.url()}`);
  expect((await status(page)).includes('已经计入'), 'a clear confirmation');
  if (n === 0) {
    await checked(page, 'the confirmation');
    await page.goto(`${base}/conference/${session}/ballot?code=${codes[0]}`);
    for (let g = 0; g < groups; g += 1) await radios.nth(g).locator('input[value="satisfied"]').check();
    await submit(page);
    expect((await page.locator('.err').first().textContent()).includes('已经使用过'), 'a code votes once');
    // The same slip opens the units' rectification feedback, spent or not.
    await page.click('a:has-text("查看参评单位的整改情况反馈")');
    expect(await page.inputValue('#code') === codes[0], 'the slip\'s code carried over');
    await checked(page, 'the feedback code form');
    await page.click('button[type=submit]');
    const feedback = await page.content();
    expect(feedback.includes('区民政局整改情况报告.pdf') && feedback.includes('已增设两个窗口'), 'the accepted report is fed back');
    expect(!feedback.includes('区民政局评议工作方案'), 'the evaluation plan, not meant for them, is not');
    await checked(page, 'the representatives\' feedback');
    await page.screenshot({ path: `${artifacts}/year-feedback-phone.png`, fullPage: true });
  }
  await context.close();
}

await step('nine representatives score on their phones in WeChat\'s browser size', async () => {
  for (let n = 0; n < 9; n += 1) await phoneBallot(n);
});

await step('two paper ballots are entered by two clerks each, one after a disagreement', async () => {
  const first = await consoleAs(username, password);
  const second = await consoleAs(colleagues.clerk, passwords[colleagues.clerk]);
  const enter = async (page, code, level) => {
    await page.goto(`${sessionPage}/paper`);
    await page.fill('#code', code);
    const groups = page.locator('fieldset .opts');
    const count = await groups.count();
    for (let g = 0; g < count; g += 1) {
      await groups.nth(g).locator(`input[value="${g === 0 ? level : 'satisfied'}"]`).check();
    }
    await page.click('button:has-text("保存录入")');
    return status(page);
  };
  await first.page.goto(`${sessionPage}/paper-form`);
  await checked(first.page, 'the blank paper ballot');
  expect((await enter(first.page, codes[10], 'satisfied')).includes('已录入一次'), 'the first entry waits');
  await checked(first.page, 'the paper entry page');
  expect((await enter(second.page, codes[10], 'satisfied')).includes('已计入'), 'two equal entries count');

  expect((await enter(first.page, codes[11], 'very_satisfied')).includes('已录入一次'), 'waits');
  const disagreement = await enter(second.page, codes[11], 'satisfied');
  expect(disagreement.includes('不一致'), `a disagreement is flagged: ${disagreement}`);
  await second.page.goto(sessionPage);
  expect((await second.page.locator('td.short').count()) === 1, 'the session page lists the disagreement');
  await checked(second.page, 'the session page with a disagreement');
  expect((await enter(first.page, codes[11], 'satisfied')).includes('已计入'), 'the re-entry agreeing counts it');
  await first.context.close();
  await second.context.close();
});

await step('the projector follows the count live, then shows the results sorted, at 1920 × 1080', async () => {
  const session = sessionPage.split('/').pop();
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  const hall = await context.newPage();
  await hall.goto(`${base}/conference/${session}`);
  expect((await hall.locator('.figure').textContent()) === '11', 'eleven ballots counted');
  expect(await hall.getAttribute('html', 'lang') === 'zh-CN', 'Chinese in the hall, whatever the browser prefers');
  expect((await hall.locator('h1').textContent()).includes('2018'), 'the campaign\'s name');
  await accessible(hall, 'the projector while voting');
  await phoneBallot(9);
  await hall.waitForFunction(() => document.getElementById('count').textContent === '12', null, { timeout: 10000 });
  await hall.screenshot({ path: `${artifacts}/year-projector-open.png` });

  const { context: office, page } = await consoleAs(username, password);
  await page.goto(sessionPage);
  await page.click('button:has-text("结束本场测评")');
  expect((await page.locator('#tally + table tbody tr').count()) === members, 'the tally in the console');
  await office.close();

  // The page reloads itself when the session closes: the results arrive without a touch.
  await hall.waitForSelector('table', { timeout: 10000 });
  const headings = await hall.locator('thead th').allTextContents();
  expect(['名次', '单位', '有效票', '得分'].every((h) => headings.includes(h)), `headings: ${headings}`);
  const scores = (await hall.locator('td.score').allTextContents()).map(Number);
  expect(scores.length === members, `every unit scored: ${scores}`);
  expect(scores.every((s, i) => i === 0 || scores[i - 1] >= s), `sorted from the highest: ${scores}`);
  expect(await hall.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight), 'fits the screen');
  await checked(hall, 'the projector with the results');
  await hall.screenshot({ path: `${artifacts}/year-projector-results.png` });
  await context.close();
});

await step('the office records a supervision notice and a violation, and verifies the audit log', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(dashboard);
  await page.click(`a[href="/console/campaigns/${campaignId}/supervision"]`);
  await choose(page, '#n-unit', '区住房和城乡建设局');
  await page.fill('#n-date', '2018-09-12');
  await page.fill('#n-by', '区委督查室');
  await page.fill('#n-text', '窗口人员脱岗，群众等候超过一小时');
  await page.fill('#n-points', '-2');
  await page.click('button:has-text("登记通报")');
  expect((await status(page)).includes('已登记'), 'the notice recorded');
  await choose(page, '#v-unit', '区生态环境分局');
  await page.fill('#v-date', '2018-10-30');
  await page.click('button:has-text("登记案件")');
  expect((await page.locator('[role=alert]').textContent()).includes('请填写'), 'a case without its authority is refused');
  await checked(page, 'the supervision page with a problem');
  await page.fill('#v-by', '区纪委');
  await page.fill('#v-text', '昭纪〔2018〕7号');
  await page.click('button:has-text("登记案件")');
  expect((await page.content()).includes('昭纪〔2018〕7号'), 'the case recorded');
  await checked(page, 'the supervision page');
  await page.screenshot({ path: `${artifacts}/year-supervision.png`, fullPage: true });
  await page.click('a[href="/console/audit"]');
  await page.click('button:has-text("校验完整性")');
  expect((await status(page)).includes('审计日志完整'), 'the chain holds');
  await checked(page, 'the audit log');
  await context.close();
});

await step('the office computes the result, reviews it and tries other rules', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(dashboard);
  await page.click(`a[href="/console/campaigns/${campaignId}/results"]`);
  await checked(page, 'the result versions');
  await page.click('button:has-text("计算结果")');
  expect(page.url().includes('/console/results/'), `the version page, at ${page.url()}`);
  versionPage = page.url();
  expect((await page.locator('table.review tbody tr').count()) === members, 'every unit reviewed');
  const violated = page.locator('table.review tbody tr', { has: page.locator('th:text-is("区生态环境分局")') });
  expect((await violated.textContent()).includes('不合格'), 'the unit with a violation case is graded 不合格');
  await checked(page, 'the result version');
  await page.screenshot({ path: `${artifacts}/year-result.png`, fullPage: true });

  await page.fill('#bottom_n', '1');
  await page.click('button:has-text("试算")');
  expect((await page.locator('th:has-text("试算名次")').count()) >= 1, 'the what-if beside the version');
  await checked(page, 'the what-if');
  await context.close();
});

await step('two approvers approve, each as themselves, the office publishes and the public reads it', async () => {
  for (const name of colleagues.approvers) {
    const { context, page } = await consoleAs(name, passwords[name]);
    await page.goto(versionPage);
    const tie = page.locator('form[action$="/tie"]');
    if (await tie.count() > 0) {
      const boxes = tie.first().locator('input[name=bottom]');
      for (let i = 0; i < await boxes.count(); i += 1) await boxes.nth(i).check();
      await tie.first().locator('input[name=reason]').fill('领导小组研究决定：并列单位均列入末位');
      await tie.first().locator('button').click();
      await checked(page, 'the version with the tie decided');
    }
    await page.click('button:has-text("审核通过")');
    expect((await page.locator('button:has-text("审核通过")').count()) === 0, `${name} approves once`);
    await context.close();
  }
  const { context, page } = await consoleAs(username, password);
  await page.goto(versionPage);
  expect((await page.locator('strong:has-text("已审定")').count()) === 1, 'approved by two');
  await page.click('button:has-text("公布结果")');
  expect((await page.locator('strong:has-text("已公布")').count()) === 1, 'published');
  await checked(page, 'the published version');
  await page.screenshot({ path: `${artifacts}/year-result-published.png`, fullPage: true });

  const published = await api('GET', `/public/campaigns/${campaignId}/results`);
  const names = published.units.map((u) => u.unit_name);
  expect(evaluated.every((name) => names.includes(name)), `the public result lists the year's units: ${names}`);
  await page.click('a:has-text("可打印的结果页")');
  expect((await page.locator('h1').textContent()).includes('2018'), 'the printable result');
  for (const name of evaluated) expect((await page.content()).includes(name), `${name} on the printable result`);
  await accessible(page, 'the public printable result');
  await page.screenshot({ path: `${artifacts}/year-public-result.png`, fullPage: true });
  await context.close();
});

// The notice's PDF, opened by pdf.js (from the npm registry, served to the page locally) as a
// reader would: its first page drawn on a canvas and every page's text read.
async function readPdf(context, bytes) {
  const page = await context.newPage();
  const pdfjs = new URL('./node_modules/pdfjs-dist/', import.meta.url).pathname;
  const harness = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>PDF</title></head>
<body style="margin:0;background:#fff"><canvas id="page"></canvas><script type="module">
import * as pdfjs from '/build/pdf.mjs';
pdfjs.GlobalWorkerOptions.workerSrc = '/build/pdf.worker.mjs';
const data = new Uint8Array(await (await fetch('/notice.pdf')).arrayBuffer());
const doc = await pdfjs.getDocument({ data, cMapUrl: '/cmaps/', cMapPacked: true, standardFontDataUrl: '/standard_fonts/' }).promise;
const first = await doc.getPage(1);
const viewport = first.getViewport({ scale: 1.5 });
const canvas = document.getElementById('page');
canvas.width = viewport.width;
canvas.height = viewport.height;
await first.render({ canvasContext: canvas.getContext('2d'), viewport }).promise;
const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let red = 0;
let dark = 0;
for (let i = 0; i < pixels.length; i += 4) {
  if (pixels[i] > 150 && pixels[i + 1] < 80 && pixels[i + 2] < 80) red += 1;
  if (pixels[i] < 90 && pixels[i + 1] < 90 && pixels[i + 2] < 90) dark += 1;
}
let text = '';
for (let n = 1; n <= doc.numPages; n += 1) {
  const content = await (await doc.getPage(n)).getTextContent();
  text += content.items.map((item) => item.str).join('\\n') + '\\n';
}
window.rendered = { pages: doc.numPages, text, red, dark };
</script></body></html>`;
  await page.route('http://pdf.local/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: harness });
    if (path === '/notice.pdf') return route.fulfill({ contentType: 'application/pdf', body: bytes });
    const file = `${pdfjs}${path.slice(1)}`;
    const type = path.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream';
    return route.fulfill({ contentType: type, body: readFileSync(file) });
  });
  await page.setViewportSize({ width: 900, height: 1263 });
  await page.goto('http://pdf.local/');
  await page.waitForFunction(() => window.rendered !== undefined, null, { timeout: 30000 });
  return { page, rendered: await page.evaluate(() => window.rendered) };
}

await step('the office issues the notice (通报) as PDF and DOCX, and the PDF reads as it should', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(versionPage);
  expect((await page.inputValue('#n-recipients')).includes('市纠风办'), 'the plan\'s recipients offered');
  await page.fill('#n-number', '昭评办〔2019〕1号');
  if ((await page.inputValue('#n-body')) === '') await page.fill('#n-body', '昭化区民主评议政风行风工作领导小组办公室');
  await page.click('button:has-text("生成通报")');
  const said = (await page.locator('main').innerText()).slice(0, 300);
  expect(page.url().endsWith('#notices'), `back at the notices: ${page.url()}: ${said}`);
  expect((await page.locator('#notices ~ ul').first().textContent()).includes('昭评办〔2019〕1号'), 'the notice is listed');
  await checked(page, 'the version with its notice');
  const pdf = await context.request.get(base + await page.getAttribute('a[href$="/notice.pdf"]', 'href'));
  expect(pdf.headers()['content-type'] === 'application/pdf', 'a PDF');
  const docx = await context.request.get(base + await page.getAttribute('a[href$="/notice.docx"]', 'href'));
  expect((await docx.body()).subarray(0, 2).toString() === 'PK', 'a DOCX (a ZIP package)');

  const { page: viewer, rendered } = await readPdf(context, await pdf.body());
  await viewer.screenshot({ path: `${artifacts}/year-notice-pdf.png` });
  const text = rendered.text.replace(/\n/g, '');
  for (const expected of ['关于2018年度民主评议政风行风工作结果的通报', '昭评办〔2019〕1号', '市纠风办', '区委组织部', '一、评议方法']) {
    expect(text.includes(expected), `the PDF says ${expected}: ${text.slice(0, 300)}`);
  }
  for (const name of evaluated) expect(text.includes(name), `${name} in the PDF's results`);
  expect(rendered.red > 2000, `the red header and line are drawn (${rendered.red} red pixels)`);
  expect(rendered.dark > 20000, `the text is drawn (${rendered.dark} dark pixels)`);
  await context.close();
});

await step('the office sets 2019 up from 2018, its bottom units carried over as key units', async () => {
  const { context, page } = await consoleAs(username, password);
  expect(await page.inputValue('#year') === '2019', 'the next year is offered');
  expect(await page.inputValue('#copy_from') === campaignId, 'from 2018');
  await page.click('button:has-text("建立")');
  const notice = await status(page);
  const carried = Number((notice.match(/(\d+) 个末位单位/) ?? [])[1]);
  expect(carried >= 1, `told what was carried: ${notice}`);
  await page.click('a[href$="/members"]');
  expect(await page.locator('tbody .tag').count() === carried, 'the carried units marked with their reason');
  await checked(page, 'the next year\'s units evaluated');
  await page.screenshot({ path: `${artifacts}/year-next-year.png`, fullPage: true });
  await context.close();
});

await finish();
