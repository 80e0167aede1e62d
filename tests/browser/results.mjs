// Real-browser test of the results pages, after conference.mjs closed the demo's 2017
// session: the office records a supervision notice and a violation and verifies the audit
// log, computes a result and tries other rules, two approvers (each signed in as
// themselves) decide any tie and approve, the office publishes, and the public result is
// there; then the next year is set up from this one. Every page is checked with axe-core
// and found to carry no script; screenshots go to $ARTIFACTS.
import { accessible, api, artifacts, base, browser, check, checked, consoleAs, expect, finish } from './common.mjs';

const username = process.env.PINGYI_ADMIN;
const password = process.env.PINGYI_ADMIN_PASSWORD;


const grant = await api('POST', '/auth/token', null, { grant_type: 'password', username, password });
const admin = grant.access_token;
const campaigns = await api('GET', '/campaigns', admin);
const year = (campaigns.items ?? campaigns).find((c) => c.year === 2017);
const approvers = ['approver-one', 'approver-two'];
for (const name of approvers) {
  await api('POST', '/accounts', admin, { username: name, password: `${name} password`, role: 'approver' });
}
let versionPage;

await check('the office records a supervision notice and a violation, and reads the audit log', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(`${base}/console/campaigns/${year.id}`);
  await page.click(`a[href="/console/campaigns/${year.id}/supervision"]`);
  await page.fill('#n-date', '2017-09-12');
  await page.fill('#n-by', '区委督查室');
  await page.fill('#n-text', '窗口人员脱岗，群众等候超过一小时');
  await page.fill('#n-points', '-2');
  await page.click('button:has-text("登记通报")');
  expect((await page.locator('[role=status]').textContent()).includes('已登记'), 'the notice recorded');
  await page.fill('#v-date', '2017-10-30');
  await page.click('button:has-text("登记案件")');
  expect((await page.locator('[role=alert]').textContent()).includes('请填写'), 'a case without its authority is refused');
  await checked(page, 'the supervision page with a problem');
  await page.fill('#v-by', '区纪委');
  await page.fill('#v-text', '昭纪〔2017〕12号');
  await page.click('button:has-text("登记案件")');
  expect((await page.content()).includes('昭纪〔2017〕12号'), 'the case recorded');
  await checked(page, 'the supervision page');
  await page.screenshot({ path: `${artifacts}/console-supervision.png`, fullPage: true });
  await page.click('a[href="/console/audit"]');
  await page.click('button:has-text("校验完整性")');
  expect((await page.locator('[role=status]').textContent()).includes('审计日志完整'), 'the chain holds');
  await checked(page, 'the audit log');
  await page.screenshot({ path: `${artifacts}/console-audit.png`, fullPage: true });
  await context.close();
});

await check('the office computes a result, reviews it and tries other rules', async () => {
  const { context, page } = await consoleAs(username, password);
  await page.goto(`${base}/console/campaigns/${year.id}`);
  await page.click(`a[href="/console/campaigns/${year.id}/results"]`);
  await checked(page, 'the result versions');
  await page.click('button:has-text("计算结果")');
  expect(page.url().includes('/console/results/'), `the version page, at ${page.url()}`);
  versionPage = page.url();
  expect((await page.locator('table.review').count()) >= 1, 'a review table per ranking group');
  expect((await page.locator('table.review tbody tr').count()) >= 5, 'every unit reviewed');
  await checked(page, 'the result version');
  await page.screenshot({ path: `${artifacts}/console-result.png`, fullPage: true });

  await page.fill('#bottom_n', '1');
  await page.fill('#qualified_min', '85');
  await page.click('button:has-text("试算")');
  expect((await page.locator('th:has-text("试算名次")').count()) >= 1, 'the what-if beside the version');
  await checked(page, 'the what-if');
  await page.screenshot({ path: `${artifacts}/console-result-what-if.png`, fullPage: true });
  await context.close();
});

await check('two approvers approve, each as themselves, and the office publishes', async () => {
  for (const name of approvers) {
    const { context, page } = await consoleAs(name, `${name} password`);
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
  await page.screenshot({ path: `${artifacts}/console-result-published.png`, fullPage: true });
  const published = await api('GET', `/public/campaigns/${year.id}/results`);
  expect(published.units.length >= 5, 'the public result lists the units');
  await page.click('a:has-text("可打印的结果页")');
  await accessible(page, 'the public printable result');
  await context.close();
});

await check('the office sets the next year up from this one', async () => {
  const { context, page } = await consoleAs(username, password);
  expect(await page.inputValue('#year') === '2018', 'the next year is offered');
  expect(await page.inputValue('#copy_from') === year.id, 'from the newest campaign');
  await checked(page, 'the campaigns with the new campaign form');
  await page.click('button:has-text("建立")');
  const notice = await page.locator('[role=status]').textContent();
  expect(notice.includes('已按上一年度建立') && notice.includes('个末位单位列为重点评议单位'), `told what was carried: ${notice}`);
  await checked(page, 'the new year\'s dashboard');
  await page.screenshot({ path: `${artifacts}/console-year-copied.png`, fullPage: true });
  await context.close();
});

await finish();
