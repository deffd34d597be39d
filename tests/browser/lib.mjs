// What the browser scripts share: reading the environment, named checks (`PASS <check>`),
// screenshots, an axe-core run that fails on any serious or critical violation, and
// launching Debian's Chromium headless through playwright-core.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The environment variable `name`, or `fallback`; neither is an error naming it. */
export function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set`);
  }
  return value;
}

export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

export function pass(name) {
  console.log(`PASS ${name}`);
}

const axeSummary = [];

/** Runs axe-core on the page; fails on any serious or critical violation. */
export async function accessible(page, label) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const counts = results.violations.map((v) => `${v.id}(${v.impact})`).join(' ') || 'none';
  const line = `${results.violations.length} violations: ${counts}; ${results.passes.length} rules passed, ${results.incomplete.length} to review by hand`;
  axeSummary.push(`${label}: ${line}`);
  console.log(`AXE ${label}: ${line}`);
  for (const violation of results.violations) {
    for (const node of violation.nodes) {
      console.log(`  ${violation.id} [${violation.impact}] ${node.target.join(' ')}: ${violation.help}`);
    }
  }
  check(blocking.length === 0, `${label}: serious or critical accessibility violations: ${blocking.map((v) => v.id).join(', ')}`);
}

/** Every axe-core violation on the page, of any impact, as `id(impact)` strings. */
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.map((v) => `${v.id}(${v.impact})`);
}

/**
 * The visitor's receipt as the web kiosk's thank-you screen shows it (web-kiosk/src/visitor/
 * thanks.rs), read off its receipt element `section.receipt`:
 * - `code`: its `data-receipt-code`, the code as shown (27 symbols in groups of four,
 *   `7ZQK-M4XR-…-G2F*`), which must equal the text of `.receipt-code`;
 * - `address`: its `data-receipt-address`, the receipt page's address the QR code draws
 *   (`<relay>/kvitto#<27 symbols>`, the code only in the fragment), or null;
 * - `text`: the `.receipt-code` text; `qr`: the QR code `svg` (role img) and its `label`.
 * For a test that goes on from the thank-you screen to the relay's receipt page.
 */
export async function readReceipt(page) {
  const receipt = page.locator('section.receipt');
  const qr = receipt.locator('svg[role=img]');
  return {
    code: await receipt.getAttribute('data-receipt-code'),
    address: await receipt.getAttribute('data-receipt-address'),
    text: (await receipt.locator('.receipt-code').textContent()).trim(),
    qr: { count: await qr.count(), label: (await qr.count()) === 1 ? await qr.getAttribute('aria-label') : null },
  };
}

const screenshots = env('KIOSK_SCREENSHOT_DIR');
mkdirSync(screenshots, { recursive: true });

export async function shot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

export async function htmlLang(page) {
  return page.evaluate(() => document.documentElement.lang);
}

export async function h1s(page) {
  return page.locator('h1').allTextContents();
}

/**
 * Runs `scenario(context)` in a fresh headless Chromium; prints `FAIL` with the stack and
 * exits 1 if it throws, and the axe summary and time either way.
 */
export async function runInBrowser(scenario) {
  const started = Date.now();
  const browser = await chromium.launch({
    executablePath: env('KIOSK_CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  let failed = false;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE', acceptDownloads: true });
    await scenario(context);
  } catch (error) {
    failed = true;
    console.log(`FAIL ${error.stack ?? error}`);
  } finally {
    await browser.close();
  }
  console.log(`axe: ${axeSummary.length} pages checked`);
  console.log(`browser run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed ? 1 : 0);
}
