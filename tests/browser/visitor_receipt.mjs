// The visitor's receipt page in a real browser: the QR code's address (the code after `#`)
// opens the received page with the code moved into a POST and off the address bar; a code
// typed by hand does too; the talent-pool withdrawal asks first; a correction's empty text
// is refused with its error tied to the field; English switches `lang`; an unknown code is
// "on its way", a typo "check the code", a restricted record only "received". Every page
// is checked with axe-core.

import { env, check, pass, accessible, shot, htmlLang, runInBrowser } from './lib.mjs';

const relay = env('KIOSK_RELAY_URL');
const code = env('KIOSK_RECEIPT_CODE');
const restricted = env('KIOSK_RESTRICTED_CODE');
const unknown = env('KIOSK_UNKNOWN_CODE');
const compact = code.replaceAll('-', '');

async function heading(page, text) {
  await page.locator('h1', { hasText: text }).waitFor({ timeout: 10000 });
}

async function typeCode(page, typed) {
  await page.goto(`${relay}/kvitto`);
  await page.getByLabel('Kvittokod').fill(typed);
  await page.getByRole('button', { name: 'Visa', exact: true }).click();
}

await runInBrowser(async (context) => {
  const page = await context.newPage();
  const addresses = [];
  page.on('request', (request) => addresses.push(request.url()));

  await page.goto(`${relay}/kvitto#${compact}`);
  await heading(page, 'Vi har tagit emot din anmälan');
  check(!page.url().includes('#'), `the fragment stays in the address bar: ${page.url()}`);
  check(addresses.every((url) => !url.toUpperCase().includes(compact)), `the code reached an address: ${addresses.join(' ')}`);
  check((await htmlLang(page)) === 'sv', 'Swedish by default');
  check((await page.locator('main').textContent()).includes('som allmän handling'), 'received as a public document');
  await accessible(page, 'receipt_received_sv');
  await shot(page, 'receipt-received-sv');
  pass('qr_address_opens_the_received_page_and_the_code_leaves_the_address_bar');

  await page.goto(`${relay}/kvitto`);
  await accessible(page, 'receipt_form_sv');
  await shot(page, 'receipt-form-sv');
  await page.keyboard.press('Tab');
  check((await page.evaluate(() => document.activeElement.className)) === 'skip-link', 'the skip link is first');
  await typeCode(page, code.toLowerCase());
  await heading(page, 'Vi har tagit emot din anmälan');
  pass('typed_code_opens_the_received_page_and_the_form_passes_axe');

  await page.getByRole('button', { name: 'Ta tillbaka samtycket till talangbanken' }).click();
  await heading(page, 'Ta tillbaka samtycket till talangbanken');
  await accessible(page, 'receipt_withdraw_confirmation');
  await page.getByRole('button', { name: 'Ja, ta tillbaka samtycket' }).click();
  await heading(page, 'Klart');
  await accessible(page, 'receipt_withdrawn');
  await page.getByRole('button', { name: 'Tillbaka till kvittot' }).click();
  await heading(page, 'Vi har tagit emot din anmälan');
  check((await page.locator('main').textContent()).includes('Du finns inte i vår talangbank.'), 'out of the talent pool');
  pass('withdrawal_is_confirmed_then_done_and_passes_axe');

  await page.getByRole('button', { name: 'Be oss rätta ett fel' }).click();
  await heading(page, 'Be oss rätta ett fel');
  await page.getByRole('button', { name: 'Skicka begäran' }).click();
  await heading(page, 'Be oss rätta ett fel');
  check((await page.title()).startsWith('Det finns ett problem'), 'the title says there is an error');
  check((await page.locator('#text').getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
  await accessible(page, 'receipt_correction_error');
  await shot(page, 'receipt-correction-error');
  pass('correction_page_with_its_error_passes_axe');

  await page.getByRole('button', { name: 'Tillbaka till kvittot' }).click();
  await heading(page, 'Vi har tagit emot din anmälan');
  await page.getByRole('button', { name: 'English' }).click();
  await heading(page, 'We have received your registration');
  check((await htmlLang(page)) === 'en', 'html lang is en');
  await accessible(page, 'receipt_received_en');
  pass('english_switch_sets_html_lang_and_passes_axe');

  await typeCode(page, unknown);
  await heading(page, 'Din anmälan är på väg');
  await accessible(page, 'receipt_on_its_way');
  pass('unknown_code_is_on_its_way_and_passes_axe');

  await typeCode(page, code.slice(0, -1) + (code.endsWith('0') ? '1' : '0'));
  await heading(page, 'Ditt kvitto på din intresseanmälan');
  check((await page.locator('.error-summary').textContent()).includes('Kontrollera koden'), 'check the code');
  await accessible(page, 'receipt_mistyped');
  pass('mistyped_code_is_told_to_check_it_and_passes_axe');

  await typeCode(page, restricted);
  await heading(page, 'Vi har tagit emot din anmälan');
  check((await page.locator('form[action="/kvitto/atgard"]').count()) === 0, 'no actions on a restricted record');
  await accessible(page, 'receipt_restricted');
  pass('restricted_record_says_only_received_and_passes_axe');
});
