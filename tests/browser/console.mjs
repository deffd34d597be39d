// Drives the relay's HR console in Debian's headless Chromium (through playwright-core):
// log in with a one-time password, choose a password, open the list, search by a receipt
// code, open the registration, record that its visitor asked not to be contacted (the
// form, its confirmation, the flag with its date), review a quarantined capture (its
// page, the decision, the confirmation), switch to English, log out. Each main page is saved as a
// screenshot and checked with axe-core; a violation of impact `serious` or `critical`
// fails the run. Prints `PASS <check>` per check; tests/tests/console_in_a_browser.rs
// starts the relay, fills the environment and requires every check by name.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_ONE_TIME_PASSWORD,
// KIOSK_HR_NEW_PASSWORD, KIOSK_RECEIPT_CODE, KIOSK_EXPECTED_NAME, KIOSK_EXPECTED_ROWS,
// KIOSK_SCREENSHOT_DIR, and optionally KIOSK_CHROMIUM (default /usr/bin/chromium).

import { accessible, check, env, h1s, htmlLang, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const oneTimePassword = env('KIOSK_HR_ONE_TIME_PASSWORD');
const newPassword = env('KIOSK_HR_NEW_PASSWORD');
const receiptCode = env('KIOSK_RECEIPT_CODE');
const expectedName = env('KIOSK_EXPECTED_NAME');
const expectedRows = Number(env('KIOSK_EXPECTED_ROWS'));

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  // The login page, in Swedish by default.
  await page.goto(`${base}/console/login`);
  check((await htmlLang(page)) === 'sv', 'the login page is in Swedish by default');
  check((await h1s(page)).join() === 'Logga in', 'one h1: Logga in');
  await shot(page, '01-login');
  await accessible(page, 'login');
  pass('login_page_is_swedish_and_passes_axe');

  // Keyboard: the skip link comes first and moves focus to the main content.
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement?.className);
  check(first === 'skip-link', `the first Tab reaches the skip link, not ${first}`);
  await page.keyboard.press('Enter');
  const focused = await page.evaluate(() => document.activeElement?.id);
  check(focused === 'main', `the skip link moves focus to main, not ${focused}`);
  pass('skip_link_is_first_and_moves_focus_to_main');

  // A wrong password: announced, tied to the field, never echoed.
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord', { exact: true }).fill('inte det rätta lösenordet');
  await page.getByRole('button', { name: 'Logga in' }).click();
  const alert = page.getByRole('alert');
  check((await alert.textContent()).includes('Fel användarnamn eller lösenord'), 'the error is in an alert');
  const password = page.getByLabel('Lösenord', { exact: true });
  check((await password.getAttribute('aria-invalid')) === 'true', 'the password field is marked invalid');
  check((await password.getAttribute('aria-describedby')) === 'password-error', 'the error describes the field');
  check((await password.inputValue()) === '', 'the password is not echoed');
  check((await page.title()).startsWith('Fel: '), 'the title says there is an error');
  await shot(page, '02-login-error');
  await accessible(page, 'login with an error');
  pass('wrong_password_is_announced_and_passes_axe');

  // The one-time password opens only the password page.
  await page.getByLabel('Lösenord', { exact: true }).fill(oneTimePassword);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL('**/console/password');
  check((await h1s(page)).join() === 'Byt lösenord', 'one h1: Byt lösenord');
  check((await page.getByRole('link', { name: 'Registreringar' }).count()) === 0, 'no list before a new password');
  pass('one_time_password_opens_the_password_page');
  await shot(page, '03-password');
  await accessible(page, 'password');
  pass('password_page_passes_axe');

  await page.getByLabel('Engångslösenord').fill(oneTimePassword);
  await page.getByLabel('Nytt lösenord').fill(newPassword);
  await page.getByLabel('Upprepa det nya lösenordet').fill(newPassword);
  await page.getByRole('button', { name: 'Spara lösenordet' }).click();
  await page.waitForURL('**/console/registrations');
  pass('new_password_opens_the_list');

  // The list: newest first, restricted records left out for a user without the clearance.
  check((await h1s(page)).join() === 'Registreringar', 'one h1: Registreringar');
  const table = page.getByRole('table', { name: 'Registreringar, nyast först' });
  const rows = table.locator('tbody tr');
  check((await rows.count()) === expectedRows, `${expectedRows} rows listed, not ${await rows.count()}`);
  check((await table.locator('thead th[scope="col"]').count()) === 7, 'column headers with scope');
  await shot(page, '04-list');
  await accessible(page, 'list');
  pass('list_shows_the_readable_registrations_and_passes_axe');

  // Search by receipt code, as a visitor would read it out.
  await page.getByLabel('Sök', { exact: true }).fill(receiptCode);
  await page.getByRole('button', { name: 'Visa' }).click();
  await page.waitForURL(/\/console\/registrations\?q=/);
  check((await rows.count()) === 1, `one row for ${receiptCode}, not ${await rows.count()}`);
  const row = rows.first();
  check((await row.textContent()).includes(receiptCode), 'the row shows the receipt code');
  check((await row.textContent()).includes(expectedName), 'the row shows the name');
  check((await page.getByLabel('Sök', { exact: true }).inputValue()) === receiptCode, 'the search stays in the field');
  await shot(page, '05-search');
  await accessible(page, 'list searched');
  pass('search_by_receipt_code_finds_one_registration');

  // The detail page.
  await row.getByRole('link').click();
  await page.waitForURL(/\/console\/registrations\/[0-9a-f-]{36}(\?.*)?$/);
  check((await h1s(page)).join() === `Registrering ${receiptCode}`, 'one h1 naming the receipt code');
  const main = await page.locator('main').textContent();
  for (const part of expectedName.split(' ')) {
    check(main.includes(part), `the person is shown: ${part}`);
  }
  for (const heading of ['Person', 'Intressen', 'Information och samtycke', 'Status', 'Anteckningar', 'Betyg']) {
    check((await page.getByRole('heading', { level: 2, name: heading, exact: true }).count()) === 1, `a ${heading} section`);
  }
  const detailUrl = page.url();
  await shot(page, '06-detail');
  await accessible(page, 'detail');
  pass('detail_page_shows_the_registration_and_passes_axe');

  // "Asked not to be contacted": the form, its own confirmation page, then the record says
  // so with the date; nothing recorded before the confirmation.
  check((await page.locator('[data-flag="do-not-contact"]').count()) === 0, 'not flagged before the request');
  await page.getByRole('form', { name: 'Besökaren vill inte bli kontaktad' })
    .getByRole('button', { name: 'Registrera begäran' }).click();
  check((await h1s(page)).join() === 'Registrera att besökaren inte vill bli kontaktad?', 'the request has a confirmation page');
  check((await page.locator('main').textContent()).includes('objected_to_contact'), 'the confirmation names the basis');
  await shot(page, '06d-do-not-contact-confirmation');
  await accessible(page, 'do-not-contact confirmation');
  await page.getByRole('button', { name: 'Ja, registrera begäran' }).click();
  await page.waitForURL(/\?saved=do-not-contact/);
  check((await page.getByRole('status').textContent()).includes('Begäran är registrerad'), 'the request is announced');
  const flag = page.locator('[data-flag="do-not-contact"]');
  check((await flag.getByRole('heading', { name: 'Har bett att inte bli kontaktad' }).count()) === 1, 'the record is flagged');
  check(/Antecknat: \d{4}-\d{2}-\d{2}/.test(await flag.textContent()), 'with the date it was recorded');
  check((await page.getByRole('button', { name: 'Registrera begäran' }).count()) === 0, 'the form is gone once recorded');
  await shot(page, '06e-detail-do-not-contact');
  await accessible(page, 'detail asked not to be contacted');
  pass('do_not_contact_has_a_confirmation_then_the_record_shows_it_and_passes_axe');

  // Quarantine: the capture a revoked tablet sent, with its content and why it was kept
  // apart in words; the decision on its own page, then a confirmation before it counts.
  await page.getByRole('link', { name: 'Karantän' }).click();
  await page.getByRole('link', { name: /^Granska/ }).first().click();
  check((await h1s(page)).join() === 'Insändning i karantän', 'the capture has its own page');
  check((await page.getByText('HR hade återkallat surfplattan').count()) === 1, 'why it was kept apart, in words');
  check((await page.locator('dd', { hasText: /^Karin$/ }).count()) === 1, 'the capture\'s content');
  await shot(page, '06b-quarantined-capture');
  await accessible(page, 'quarantined capture');
  pass('quarantined_capture_shows_its_content_and_why_and_passes_axe');
  await page.getByRole('link', { name: 'Fatta beslut om insändningen' }).click();
  check((await h1s(page)).join() === 'Beslut om insändningen', 'the decision has its own page');
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  check((await page.getByRole('alert').textContent()).includes('Välj om insändningen ska godtas'), 'a missing decision is named');
  await accessible(page, 'decision with errors');
  await page.getByLabel('Håll åtskild för gott').check();
  await page.getByLabel('Skäl').fill('Gjord efter att surfplattan spärrades.');
  await page.getByRole('button', { name: 'Fortsätt' }).click();
  check((await h1s(page)).join() === 'Hålla insändningen åtskild för gott?', 'the confirmation page');
  await shot(page, '06c-quarantine-confirmation');
  await accessible(page, 'decision confirmation');
  await page.getByRole('button', { name: 'Ja, håll den åtskild' }).click();
  await page.waitForURL('**/console/quarantine?reviewed=*');
  check((await page.getByRole('status').textContent()).includes('Beslutet är sparat.'), 'the decision is announced');
  check((await page.getByText('Hålls åtskild', { exact: true }).count()) === 1, 'the list shows the decision');
  pass('quarantine_decision_has_its_own_page_and_a_confirmation_and_passes_axe');
  await page.goto(detailUrl);

  // English, remembered from then on.
  await page.getByRole('link', { name: 'English' }).click();
  check((await htmlLang(page)) === 'en', 'html lang is en');
  check((await h1s(page)).join() === `Registration ${receiptCode}`, 'the h1 in English');
  await shot(page, '07-detail-english');
  await accessible(page, 'detail in English');
  await page.getByRole('link', { name: 'Back to the registrations' }).click();
  check((await htmlLang(page)) === 'en', 'English is remembered');
  check((await h1s(page)).join() === 'Registrations', 'the list in English');
  await shot(page, '08-list-english');
  await accessible(page, 'list in English');
  pass('english_switch_sets_html_lang_and_passes_axe');

  // Logging out ends the session: the list sends the browser back to the login.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL('**/console/login?logged_out=1');
  check((await page.getByRole('status').textContent()).includes('You are logged out'), 'the logout is announced');
  await shot(page, '09-logged-out');
  await accessible(page, 'logged out');
  await page.goto(`${base}/console/registrations`);
  check(new URL(page.url()).pathname === '/console/login', 'the list needs a new login');
  pass('logout_ends_the_session');
});
