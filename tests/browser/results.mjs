// Real-browser test of the results pages, after conference.mjs closed the demo's 2017
// session: the office computes a result and tries other rules, two approvers (each signed
// in as themselves) decide any tie and approve, the office publishes, and the public result
// is there. Every page is checked with axe-core and found to carry no script; screenshots
// go to $ARTIFACTS.
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

await finish();
