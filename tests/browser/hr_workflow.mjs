// Central HR's day in Debian's headless Chromium (through playwright-core): an officer who is
// admin, recruiter and archivist creates and publishes an event, creates an enrollment
// code, and a tablet (the kiosk-device CLI, set up without an event) enrolls with it,
// receives the event, captures visitors and syncs; the officer assigns themselves the
// event, finds a registration by its receipt code, adds a note and sets the status, exports
// CSV and reads it, revokes the tablet, and finds each step in the access log. Each main
// page is saved as a screenshot and checked with axe-core (serious or critical fails).
// Prints `PASS <check>` per check and `RECEIPT <code>` for the registration it worked on;
// tests/tests/hr_workflow_in_a_browser.rs starts the relay and checks the store afterwards.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_PASSWORD, KIOSK_EVENT_ID,
// KIOSK_DEVICE_CLI (the kiosk-device binary), KIOSK_TABLET_STORE (a path for its store),
// KIOSK_SCREENSHOT_DIR, and optionally KIOSK_CHROMIUM.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { accessible, check, env, h1s, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const password = env('KIOSK_HR_PASSWORD');
const eventId = env('KIOSK_EVENT_ID');
const deviceCli = env('KIOSK_DEVICE_CLI');
const tabletStore = env('KIOSK_TABLET_STORE');

/** Runs the tablet's CLI with `args` on its store; returns what it printed. */
function tablet(...args) {
  return execFileSync(deviceCli, [...args, '--store', tabletStore], { encoding: 'utf8', timeout: 60_000 });
}

/** The visitors the tablet captures: one the officer will look for, and two more. */
const visitors = [
  ['Märta', 'Öberg', 'marta.oberg@example.se', true],
  ['Jonas', 'Lind', 'jonas.lind@example.se', false],
  ['Ebba', 'Holm', 'ebba.holm@example.se', true],
].map(([given, family, email, pool]) => ({
  language: 'sv',
  given_name: given,
  family_name: family,
  email,
  phone: '',
  interests: ['arkitektur'],
  locations: ['uppsala'],
  education_level: '',
  free_text: '',
  privacy_notice_acknowledged: true,
  talent_pool_opt_in: pool,
  protected_personal_data: false,
}));

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  // Log in: an admin lands on the events.
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL('**/console/registrations');
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Evenemang' }).click();
  await page.waitForURL('**/console/events');
  check((await h1s(page)).join() === 'Evenemang', 'one h1: Evenemang');
  pass('admin_logs_in_to_the_events_page');

  // Create the event: first with a mistake, shown on its field, the input kept.
  const form = page.getByRole('form', { name: 'Nytt evenemang' });
  await form.getByLabel('Kod för evenemanget').fill(eventId);
  await form.getByLabel('Namn på svenska').fill('Rekryteringsdag Uppsala 2027');
  await form.getByLabel('Namn på engelska').fill('Uppsala Recruitment Day 2027');
  await form.getByLabel('Plats', { exact: true }).fill('Uppsala Konsert & Kongress');
  await form.getByLabel('Startdatum').fill('2027-04-20');
  await form.getByLabel('Slutdatum').fill('2027-04-19');
  await form.getByRole('combobox', { name: 'Orter' }).selectOption('optional');
  // Lists row by row; each code is made from its Swedish label.
  const addRow = async (list, n) => {
    await Promise.all([page.waitForNavigation(), form.getByRole('group', { name: list, exact: true }).getByRole('button', { name: /^Lägg till en rad/ }).click()]);
    await form.getByRole('group', { name: `${list}, Rad ${n}`, exact: true }).waitFor();
  };
  const fillRow = async (list, n, sv, en) => {
    const row = form.getByRole('group', { name: `${list}, Rad ${n}`, exact: true });
    await row.getByLabel('Svensk etikett').fill(sv);
    await row.getByLabel('Engelsk etikett').fill(en);
  };
  await fillRow('Intresseområden', 1, 'Arkitektur', 'Architecture');
  await addRow('Intresseområden', 2);
  await fillRow('Intresseområden', 2, 'Juridik', 'Law');
  await addRow('Orter', 1);
  await fillRow('Orter', 1, 'Uppsala', 'Uppsala');
  await addRow('Orter', 2);
  await fillRow('Orter', 2, 'Norrköping', 'Norrköping');
  await form.getByLabel('Integritetsmeddelande på svenska').fill('Din anmälan blir en allmän handling hos myndigheten.');
  await form.getByLabel('Integritetsmeddelande på engelska').fill('Your registration becomes a public record at the agency.');
  await form.getByLabel('Text för talangpoolen på svenska').fill('Ja, spara mig i talangpoolen i 24 månader.');
  await form.getByLabel('Text för talangpoolen på engelska').fill('Yes, keep me in the talent pool for 24 months.');
  await form.getByLabel('Gallringsbeslut').fill('Dnr 2027/0042');
  await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: 'Skapa evenemanget' }).click()]);
  const endField = page.getByLabel('Slutdatum');
  check((await endField.getAttribute('aria-invalid')) === 'true', 'the end date is marked invalid');
  check((await page.getByRole('alert').first().textContent()).includes('Slutdatum: får inte vara före startdatumet'), 'the error names the end date');
  check((await page.getByLabel('Gallringsbeslut').inputValue()) === 'Dnr 2027/0042', 'the input is kept');
  await shot(page, 'workflow-01-event-error');
  await accessible(page, 'event form with an error');
  pass('invalid_event_input_is_shown_on_the_form');

  await page.getByLabel('Slutdatum').fill('2027-04-21');
  await page.getByRole('button', { name: 'Skapa evenemanget' }).click();
  await page.waitForURL(`**/console/events/${eventId}**`);
  check((await page.getByRole('status').first().textContent()).includes('Evenemanget är skapat'), 'the creation is announced');
  await shot(page, 'workflow-02-event-created');
  await accessible(page, 'event created');
  pass('event_is_created_and_passes_axe');

  await page.getByRole('link', { name: 'Publicera utkastet' }).click();
  await page.getByRole('button', { name: 'Ja, publicera formuläret' }).click();
  check((await page.getByRole('status').first().textContent()).includes('Formuläret är publicerat'), 'the publication is announced');
  const versions = page.getByRole('table', { name: 'Publicerade versioner, senaste först' });
  check((await versions.locator('tbody tr').count()) === 1, 'one published version');
  await shot(page, 'workflow-03-event-published');
  await accessible(page, 'event published');
  pass('event_is_published');

  // An enrollment code for one kiosk at the new event.
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Surfplattor' }).click();
  await page.getByLabel('Evenemang').selectOption({ label: 'Rekryteringsdag Uppsala 2027' });
  await page.getByLabel('Typ av surfplatta').selectOption({ label: 'Kiosk (besökare fyller i)' });
  await page.getByLabel('Namn på surfplattan').fill('Kiosk 1, Uppsala');
  await page.getByRole('button', { name: 'Skapa kod' }).click();
  const code = (await page.locator('p.secret.code').textContent()).trim();
  check(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){4}$/.test(code), `a grouped code, not ${code}`);
  const qr = page.getByRole('img', { name: 'QR-kod med registreringskoden och reläets adress' });
  check((await qr.count()) === 1, 'the QR code is an image with a name');
  await shot(page, 'workflow-04-enrollment-code');
  await accessible(page, 'enrollment code');
  pass('enrollment_code_is_shown_as_text_and_qr_and_passes_axe');

  // The tablet: set up without an event, enrolled, given its event by the first sync.
  tablet('init', '--event-from-relay');
  tablet('enroll', '--relay', base, '--code', code);
  tablet('sync', '--relay', base);
  const visitorsFile = join(dirname(tabletStore), 'visitors.json');
  writeFileSync(visitorsFile, JSON.stringify(visitors));
  const captured = tablet('capture', '--file', visitorsFile);
  check(captured.includes('3 captured, 0 refused'), `three captured: ${captured}`);
  const receipt = captured.split('\n').find((l) => l.startsWith('captured ')).split(' ')[1];
  console.log(`RECEIPT ${receipt}`);
  const synced = tablet('sync', '--relay', base);
  check(synced.includes('3 received'), `three received: ${synced}`);
  pass('cli_tablet_enrolls_receives_the_event_captures_and_syncs');

  await page.goto(`${base}/console/devices`);
  const devices = page.getByRole('table', { name: 'Surfplattor i registreringsordning' });
  const deviceRow = devices.locator('tbody tr').filter({ hasText: 'Rekryteringsdag Uppsala 2027' });
  check((await deviceRow.count()) === 1, 'the tablet is listed under the event');
  check(/Aktiv/.test(await deviceRow.textContent()), 'the tablet is active');
  check((await deviceRow.textContent()).includes('Kiosk 1, Uppsala'), 'the tablet has the name its code gave');
  await shot(page, 'workflow-05-devices');
  await accessible(page, 'devices');
  pass('devices_page_shows_the_tablet_and_its_counts');

  // The officer assigns themselves the event, as recruiter.
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Användare' }).click();
  const assign = page.getByRole('region', { name: 'Tilldela ett evenemang' });
  await assign.getByLabel('Rekryterare').selectOption({ label: `Hedda Chef (${username})` });
  await assign.getByLabel('Evenemang').selectOption({ label: 'Rekryteringsdag Uppsala 2027' });
  await assign.getByRole('button', { name: 'Tilldela' }).click();
  const users = page.getByRole('table', { name: 'Användare efter användarnamn' });
  check((await users.locator('tr').filter({ hasText: username }).textContent()).includes('Rekryteringsdag Uppsala 2027'), 'the assignment is listed');
  await shot(page, 'workflow-06-users');
  await accessible(page, 'users');
  pass('admin_assigns_the_event_to_themselves');

  // Find the registration by its receipt code, as the visitor would read it out.
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Registreringar' }).click();
  await page.getByLabel('Sök', { exact: true }).fill(receipt);
  await page.getByRole('button', { name: 'Visa' }).click();
  const rows = page.getByRole('table', { name: 'Registreringar, nyast först' }).locator('tbody tr');
  check((await rows.count()) === 1, `one row for ${receipt}, not ${await rows.count()}`);
  check((await rows.first().textContent()).includes('Märta Öberg'), 'the row shows the visitor');
  await rows.first().getByRole('link').click();
  check((await h1s(page)).join() === `Registrering ${receipt}`, 'the detail page names the receipt code');
  pass('registration_is_found_by_receipt_code');

  // A note and a status, each announced and shown.
  await page.getByLabel('Anteckning', { exact: true }).fill('Ring om tjänsten som arkitekt, helst på förmiddagen.');
  await page.getByRole('button', { name: 'Lägg till anteckningen' }).click();
  check((await page.getByRole('status').first().textContent()).includes('Anteckningen är sparad'), 'the note is announced');
  check((await page.locator('main').textContent()).includes('Ring om tjänsten som arkitekt'), 'the note is shown');
  await page.getByLabel('Ny status').selectOption({ label: 'Kontaktad' });
  await page.getByRole('button', { name: 'Spara statusen' }).click();
  check((await page.getByRole('status').first().textContent()).includes('Statusen är sparad'), 'the status is announced');
  await shot(page, 'workflow-07-detail-with-note');
  await accessible(page, 'detail with a note');
  pass('note_and_status_are_saved_and_shown');

  // Export the event as CSV and read the file.
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Export' }).click();
  await shot(page, 'workflow-08-export');
  await accessible(page, 'export');
  await page.getByLabel('Evenemang').selectOption({ label: 'Rekryteringsdag Uppsala 2027' });
  await page.getByLabel('Format').selectOption({ label: 'CSV (Excel)' });
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Hämta filen' }).click();
  const download = await downloading;
  check(/^registrations-.*\.csv$/.test(download.suggestedFilename()), `a CSV file, not ${download.suggestedFilename()}`);
  const bytes = readFileSync(await download.path());
  check(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'the file starts with a UTF-8 byte-order mark');
  const text = bytes.toString('utf8').slice(1);
  const lines = text.split('\r\n').filter((l) => l !== '');
  check(lines.length === 4, `a header and three rows, not ${lines.length}`);
  check(lines[0].split(';').length > 5, 'the header is separated by semicolons');
  const exported = lines.find((l) => l.includes(receipt));
  check(exported !== undefined && exported.includes('Märta') && exported.includes('Öberg'), 'the registration is exported with å, ä and ö intact');
  check(exported.includes('Kontaktad'), 'the exported row has the new status');
  pass('csv_export_has_bom_semicolons_and_the_registration');

  // Revoke the tablet: asked first, then done.
  await page.goto(`${base}/console/devices`);
  await page.getByRole('table', { name: 'Surfplattor i registreringsordning' }).locator('tbody tr')
    .filter({ hasText: 'Rekryteringsdag Uppsala 2027' }).getByRole('link', { name: 'Återkalla' }).click();
  check((await h1s(page)).join() === 'Återkalla surfplattan?', 'a confirmation page');
  await shot(page, 'workflow-09-revoke-confirm');
  await accessible(page, 'revoke confirmation');
  await page.getByRole('button', { name: 'Ja, återkalla surfplattan' }).click();
  check((await page.getByRole('status').first().textContent()).includes('Surfplattan är återkallad'), 'the revocation is announced');
  const revokedRow = page.getByRole('table', { name: 'Surfplattor i registreringsordning' }).locator('tbody tr')
    .filter({ hasText: 'Rekryteringsdag Uppsala 2027' });
  check(/Återkallad/.test(await revokedRow.textContent()), 'the tablet shows as revoked');
  pass('tablet_is_revoked_after_confirmation');

  // The access log: the officer's list, read, change and export of that record.
  await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Åtkomstlogg' }).click();
  await page.getByRole('button', { name: 'Kontrollera kedjan' }).click();
  check((await page.getByRole('status').first().textContent()).includes('Loggens kedja är hel'), 'the chain verdict is shown');
  await page.getByLabel('Användare').fill(username);
  await page.getByRole('button', { name: 'Visa' }).click();
  const entries = page.getByRole('table', { name: 'Åtkomster, nyaste först' }).locator('tbody tr');
  const logged = (await entries.allTextContents()).join('\n');
  for (const action of ['Visad i lista', 'Läst', 'Ändrad', 'Exporterad']) {
    check(logged.includes(action), `the log shows "${action}" by ${username}`);
  }
  await shot(page, 'workflow-10-access-log');
  await accessible(page, 'access log');
  pass('access_log_shows_each_step_and_passes_axe');
});
