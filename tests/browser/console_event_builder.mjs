// The event form builder in Debian's headless Chromium (through playwright-core): an admin
// builds an event's lists row by row (codes made from the Swedish labels, rows added,
// moved and removed with the draft kept), makes every kind of mistake at once and sees
// each named by its field in one answer, fixes them, creates the event, previews the
// visitor's form in Swedish and English, and publishes it through the confirmation page.
// Every page is screenshotted and checked with axe-core.
// Prints `PASS <check>` per check; tests/tests/console_event_builder_in_a_browser.rs starts
// the relay, requires every check and zero axe violations, and then lets a kiosk sync and
// capture with the published form.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_PASSWORD, KIOSK_EVENT_ID,
// KIOSK_SCREENSHOT_DIR, and optionally KIOSK_CHROMIUM.

import { accessible, check, env, h1s, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const password = env('KIOSK_HR_PASSWORD');
const eventId = env('KIOSK_EVENT_ID');

/** The list `name`'s fieldset, and its row `n`. */
const list = (scope, name) => scope.getByRole('group', { name, exact: true });
const row = (scope, name, n) => scope.getByRole('group', { name: `${name}, Rad ${n}`, exact: true });

/** The id of the focused element. */
const focused = (page) => page.evaluate(() => document.activeElement?.id ?? '');

/** Fills row `n` of list `name` (it must exist), leaving the code to be made. */
async function fillRow(scope, name, n, sv, en) {
  const r = row(scope, name, n);
  await r.getByLabel('Svensk etikett').fill(sv);
  await r.getByLabel('Engelsk etikett').fill(en);
}

/** Presses `button`, a submit, and waits for the page it answers with. */
async function submit(page, button) {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

/** Presses the add button of list `name` and waits for row `n` it adds. */
async function addRow(page, scope, name, n) {
  await submit(page, list(scope, name).getByRole('button', { name: /^Lägg till en rad/ }));
  await row(scope, name, n).waitFor();
}

/** The values of list `name`'s rows, as `sv|en|code`. */
async function rows(scope, name) {
  const inputs = list(scope, name).locator('.choice-row');
  const count = await inputs.count();
  const out = [];
  for (let i = 1; i <= count; i++) {
    const r = row(scope, name, i);
    out.push([
      await r.getByLabel('Svensk etikett').inputValue(),
      await r.getByLabel('Engelsk etikett').inputValue(),
      await r.getByLabel('Kod').inputValue(),
    ].join('|'));
  }
  return out;
}

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.goto(`${base}/console/login`);
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord').fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL('**/console/**');
  await page.goto(`${base}/console/events`);
  check((await h1s(page)).join() === 'Evenemang', 'one h1: Evenemang');

  // Build the lists row by row. Nothing is saved by the row buttons.
  const form = () => page.getByRole('form', { name: 'Nytt evenemang' });
  await form().getByLabel('Kod för evenemanget').fill(eventId);
  await form().getByLabel('Namn på svenska').fill('Höstmässan Göteborg 2027');
  await form().getByLabel('Namn på engelska').fill('Autumn Fair Gothenburg 2027');
  await form().getByLabel('Plats', { exact: true }).fill('Svenska mässan');
  await form().getByLabel('Startdatum').fill('2027-10-14');
  await form().getByLabel('Slutdatum').fill('2027-10-15');
  await form().getByRole('combobox', { name: 'Orter' }).selectOption('required');
  await fillRow(form(), 'Intresseområden', 1, 'Juridik', 'Law');
  await addRow(page, form(), 'Intresseområden', 2);
  check(await focused(page) === 'interest_areas-2-sv', `the added row's first field has focus, not ${await focused(page)}`);
  check((await form().getByLabel('Namn på svenska').inputValue()) === 'Höstmässan Göteborg 2027', 'the draft is kept');
  check((await row(form(), 'Intresseområden', 1).getByLabel('Kod').inputValue()) === 'juridik', 'the code is made from the label');
  await fillRow(form(), 'Intresseområden', 2, 'Ekonomi och ärendehandläggning', 'Finance and case handling');
  await addRow(page, form(), 'Intresseområden', 3);
  await fillRow(form(), 'Intresseområden', 3, 'Skåne län', 'Skåne County');
  await addRow(page, form(), 'Intresseområden', 4);
  await fillRow(form(), 'Intresseområden', 4, 'Att ta bort', 'To be removed');
  await submit(page, row(form(), 'Intresseområden', 3).getByRole('button', { name: 'Flytta upp rad 3' }));
  check(await focused(page) === 'interest_areas-2-up', 'focus stays on the moved row\'s button');
  await submit(page, row(form(), 'Intresseområden', 4).getByRole('button', { name: 'Ta bort rad 4' }));
  const interests = await rows(form(), 'Intresseområden');
  check(JSON.stringify(interests) === JSON.stringify([
    'Juridik|Law|juridik',
    'Skåne län|Skåne County|skane-lan',
    'Ekonomi och ärendehandläggning|Finance and case handling|ekonomi-och-arendehandlaggning',
  ]), `rows added, moved and removed: ${interests}`);
  check(await list(form(), 'Orter').getByText('Listan är tom.').isVisible(), 'an empty list says so');
  await addRow(page, form(), 'Orter', 1);
  await fillRow(form(), 'Orter', 1, 'Malmö', 'Malmö');
  await addRow(page, form(), 'Orter', 2);
  await fillRow(form(), 'Orter', 2, 'Göteborg', 'Gothenburg');
  await addRow(page, form(), 'Orter', 3);
  check(JSON.stringify(await rows(form(), 'Orter')) === JSON.stringify(['Malmö|Malmö|malmo', 'Göteborg|Gothenburg|goteborg', '||']), 'Swedish letters in codes');
  await shot(page, 'event-builder-01-rows');
  await accessible(page, 'event builder with rows');
  pass('lists_are_built_row_by_row_and_the_draft_is_kept');

  // Every mistake at once: an invalid code, a duplicate code, a missing English label, a
  // date as 14/10/2027, empty privacy notices, a missing retention decision.
  await row(form(), 'Intresseområden', 1).getByLabel('Kod').fill('Juridik!');
  await row(form(), 'Intresseområden', 2).getByLabel('Engelsk etikett').fill('');
  await row(form(), 'Intresseområden', 3).getByLabel('Kod').fill('skane-lan');
  await form().getByLabel('Slutdatum').fill('14/10/2027');
  await form().getByLabel('Gallringsbeslut').fill('');
  await submit(page, form().getByRole('button', { name: 'Skapa evenemanget' }));
  await page.getByRole('alert').waitFor();
  const summary = page.getByRole('alert');
  check(await focused(page) === 'error-summary', `focus is on the error summary, not ${await focused(page)}`);
  const expected = [
    ['Slutdatum: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-10-14.', 'ends_on'],
    ['Intresseområden, rad 1: koden får bara innehålla små bokstäver a–z, siffror och bindestreck, högst 48 tecken.', 'interest_areas-1-code'],
    ['Intresseområden, rad 2: engelsk etikett saknas.', 'interest_areas-2-en'],
    ['Intresseområden, rad 3: koden skane-lan finns redan på rad 2.', 'interest_areas-3-code'],
    ['Integritetsmeddelande på svenska saknas.', 'privacy_sv'],
    ['Integritetsmeddelande på engelska saknas.', 'privacy_en'],
    ['Text för talangpoolen på svenska saknas.', 'talent_pool_sv'],
    ['Text för talangpoolen på engelska saknas.', 'talent_pool_en'],
    ['Gallringsbeslut saknas.', 'retention_decision'],
  ];
  const links = await summary.getByRole('link').allTextContents();
  check(JSON.stringify(links) === JSON.stringify(expected.map(([m]) => m)), `every error, in form order, once: ${JSON.stringify(links)}`);
  for (const [message, id] of expected) {
    check((await summary.getByRole('link', { name: message }).getAttribute('href')) === `#${id}`, `${message} links to its field`);
    const field = page.locator(`[id="${id}"]`);
    check((await field.getAttribute('aria-invalid')) === 'true', `${id} is marked invalid`);
    check((await page.locator(`[id="${id}-error"]`).textContent()).includes(message), `${id} has its message beside it`);
  }
  check((await form().getByLabel('Slutdatum').inputValue()) === '14/10/2027', 'the input is kept');
  await shot(page, 'event-builder-02-every-error');
  await accessible(page, 'event builder with every error');
  await summary.getByRole('link', { name: 'Intresseområden, rad 2: engelsk etikett saknas.' }).click();
  check(await page.evaluate(() => window.location.hash) === '#interest_areas-2-en', 'the summary link leads to the field');
  pass('every_mistake_is_named_by_its_field_in_one_submit');

  // Fix them: an end before the start is named next (it cannot be judged from 14/10/2027).
  await row(form(), 'Intresseområden', 1).getByLabel('Kod').fill('juridik');
  await row(form(), 'Intresseområden', 2).getByLabel('Engelsk etikett').fill('Skåne County');
  await row(form(), 'Intresseområden', 3).getByLabel('Kod').fill('');
  await form().getByLabel('Slutdatum').fill('2027-10-13');
  await form().getByLabel('Integritetsmeddelande på svenska').fill('Din anmälan blir en allmän handling hos myndigheten.\n\nDu kan begära ett registerutdrag.');
  await form().getByLabel('Integritetsmeddelande på engelska').fill('Your registration becomes a public record at the agency.\n\nYou can ask for a copy of your data.');
  await form().getByLabel('Text för talangpoolen på svenska').fill('Vi får kontakta dig om andra tjänster.');
  await form().getByLabel('Text för talangpoolen på engelska').fill('We may contact you about other jobs.');
  await form().getByLabel('Gallringsbeslut').fill('Dnr 2027/0042');
  await submit(page, form().getByRole('button', { name: 'Skapa evenemanget' }));
  await page.getByRole('alert').waitFor();
  const left = await page.getByRole('alert').getByRole('link').allTextContents();
  check(JSON.stringify(left) === JSON.stringify(['Slutdatum: får inte vara före startdatumet.']), `only the end date is left: ${left}`);
  await form().getByLabel('Slutdatum').fill('2027-10-15');
  await submit(page, form().getByRole('button', { name: 'Skapa evenemanget' }));
  await page.waitForURL(`**/console/events/${eventId}?created=1`);
  check((await page.getByRole('status').first().textContent()).includes('Evenemanget är skapat'), 'the creation is announced');
  const stored = await rows(page, 'Intresseområden');
  check(JSON.stringify(stored) === JSON.stringify([
    'Juridik|Law|juridik',
    'Skåne län|Skåne County|skane-lan',
    'Ekonomi och ärendehandläggning|Finance and case handling|ekonomi-och-arendehandlaggning',
  ]), `the saved rows: ${stored}`);
  await shot(page, 'event-builder-03-created');
  await accessible(page, 'event created');
  pass('fixed_errors_create_the_event');

  // Preview: the visitor's form in both languages, from the draft as typed.
  await submit(page, page.getByRole('button', { name: 'Förhandsgranska' }));
  await page.locator('#preview-heading').waitFor();
  check(await focused(page) === 'preview-heading', 'the preview takes focus');
  const sv = page.locator('#preview [lang="sv"]');
  const en = page.locator('#preview [lang="en"]');
  for (const text of ['Din intresseanmälan', 'Förnamn', 'Juridik', 'Skåne län', 'Malmö', 'Så behandlar vi dina uppgifter', 'Du kan begära ett registerutdrag.', 'Uppgifterna sparas i 24 månader.']) {
    check(await sv.getByText(text, { exact: false }).first().isVisible(), `Swedish preview shows ${text}`);
  }
  for (const text of ['Your expression of interest', 'First name', 'Law', 'Skåne County', 'Gothenburg', 'How we handle your details', 'You can ask for a copy of your data.', 'Your details are kept for 24 months.']) {
    check(await en.getByText(text, { exact: false }).first().isVisible(), `English preview shows ${text}`);
  }
  check(await sv.getByText('Du kan begära ett registerutdrag.', { exact: true }).count() === 1, 'a blank line starts a new paragraph, as on the kiosk (sv)');
  check(await en.getByText('You can ask for a copy of your data.', { exact: true }).count() === 1, 'a blank line starts a new paragraph, as on the kiosk (en)');
  await shot(page, 'event-builder-04-preview');
  await accessible(page, 'event preview');
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the builder and preview fit 390 px (${overflow} px too wide)`);
  await shot(page, 'event-builder-05-preview-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  pass('preview_shows_the_visitor_form_in_both_languages');

  // Publishing: a link to a confirmation page, which says what happens.
  await page.getByRole('link', { name: 'Publicera utkastet' }).click();
  await page.waitForURL(`**/console/events/${eventId}/publish`);
  check((await h1s(page)).join() === 'Publicera formuläret för Höstmässan Göteborg 2027?', 'the confirmation asks');
  const body = await page.locator('main').textContent();
  for (const text of ['fryses den här versionen', 'Surfplattorna får formuläret nästa gång de synkroniserar', 'Det här publiceras', 'Your expression of interest']) {
    check(body.includes(text), `the confirmation says ${text}`);
  }
  await shot(page, 'event-builder-06-confirm');
  await accessible(page, 'publish confirmation');
  await page.getByRole('link', { name: 'Avbryt och gå tillbaka till evenemanget' }).click();
  await page.waitForURL(`**/console/events/${eventId}`);
  check((await page.getByText('Inget är publicerat än.').count()) === 1, 'cancelling publishes nothing');
  await page.getByRole('link', { name: 'Publicera utkastet' }).click();
  await page.getByRole('button', { name: 'Ja, publicera formuläret' }).click();
  await page.waitForURL(`**/console/events/${eventId}?published=1`);
  check((await page.getByRole('status').first().textContent()).includes('Formuläret är publicerat'), 'the publication is announced');
  await accessible(page, 'event published');
  pass('publishing_is_confirmed_on_its_own_page');

  // The same builder in English, at a phone's width too: an error names its row in English
  // and nothing is saved; the preview is titled in English.
  await page.goto(`${base}/console/events/${eventId}?lang=en`);
  const english = page.getByRole('form', { name: 'Details and form' });
  const label = english.getByRole('group', { name: 'Interest areas, Row 2', exact: true }).getByLabel('English label');
  await label.fill('');
  // Enter in a field saves (the form's first, hidden, submit), never moves or removes a row.
  await Promise.all([page.waitForNavigation(), label.press('Enter')]);
  const errors = await page.getByRole('alert').getByRole('link').allTextContents();
  check(JSON.stringify(errors) === JSON.stringify(['Interest areas, row 2: English label is missing.']), `the English error: ${errors}`);
  check(await page.locator('.choice-row').count() === 5, 'no row was moved or removed');
  await shot(page, 'event-builder-07-error-en');
  await accessible(page, 'event builder error in English');
  await page.setViewportSize({ width: 390, height: 844 });
  const tooWide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll('main *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
    .slice(0, 5).map((e) => `${e.tagName}.${e.className}#${e.id}`).join(' '));
  check(tooWide <= 0, `the English builder fits 390 px (${tooWide} px too wide: ${wide})`);
  await shot(page, 'event-builder-08-error-en-phone');
  await submit(page, page.getByRole('button', { name: 'Preview' }));
  check((await page.locator('#preview-heading').textContent()) === 'Preview: the form as visitors see it', 'the preview is titled in English');
  check(await page.locator('#preview [lang="en"]').getByText('(label missing)').count() === 1, 'a label not yet written shows as missing');
  await accessible(page, 'event preview in English');
  await shot(page, 'event-builder-09-preview-en-phone');
  pass('the_builder_speaks_english_and_fits_a_phone');
});
