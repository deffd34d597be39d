// The visitor's receipt end to end, as issue 21 tells it: a visitor registers at the web
// kiosk (opting into the talent pool), reads the receipt from the thank-you screen, opens the
// relay's receipt page from the QR code's address and by typing the code, and is told "on
// its way" while the kiosk cannot reach the relay; once the harness has let the kiosk sync
// (the signal files below), the page says "received", with the event and the talent pool;
// the visitor then withdraws the talent-pool consent after a confirmation. Every page is
// checked with axe-core. The harness checks what HR then sees (lists, export, access log).

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessible, check, env, h1s, htmlLang, pass, readReceipt, runInBrowser, shot } from './lib.mjs';

const kiosk = env('KIOSK_WEB_URL');
// The relay as a visitor's phone reaches it, and the address the kiosk enrolled with (a
// proxy the harness can cut, so the QR address names it).
const relay = env('KIOSK_RELAY_URL');
const enrolled = env('KIOSK_ENROLLED_RELAY_URL');
const eventName = env('KIOSK_EVENT_NAME');
const signals = env('KIOSK_SIGNAL_DIR');

const visitor = {
  given: 'Vilja',
  family: 'Kvittosdotter',
  email: env('KIOSK_VISITOR_EMAIL'),
  phone: '070-555 12 34',
};

async function signalled(name, ms) {
  const until = Date.now() + ms;
  while (!existsSync(join(signals, name))) {
    check(Date.now() < until, `the harness gave no "${name}" signal within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function heading(page, text) {
  await page.locator('h1', { hasText: text }).waitFor({ timeout: 10_000 });
}

async function typeCode(page, typed) {
  await page.goto(`${relay}/kvitto`);
  await page.getByLabel('Kvittokod').fill(typed);
  await page.getByRole('button', { name: 'Visa', exact: true }).click();
}

async function register(page) {
  await page.goto(`${kiosk}/?lang=sv`);
  const start = page.locator('form.start button[name=lang][value=sv]');
  await start.waitFor({ timeout: 10_000 }).catch(async () => {
    throw new Error(`no start button on the welcome screen: ${(await h1s(page)).join(' | ')} ${(await page.locator('main').textContent()).slice(0, 300)}`);
  });
  await start.click();
  await page.waitForURL((url) => url.pathname === '/form');
  await page.locator('#given_name').fill(visitor.given);
  await page.locator('#family_name').fill(visitor.family);
  await page.locator('#email').fill(visitor.email);
  await page.locator('#phone').fill(visitor.phone);
  const interest = page.locator('input[name=interests]').first();
  await page.locator(`label[for="${await interest.getAttribute('id')}"]`).click();
  await page.locator('label[for=privacy_notice]').click();
  await page.locator('label[for=talent_pool]').click();
  await page.locator('button[name=intent][value=send]').click();
  await page.waitForURL((url) => url.pathname === '/thanks');
}

await runInBrowser(async (context) => {
  const tablet = await context.newPage();
  await register(tablet);
  const receipt = await readReceipt(tablet);
  check(receipt.qr.count === 1, 'the thank-you screen shows one QR code');
  check(receipt.text.replaceAll(/\s/g, '') === receipt.code, `the typed code on screen is the receipt's: ${receipt.text}`);
  const [where, fragment] = receipt.address.split('#');
  check(where === `${enrolled}/kvitto`, `the QR address is the receipt page of the relay the kiosk enrolled with: ${where}`);
  check(fragment === receipt.code.replaceAll('-', ''), 'the QR address carries the code only in its fragment');
  pass('the_thank_you_screen_gives_the_receipt_as_a_code_and_a_qr_address');
  await tablet.locator('button', { hasText: 'Klar' }).first().click();

  // The visitor's phone: the QR address, as the harness's relay reaches it.
  const phone = await context.newPage();
  const addresses = [];
  phone.on('request', (request) => addresses.push(request.url()));
  await phone.goto(`${relay}/kvitto#${fragment}`);
  await heading(phone, 'Din anmälan är på väg');
  check(!phone.url().includes('#'), `the code stays in the address bar: ${phone.url()}`);
  check(addresses.every((url) => !url.toUpperCase().includes(fragment)), 'the code reached a request address');
  check((await htmlLang(phone)) === 'sv', 'Swedish by default');
  await accessible(phone, 'receipt_on_its_way_from_the_qr_address');
  await shot(phone, 'receipt-e2e-on-its-way');
  pass('the_qr_address_says_on_its_way_before_the_kiosk_syncs');

  await typeCode(phone, receipt.code.toLowerCase());
  await heading(phone, 'Din anmälan är på väg');
  pass('the_typed_code_says_on_its_way_too');

  writeFileSync(join(signals, 'seen-on-its-way'), '');
  await signalled('synced', 120_000);

  await typeCode(phone, receipt.code);
  await heading(phone, 'Vi har tagit emot din anmälan');
  const received = await phone.locator('main').textContent();
  check(received.includes('som allmän handling'), 'received as a public document');
  check(received.includes(eventName), `the event's name is shown: ${eventName}`);
  check(!received.includes(visitor.email) && !received.includes(visitor.family), 'no personal data on the receipt page');
  await accessible(phone, 'receipt_received_after_sync');
  await shot(phone, 'receipt-e2e-received');
  pass('after_the_kiosk_syncs_the_page_says_received_with_the_event_and_no_personal_data');

  await phone.getByRole('button', { name: 'Ta tillbaka samtycket till talangbanken' }).click();
  await heading(phone, 'Ta tillbaka samtycket till talangbanken');
  await phone.getByRole('button', { name: 'Ja, ta tillbaka samtycket' }).click();
  await heading(phone, 'Klart');
  await phone.getByRole('button', { name: 'Tillbaka till kvittot' }).click();
  await heading(phone, 'Vi har tagit emot din anmälan');
  check((await phone.locator('main').textContent()).includes('Du finns inte i vår talangbank.'), 'out of the talent pool');
  pass('the_visitor_withdraws_the_talent_pool_consent_after_a_confirmation');
});
