// Drives the gateway's /ui status page in Debian's chromium through playwright-core (run by
// StatusPageTest, which owns the gateway and sends the requests). Protocol on stdout/stdin:
//   the page shows every expert          → prints  READY {"requests":N,"newestSeq":S}
//   the test has sent its requests       → reads   one line on stdin
//   the page shows them                  → prints  RESULT {...}   (then exits 0)
// Any failure prints FAILED <message> and exits 1. Never downloads a browser.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const base = process.env.BASE_URL;
const experts = process.env.EXPERTS.split(',');
const screenshot = process.env.SCREENSHOT;
const TIMEOUT_MS = 20000;

const consoleErrors = [];
const failedRequests = [];
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));

// launch() gives every run a fresh temporary profile (user-data dir), removed on close
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('requestfailed', (r) => failedRequests.push(`${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) failedRequests.push(`${r.url()} ${r.status()}`); });

  await page.goto(base + '/ui', { waitUntil: 'load' });
  for (const name of experts) {
    await page.locator(`#experts tr.expert[data-expert="${name}"]`).waitFor({ timeout: TIMEOUT_MS });
  }
  await page.locator('#live.ok').waitFor({ timeout: TIMEOUT_MS });
  const requests = Number(await page.locator('#total-requests').getAttribute('data-value'));
  // the table keeps the last 50 decisions: new ones show as a higher seq, not as more rows
  const newestSeq = () => Number(document.querySelector('#decisions tr.decision')?.dataset.seq ?? 0);
  const seqBefore = await page.evaluate(newestSeq);
  const replicas = await page.locator('#experts tr.replica').allTextContents();
  console.log('READY ' + JSON.stringify({ requests, newestSeq: seqBefore }));

  await nextLine();
  await page.waitForFunction(
    ([r, s]) => Number(document.querySelector('#total-requests').dataset.value) > r
      && Number(document.querySelector('#decisions tr.decision')?.dataset.seq ?? 0) > s,
    [requests, seqBefore], { timeout: TIMEOUT_MS });
  // two more polls, so that the charts have rates after the requests
  await page.waitForTimeout(2500);
  const rows = await page.locator('#decisions tr.decision').evaluateAll((trs) => trs.map((tr) => ({
    seq: Number(tr.dataset.seq),
    cells: [...tr.children].map((td) => td.textContent),
  })));
  const result = {
    requestsBefore: requests,
    requestsAfter: Number(await page.locator('#total-requests').getAttribute('data-value')),
    newestSeqBefore: seqBefore,
    decisions: rows,
    experts: await page.locator('#experts tr.expert').evaluateAll((trs) => trs.map((tr) => tr.dataset.expert)),
    replicas,
    tenants: await page.locator('#tenants tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.tenant)),
    rateRequests: await page.locator('#rate-requests').textContent(),
    chartPoints: Number(await page.locator('#chart-requests').getAttribute('data-points')),
    live: await page.locator('#live').textContent(),
    consoleErrors,
    failedRequests,
  };
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('RESULT ' + JSON.stringify(result));
} catch (e) {
  console.log('FAILED ' + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  lines.close();
  await browser.close();
}
