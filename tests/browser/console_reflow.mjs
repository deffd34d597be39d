// Every HR console page at a phone's width (390 px) and a desk's (1280 px), in Swedish and
// English, with a store of more than 30 registrations, a dozen tablets, ten users, two
// quarantined captures and a long access log: no page may scroll sideways (the page's
// `scrollWidth` against the viewport; a wide table may scroll inside its own region), and
// axe-core must find no violation at all (any impact). Each page is saved as a screenshot,
// `reflow-<page>-<phone|desk>-<sv|en>.png`. After a failed submit (a wrong password, a
// malformed subject-access search) the focus must be on the error summary.
// Prints `PASS <check>` per check; tests/tests/console_reflow_in_a_browser.rs seeds the
// relay and requires every check by name.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_PASSWORD, KIOSK_EVENT_ID,
// KIOSK_VISITOR_EMAIL (a stored visitor's email, for the subject-access pages),
// KIOSK_SCREENSHOT_DIR, and optionally KIOSK_CHROMIUM.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { check, env, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const password = env('KIOSK_HR_PASSWORD');
const eventId = env('KIOSK_EVENT_ID');
const visitorEmail = env('KIOSK_VISITOR_EMAIL');

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desk', width: 1280, height: 900 },
];
const LANGS = ['sv', 'en'];

/** `path` with `?lang=` (or `&lang=`) set to `lang`. */
function withLang(path, lang) {
  return `${base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
}

/**
 * The page fits its viewport: `document.documentElement.scrollWidth` is not wider than the
 * window. If it is, the message names the elements that stick out (tag, class, width), so a
 * failure says what to fix.
 */
async function fitsSideways(page, label) {
  const measured = await page.evaluate(() => {
    const inner = window.innerWidth;
    const wide = [];
    if (document.documentElement.scrollWidth > inner) {
      for (const element of [document.body, ...document.body.querySelectorAll('*')]) {
        const box = element.getBoundingClientRect();
        // Where the overflow starts: an element wider than the window inside a parent that
        // is not (a table inside a region that scrolls is fine, the region is not).
        const parent = element.parentElement.getBoundingClientRect();
        if (box.right > inner + 1 && parent.right <= inner + 1) {
          wide.push(`${element.parentElement.tagName.toLowerCase()}.${element.parentElement.className} > ${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${element.className ? `.${String(element.className).replace(/ /g, '.')}` : ''} right=${Math.round(box.right)}`);
        }
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, inner, wide: wide.slice(0, 8), body: document.body.scrollWidth, html: document.documentElement.getBoundingClientRect().width };
  });
  check(measured.scrollWidth <= measured.inner,
    `${label}: the page is ${measured.scrollWidth} px wide in a ${measured.inner} px window (body ${measured.body}, html ${measured.html}): ${measured.wide.join(', ')}`);
}

/** axe-core finds no violation of any impact. */
async function noAxeViolation(page, label) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = results.violations.flatMap((v) => v.nodes.map((n) => `${v.id} [${v.impact}] ${n.target.join(' ')}`));
  console.log(`AXE ${label}: ${results.violations.length} violations; ${results.passes.length} rules passed`);
  check(found.length === 0, `${label}: axe-core violations: ${found.join('; ')}`);
}

/** Opens a page by `open(page, lang)` at every width in both languages and checks it. */
async function everyWayOf(page, name, open) {
  for (const lang of LANGS) {
    for (const size of WIDTHS) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await open(page, lang);
      await page.waitForLoadState();
      const label = `${name} ${size.name} ${lang}`;
      const htmlLang = await page.evaluate(() => document.documentElement.lang);
      check(htmlLang === lang, `${label}: the page is in ${htmlLang}, not ${lang}`);
      await fitsSideways(page, label);
      await noAxeViolation(page, label);
      await shot(page, `reflow-${name}-${size.name}-${lang}`);
    }
  }
  pass(`${name.replace(/-/g, '_')}_fits_a_phone_and_a_desk_in_both_languages_with_no_axe_violation`);
}

/** The id of the element that has the focus, or its tag if it has none. */
async function focused(page) {
  return page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName.toLowerCase());
}

/** A GET page at `path`. */
const get = (path) => async (page, lang) => {
  await page.goto(withLang(path, lang));
};

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);

  // Logged out: the login page, and a wrong password puts the focus on the error summary.
  await everyWayOf(page, 'login', get('/console/login'));
  for (const lang of LANGS) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(withLang('/console/login', lang));
    await page.locator('#username').fill(username);
    await page.locator('#password').fill('inte mitt lösenord');
    await page.locator('main button[type="submit"]').click();
    await page.waitForLoadState();
    check((await focused(page)) === 'error-summary', `${lang}: after a wrong password the focus is on ${await focused(page)}, not the error summary`);
    const summary = page.locator('#error-summary');
    check((await summary.getAttribute('tabindex')) === '-1', 'the summary takes focus but is not a tab stop');
    check((await summary.locator('h2').count()) === 1, 'the summary has its heading');
    await fitsSideways(page, `login error ${lang}`);
    await noAxeViolation(page, `login error ${lang}`);
    await shot(page, `reflow-login-error-phone-${lang}`);
  }
  pass('wrong_password_puts_the_focus_on_the_error_summary');

  // Logged in as an officer who is admin, recruiter and archivist with the clearance.
  await page.goto(withLang('/console/login', 'sv'));
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('main button[type="submit"]').click();
  await page.waitForURL('**/console/registrations**');

  // The registrations list holds more rows than a phone is wide; take a record from it.
  await page.goto(withLang('/console/registrations', 'sv'));
  const rows = await page.locator('main table tbody tr').count();
  check(rows >= 30, `the list shows at least 30 registrations, not ${rows}`);
  const record = await page.locator('main table tbody tr a[href^="/console/registrations/"]').first().getAttribute('href');
  await page.goto(withLang('/console/devices', 'sv'));
  const revoke = await page.locator('main a[href$="/revoke"]').first().getAttribute('href');
  check(revoke !== null, 'the devices page links a revocation');
  await page.goto(withLang('/console/users', 'sv'));
  const userHrefs = await page.locator('main table a[href^="/console/users/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  check(userHrefs.length >= 10, `the users page lists at least 10 users, not ${userHrefs.length}`);

  const pages = [
    ['registrations', get('/console/registrations')],
    ['registration', get(record)],
    ['restricted', get('/console/restricted')],
    ['events', get('/console/events')],
    ['event', get(`/console/events/${eventId}`)],
    ['devices', get('/console/devices')],
    ['device-revoke', get(revoke)],
    ['users', get('/console/users')],
    ['user-access', get(userHrefs[0])],
    ['export', get('/console/export')],
    ['quarantine', get('/console/quarantine')],
    ['access-log', get('/console/access-log')],
    ['retention', get('/console/retention')],
    ['reconciliation', get('/console/reconciliation')],
    ['closing-report', get(`/console/events/${eventId}/closing-report`)],
    ['subject-access', get('/console/subject-access')],
    ['subject-access-result', async (p, lang) => {
      await p.goto(withLang('/console/subject-access', lang));
      await p.locator('#kind').selectOption('email');
      await p.locator('#value').fill(visitorEmail);
      await p.locator('main form[action="/console/subject-access"] button[type="submit"]').click();
      await p.waitForLoadState();
      check((await p.locator('main table tbody tr').count()) >= 1, 'the visitor is found');
    }],
    ['subject-access-printable', async (p, lang) => {
      await p.goto(withLang('/console/subject-access', lang));
      await p.locator('#kind').selectOption('email');
      await p.locator('#value').fill(visitorEmail);
      await p.locator('main form[action="/console/subject-access"] button[type="submit"]').click();
      await p.waitForLoadState();
      await p.locator('form:has(input[name="format"][value="html"]) button[type="submit"]').click();
      await p.waitForURL('**/console/subject-access/download');
      check((await p.locator('link[href="/console/print.css"]').count()) === 1, 'the answer is the printable registerutdrag');
    }],
    ['disclosure', get('/console/disclosure')],
    ['disclosure-printable', async (p, lang) => {
      await p.goto(withLang('/console/disclosure', lang));
      await p.locator('#event').selectOption(eventId);
      // Every registration received up to today (they were received over the last weeks).
      await p.locator('#from').fill('2020-01-01');
      await p.locator('#to').fill(new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
      await p.locator('#format').selectOption('html');
      await p.locator('main form button[type="submit"]').click();
      await p.waitForURL('**/console/disclosure');
      check((await p.locator('link[href="/console/print.css"]').count()) === 1, 'the answer is the printable disclosure, not the form');
    }],
    ['password', get('/console/password')],
    ['accessibility', get('/console/accessibility')],
  ];
  for (const [name, open] of pages) {
    await everyWayOf(page, name, open);
  }

  // Another form: a malformed subject-access search puts the focus on its error summary.
  for (const lang of LANGS) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(withLang('/console/subject-access', lang));
    // A phone number that is no phone number (an empty one the browser refuses itself).
    await page.locator('#kind').selectOption('phone');
    await page.locator('#value').fill('inget nummer');
    await page.locator('main form[action="/console/subject-access"] button[type="submit"]').click();
    await page.waitForLoadState();
    check((await focused(page)) === 'error-summary', `${lang}: after a malformed search the focus is on ${await focused(page)}, not the error summary`);
    const first = page.locator('#error-summary a').first();
    check((await first.getAttribute('href')) === '#value', 'the summary links the field in error');
    await noAxeViolation(page, `subject access error ${lang}`);
    await shot(page, `reflow-subject-access-error-phone-${lang}`);
  }
  pass('failed_subject_access_search_puts_the_focus_on_the_error_summary');
});
