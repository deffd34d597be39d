// Drives the HR console's registration list in Debian's headless Chromium (through
// playwright-core): filters chosen from lists (event by name, interest area and location
// by label), a phone number typed as people say it, the total and page N of M, a record
// opened from page 2 of a filtered list that steps to its neighbour and leads back to the
// same page, the list in English, and a recruiter with no event. Every page is checked
// with axe-core and must have no violation of any impact. Prints `PASS <check>` per check;
// tests/tests/console_lists_in_a_browser.rs fills the relay and the environment.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_UNASSIGNED, KIOSK_HR_PASSWORD,
// KIOSK_TOTAL, KIOSK_MALMO, KIOSK_ASYLUM, KIOSK_OUT_OF_POOL, KIOSK_PHONE_TYPED,
// KIOSK_PHONE_RECEIPT, KIOSK_EVENT_NAME, KIOSK_SCREENSHOT_DIR, and optionally
// KIOSK_CHROMIUM.

import { accessible, check, env, h1s, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const unassigned = env('KIOSK_HR_UNASSIGNED');
const password = env('KIOSK_HR_PASSWORD');
const total = Number(env('KIOSK_TOTAL'));
const malmo = Number(env('KIOSK_MALMO'));
const asylum = Number(env('KIOSK_ASYLUM'));
const outOfPool = Number(env('KIOSK_OUT_OF_POOL'));
const phoneTyped = env('KIOSK_PHONE_TYPED');
const phoneReceipt = env('KIOSK_PHONE_RECEIPT');
const eventName = env('KIOSK_EVENT_NAME');

/** "1 registrering", "38 registreringar". */
const sv = (n) => (n === 1 ? '1 registrering' : `${n} registreringar`);
const pagesOf = (n) => Math.max(1, Math.ceil(n / 50));

/** axe-core with no violation at all, not only none serious. */
async function noViolations(page, label) {
  await accessible(page, label);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => v.id),
  );
  check(violations.length === 0, `${label}: axe violations: ${violations.join(', ')}`);
}

async function logIn(page, user) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Användarnamn').fill(user);
  await page.getByLabel('Lösenord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL('**/console/registrations');
}

const totalText = (page) => page.locator('#total').textContent();
const rows = (page) => page.locator('table tbody tr');
const show = (page) => page.getByRole('button', { name: 'Visa' }).click();

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  await logIn(page, username);
  check((await totalText(page)).trim() === sv(total), `the total is ${sv(total)}, not ${await totalText(page)}`);
  check((await page.locator('nav.pages').textContent()).includes(`Sida 1 av ${pagesOf(total)}`), 'page 1 of M');
  check((await rows(page).count()) === 50, 'fifty rows on a page');
  await shot(page, 'lists-01-list');
  await noViolations(page, 'list');
  pass('list_shows_the_total_and_page_one_of_m_without_axe_violations');

  // The event by its name, the location and the interest area by their labels.
  await page.getByLabel('Evenemang').selectOption({ label: eventName });
  await page.getByLabel('Ort', { exact: true }).selectOption({ label: 'Malmö' });
  await show(page);
  await page.waitForURL(/location=malmo/);
  check((await totalText(page)).trim() === sv(malmo), `Malmö: ${sv(malmo)}, not ${await totalText(page)}`);
  check((await page.getByLabel('Ort', { exact: true }).inputValue()) === 'malmo', 'the location stays chosen');
  await page.getByLabel('Ort', { exact: true }).selectOption({ label: 'Alla' });
  await page.getByLabel('Intresseområde').selectOption({ label: 'Asylhandläggare' });
  await show(page);
  await page.waitForURL(/interest=asylum-officer/);
  check((await totalText(page)).trim() === sv(asylum), `asylum officers: ${sv(asylum)}, not ${await totalText(page)}`);
  const interestCells = await page.locator('table tbody tr td:nth-of-type(4)').allTextContents();
  check(interestCells.length === Math.min(asylum, 50), `${interestCells.length} rows`);
  check(interestCells.every((cell) => cell.includes('Asylhandläggare')), 'every row names the chosen interest area');
  await shot(page, 'lists-02-filtered');
  await noViolations(page, 'list filtered from lists');
  pass('filters_chosen_from_lists_find_what_their_labels_promise');

  // A phone number as it is said: 070-123 45 67 finds +46701234567.
  await page.getByRole('link', { name: 'Rensa filtret' }).click();
  await page.getByLabel('Sök', { exact: true }).fill(phoneTyped);
  await show(page);
  await page.waitForURL(/q=/);
  check((await totalText(page)).trim() === '1 registrering', `one record, not ${await totalText(page)}`);
  check((await rows(page).first().textContent()).includes(phoneReceipt), 'the row is the record with that number');
  await noViolations(page, 'list searched by phone');
  pass('a_typed_070_number_finds_its_e164_record');

  // Page 2 and back.
  await page.getByRole('link', { name: 'Rensa filtret' }).click();
  const firstPageIds = await rows(page).locator('th a').evaluateAll((as) => as.map((a) => a.pathname));
  await page.getByRole('link', { name: 'Nästa sida' }).click();
  await page.waitForURL(/page=2/);
  check((await page.locator('nav.pages').textContent()).includes(`Sida 2 av ${pagesOf(total)}`), 'page 2 of M');
  const secondPageIds = await rows(page).locator('th a').evaluateAll((as) => as.map((a) => a.pathname));
  check(secondPageIds.every((id) => !firstPageIds.includes(id)), 'page 2 holds other rows than page 1');
  await noViolations(page, 'list page 2');
  await page.getByRole('link', { name: 'Föregående sida' }).click();
  check((await page.locator('nav.pages').textContent()).includes(`Sida 1 av ${pagesOf(total)}`), 'back on page 1');
  pass('pages_step_forward_and_back_with_page_n_of_m');

  // A filtered list, oldest first, page 2: open a record, step to the next, go back.
  await page.getByLabel('Talangpool').selectOption({ label: 'Inte med i talangpoolen' });
  await page.getByLabel('Ordning').selectOption({ label: 'Äldst först' });
  await show(page);
  check((await totalText(page)).trim() === sv(outOfPool), `out of the pool: ${sv(outOfPool)}`);
  await page.getByRole('link', { name: 'Nästa sida' }).click();
  await page.waitForURL(/page=2/);
  const listed = await rows(page).locator('td.code:nth-of-type(2)').allTextContents();
  check(listed.length >= 2, 'page 2 has rows');
  await rows(page).first().locator('th a').click();
  check((await h1s(page)).join() === `Registrering ${listed[0].trim()}`, 'the first row of page 2 opens');
  const steps = page.getByRole('navigation', { name: 'Registreringar i listan' });
  check((await steps.getByRole('link', { name: 'Föregående registrering' }).count()) === 1, 'a previous record');
  await shot(page, 'lists-03-record-steps');
  await noViolations(page, 'record opened from a list');
  await steps.getByRole('link', { name: 'Nästa registrering' }).click();
  check((await h1s(page)).join() === `Registrering ${listed[1].trim()}`, 'next is the second row of the list');
  await page
    .getByRole('navigation', { name: 'Registreringar i listan' })
    .getByRole('link', { name: 'Tillbaka till registreringarna, sida 2' })
    .click();
  const back = new URL(page.url());
  check(back.searchParams.get('talent_pool') === 'false', 'back keeps the talent-pool filter');
  check(back.searchParams.get('sort') === 'oldest', 'back keeps the order');
  check(back.searchParams.get('page') === '2', 'back keeps the page');
  check((await page.getByLabel('Talangpool').inputValue()) === 'false', 'the filter is still chosen');
  check((await page.locator('nav.pages').textContent()).includes(`Sida 2 av ${pagesOf(outOfPool)}`), 'page 2 of the filtered list');
  const again = await rows(page).locator('td.code:nth-of-type(2)').allTextContents();
  check(JSON.stringify(again) === JSON.stringify(listed), 'the same rows as before');
  pass('a_record_steps_within_the_filter_and_back_keeps_filter_and_page');

  // English.
  await page.goto(`${base}/console/registrations?lang=en`);
  check((await totalText(page)).trim() === `${total} registrations`, 'the total in English');
  check((await page.locator('nav.pages').textContent()).includes(`Page 1 of ${pagesOf(total)}`), 'page 1 of M in English');
  check((await page.getByLabel('Location').locator('option[value="goteborg"]').textContent()) === 'Gothenburg', 'labels in English');
  await shot(page, 'lists-04-list-english');
  await noViolations(page, 'list in English');
  await page.goto(`${base}/console/registrations?lang=sv`);
  pass('the_list_in_english_shows_the_total_without_axe_violations');

  // A recruiter with no event yet.
  const other = await (await context.browser().newContext({ viewport: { width: 1280, height: 900 }, locale: 'sv-SE' })).newPage();
  await logIn(other, unassigned);
  const notice = other.locator('#unassigned');
  check((await notice.getByRole('heading').textContent()) === 'Du har inget evenemang ännu', 'the reason is the heading');
  check((await notice.textContent()).includes('Be en administratör att tilldela dig ett evenemang: Ada Admin.'), 'whom to ask');
  check(!(await other.locator('main').textContent()).includes('Inga registreringar matchar filtret'), 'not "no match"');
  await shot(other, 'lists-05-no-event');
  await noViolations(other, 'list of a recruiter with no event');
  pass('a_recruiter_with_no_event_is_told_why_and_whom_to_ask');
});
