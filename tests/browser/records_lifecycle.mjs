// A record's life in the HR console, in Debian's headless Chromium (through playwright-core):
// an officer who is archivist and recruiter starts gallring (asked to confirm first) and
// sees the three records past the 24-month rule removed; on a recent record sets a legal
// hold (a reason is required) and records the visitor's talent-pool withdrawal, reading
// what to tell her; answers a subject-access request by email, reads the JSON file and
// opens the printable page; finds that the removed visitors' email matches nothing; and
// opens the accessibility statement from the footer. Each main page is saved as a
// screenshot and checked with axe-core (serious or critical fails). Prints `PASS <check>`
// per check; tests/tests/records_lifecycle_in_a_browser.rs seeds the relay's store and
// checks it afterwards.
//
// Environment: KIOSK_RELAY_URL, KIOSK_HR_USERNAME, KIOSK_HR_PASSWORD, KIOSK_EVENT_ID,
// KIOSK_REGISTRATION_ID (the recent record), KIOSK_VISITOR_GIVEN, KIOSK_VISITOR_FAMILY,
// KIOSK_VISITOR_EMAIL (its visitor), KIOSK_REMOVED_EMAIL (the old records' email),
// KIOSK_SCREENSHOT_DIR, and optionally KIOSK_CHROMIUM.

import { readFileSync } from 'node:fs';
import { accessible, check, env, h1s, htmlLang, pass, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_RELAY_URL');
const username = env('KIOSK_HR_USERNAME');
const password = env('KIOSK_HR_PASSWORD');
const eventId = env('KIOSK_EVENT_ID');
const registrationId = env('KIOSK_REGISTRATION_ID');
const given = env('KIOSK_VISITOR_GIVEN');
const family = env('KIOSK_VISITOR_FAMILY');
const email = env('KIOSK_VISITOR_EMAIL');
const removedEmail = env('KIOSK_REMOVED_EMAIL');

const holdReason = 'Dnr 2027/0815, begäran om utlämnande';
const noteText = 'Besökaren ringde och återkallade sitt samtycke till talangpoolen.';
/** How long a retention run of three records may take before the page shows it finished. */
const RUN_WAIT_MS = 20_000;

/** The date `ms` falls on in Swedish time, as the console writes it (YYYY-MM-DD). */
function swedishDate(ms) {
  return new Date(ms).toLocaleDateString('sv-SE', { timeZone: 'Europe/Stockholm' });
}

/** The text of the status notice at the top of the main content. */
async function statusText(page) {
  return (await page.locator('main').getByRole('status').first().textContent()).trim();
}

await runInBrowser(async (context) => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const menu = () => page.getByRole('navigation', { name: 'Huvudmeny' });

  // Log in and open Gallring: the demo event's rule and its three due records.
  await page.goto(`${base}/console/login`);
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.waitForURL('**/console/registrations');
  await menu().getByRole('link', { name: 'Gallring' }).click();
  await page.waitForURL('**/console/retention');
  check((await h1s(page)).join() === 'Gallring', 'one h1: Gallring');
  const rules = page.getByRole('table', { name: 'Gallringsregler och vad som har förfallit nu' });
  const ruleRow = rules.locator('tbody tr').filter({ has: page.locator('th', { hasText: eventId }) });
  check((await ruleRow.count()) === 1, `one rule row for ${eventId}`);
  const ruleCells = (await ruleRow.locator('td').allTextContents()).map((c) => c.trim());
  check(ruleCells[0] === '24 månader efter mottagandet', `the rule is 24 months after receipt, not "${ruleCells[0]}"`);
  check(ruleCells[1].length > 0, 'the rule cites its decision');
  check(ruleCells[2] === '3', `three records are due, not ${ruleCells[2]}`);
  check(ruleCells[3] === '0', `none of them is held, not ${ruleCells[3]}`);
  check((await page.locator('main').textContent()).includes('Ingen gallring har körts.'), 'no run yet');
  await shot(page, 'lifecycle-01-retention');
  await accessible(page, 'retention');
  pass('archivist_logs_in_and_the_retention_page_shows_the_rule_and_three_due');

  // Starting without the confirmation: the error is on the checkbox, nothing is removed.
  await page.getByRole('button', { name: 'Starta gallring' }).click();
  const confirm = page.getByRole('checkbox');
  const missing = 'Bekräfta att de förfallna registreringarna ska tas bort.';
  check((await confirm.getAttribute('aria-invalid')) === 'true', 'the checkbox is marked invalid');
  const describedBy = (await confirm.getAttribute('aria-describedby')) ?? '';
  check(describedBy.split(' ').includes('confirm-error'), `the checkbox is described by its error, not "${describedBy}"`);
  check((await page.locator('#confirm-error').textContent()).includes(missing), 'the error under the checkbox says what to do');
  check((await page.getByRole('alert').first().textContent()).includes(missing), 'the error summary names it');
  check(!(await confirm.isChecked()), 'the checkbox is not ticked for the officer');
  check((await page.locator('main').textContent()).includes('Ingen gallring har körts.'), 'no run was started');
  await shot(page, 'lifecycle-02-retention-unconfirmed');
  await accessible(page, 'retention without confirmation');
  pass('retention_run_needs_the_confirmation_tied_to_its_checkbox');

  // Ticked by its label, started, and followed until it has finished.
  await page.locator('label[for="confirm"]').click();
  check(await confirm.isChecked(), 'clicking the label ticks the checkbox');
  await page.getByRole('button', { name: 'Starta gallring' }).click();
  await page.waitForURL('**/console/retention?started=1');
  check((await statusText(page)).includes('Gallringskörning 1 har startats.'), 'the start is announced');
  const runs = page.getByRole('table', { name: 'Gallringskörningar, senaste först' });
  const runCells = async () => (await runs.locator('tbody tr').filter({ has: page.locator('th', { hasText: /^1$/ }) })
    .locator('td').allTextContents()).map((c) => c.trim());
  const waitUntil = Date.now() + RUN_WAIT_MS;
  let cells = await runCells();
  while (cells.length === 0 || cells[2] === 'pågår') {
    check(Date.now() < waitUntil, `run 1 did not finish within ${RUN_WAIT_MS / 1000} s: ${cells.join(' | ')}`);
    await page.waitForTimeout(250);
    await page.reload();
    cells = await runCells();
  }
  // Columns: started, by, finished, removed, kept by a hold.
  check(cells[1] === `hr:${username}` || cells[1] === username, `the run names the officer, not "${cells[1]}"`);
  check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(cells[2]), `the run has finished, not "${cells[2]}"`);
  check(cells[3] === '3', `three records removed, not ${cells[3]}`);
  check(cells[4] === '0', `none kept by a hold, not ${cells[4]}`);
  const dueAfter = (await rules.locator('tbody tr').filter({ has: page.locator('th', { hasText: eventId }) })
    .locator('td').nth(2).textContent()).trim();
  check(dueAfter === '0', `nothing is due after the run, not ${dueAfter}`);
  check((await page.locator('main').textContent()).includes('Inget har förfallit just nu.'), 'the start form gives way to "nothing due"');
  await shot(page, 'lifecycle-03-retention-finished');
  await accessible(page, 'retention run finished');
  pass('retention_run_removes_the_three_due_records_and_passes_axe');

  // The recent record: when it falls due, and no hold yet.
  await page.goto(`${base}/console/registrations/${registrationId}`);
  check((await page.getByRole('heading', { name: 'Gallring och talangpool', level: 2 }).count()) === 1, 'the retention section is there');
  const detail = async (term) => (await page.locator('dl.details').last().locator('dt', { hasText: term })
    .locator('xpath=following-sibling::dd[1]').textContent()).trim();
  const rule = await detail('Gallringsregel');
  check(rule.startsWith('24 månader efter mottagandet, enligt ') && rule.length > 40, `the rule and its decision: "${rule}"`);
  const due = await detail('Gallras tidigast');
  check(/^\d{4}-\d{2}-\d{2}$/.test(due), `a due date, not "${due}"`);
  const dueMs = Date.parse(`${due}T12:00:00Z`);
  const months = (dueMs - Date.now()) / (30.44 * 24 * 3600 * 1000);
  check(months > 23 && months < 24, `received ten days ago, due about 24 months later, not ${months.toFixed(1)} months from now`);
  check((await detail('Spärr mot gallring')).startsWith('Inget'), 'no hold yet');
  pass('detail_page_shows_when_the_record_falls_due');

  // The provenance bundle: what it is, whom it is for, and its download (the file itself is
  // checked with OpenSSL and Python in provenance_bundle_checked_with_standard_tools.rs).
  const provenance = page.getByRole('region', { name: 'Underlag för äkthetskontroll' });
  check((await provenance.count()) === 1, 'the provenance section is there');
  check((await provenance.getByText('dataskyddsombudet').count()) === 1, 'it says whom the bundle is for');
  const bundleLink = provenance.getByRole('link', { name: 'Ladda ner underlaget (JSON)' });
  const bundleHref = await bundleLink.getAttribute('href');
  const bundleAnswer = await page.request.get(`${base}${bundleHref}`);
  check(bundleAnswer.status() === 200, `the bundle downloads, not ${bundleAnswer.status()}`);
  check((bundleAnswer.headers()['content-disposition'] ?? '').startsWith('attachment;'), 'as a file');
  const bundle = await bundleAnswer.json();
  check(bundle.format === 'kiosk-provenance-bundle-v1' && bundle.registration_id === registrationId, 'the bundle of this record');
  pass('provenance_bundle_downloads_from_the_record_page');

  // A note on the record (it shows up in the subject-access answer).
  await page.getByLabel('Anteckning', { exact: true }).fill(noteText);
  await page.getByRole('button', { name: 'Lägg till anteckningen' }).click();
  check((await statusText(page)).includes('Anteckningen är sparad'), 'the note is announced');

  // A legal hold: refused without a reason, set with one.
  const holdForm = page.getByRole('form', { name: 'Sätt spärr mot gallring (legal hold)' });
  await holdForm.getByRole('button', { name: 'Sätt spärr mot gallring' }).click();
  const reason = page.getByLabel('Skäl', { exact: true });
  check((await reason.getAttribute('aria-invalid')) === 'true', 'the reason is marked invalid');
  check(((await reason.getAttribute('aria-describedby')) ?? '').split(' ').includes('reason-error'), 'the reason is described by its error');
  check((await page.locator('#reason-error').textContent()).includes('Skriv ett skäl på 1–500 tecken.'), 'the error asks for a reason');
  check((await detail('Spärr mot gallring')).startsWith('Inget'), 'still no hold');
  await shot(page, 'lifecycle-04-hold-without-reason');
  await accessible(page, 'legal hold without a reason');
  await page.getByLabel('Skäl', { exact: true }).fill(holdReason);
  await page.getByRole('form', { name: 'Sätt spärr mot gallring (legal hold)' }).getByRole('button', { name: 'Sätt spärr mot gallring' }).click();
  await page.waitForURL('**?saved=hold');
  check((await statusText(page)).includes('Spärren mot gallring är satt.'), 'the hold is announced');
  const held = await detail('Spärr mot gallring');
  check(held.startsWith(`Får inte gallras: ${holdReason} (av hr:${username}`), `the hold, its reason and who: "${held}"`);
  check((await page.getByRole('form', { name: 'Häv spärren mot gallring' }).count()) === 1, 'the form now lifts the hold');
  pass('legal_hold_needs_a_reason_and_is_set_with_one');

  // The talent-pool withdrawal asks for a confirmation on a page of its own first (it
  // cannot be undone); then what to tell the visitor in both languages.
  await page.getByRole('button', { name: 'Registrera återkallelsen' }).click();
  await page.getByRole('heading', { level: 1, name: 'Registrera återkallelsen av samtycket?' }).waitFor();
  check((await page.getByText('Besökaren finns inte längre i talangpoolen.').count()) === 0, 'the confirmation page withdraws nothing yet');
  await accessible(page, 'withdrawal confirmation');
  pass('talent_pool_withdrawal_asks_for_a_confirmation_first');
  await page.getByRole('button', { name: 'Ja, registrera återkallelsen' }).click();
  await page.waitForURL('**?saved=withdrawn');
  check((await statusText(page)).includes('Återkallelsen är registrerad.'), 'the withdrawal is announced');
  check((await detail('Talangpool')).includes('Besökaren finns inte längre i talangpoolen.'), 'the record shows the withdrawal');
  const tell = page.getByRole('region', { name: 'Det här säger du till besökaren' });
  check((await tell.count()) === 1, 'a section with what to tell the visitor');
  const sv = await tell.locator('p[lang="sv"]').textContent();
  const en = await tell.locator('p[lang="en"]').textContent();
  check(sv.includes('Ditt samtycke till att finnas i vår talangpool är återkallat') && sv.includes(`gallras tidigast ${due}`), `the Swedish text: ${sv}`);
  check(sv.includes('Just nu får den inte gallras'), 'the Swedish text tells of the hold');
  check(en.includes('Your consent to our talent pool is withdrawn') && en.includes(`removed no earlier than ${due}`), `the English text: ${en}`);
  check(en.includes('For now it must not be removed'), 'the English text tells of the hold');
  check((await page.getByRole('button', { name: 'Registrera återkallelsen' }).count()) === 0, 'no second withdrawal is offered');
  await shot(page, 'lifecycle-05-withdrawn');
  await accessible(page, 'detail with hold and withdrawal');
  pass('talent_pool_withdrawal_shows_what_to_tell_the_visitor_and_passes_axe');

  // Subject access by email: one registration matched.
  await menu().getByRole('link', { name: 'Registerutdrag' }).click();
  await page.waitForURL('**/console/subject-access');
  check((await h1s(page)).join() === 'Registerutdrag', 'one h1: Registerutdrag');
  await shot(page, 'lifecycle-06-subject-access-form');
  await accessible(page, 'subject access form');
  await page.getByLabel('Uppgift').selectOption({ label: 'E-postadress' });
  await page.getByLabel('Värde').fill(email);
  await page.locator('main').getByRole('button', { name: 'Sök', exact: true }).click();
  check((await statusText(page)).includes('1 registrering hittades.'), 'one registration found');
  const matched = page.getByRole('table', { name: 'Registreringar som matchade' }).locator('tbody tr');
  check((await matched.count()) === 1, `one row, not ${await matched.count()}`);
  check((await matched.first().textContent()).includes('E-postadress'), 'the row says it matched by email');
  check((await page.getByLabel('Värde').inputValue()) === email, 'the form keeps the email');
  check(!page.url().includes(encodeURIComponent(email)) && !page.url().includes(email), 'the email is not in the address');
  await shot(page, 'lifecycle-07-subject-access-found');
  await accessible(page, 'subject access result');
  pass('subject_access_by_email_lists_the_registration_and_passes_axe');

  // The JSON file.
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Hämta JSON-fil' }).click();
  const download = await downloading;
  check(/^registerutdrag-\d{4}-\d{2}-\d{2}\.json$/.test(download.suggestedFilename()), `a JSON file, not ${download.suggestedFilename()}`);
  const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
  check(report.requested_by === `hr:${username}` || report.requested_by === username, `requested by the officer, not ${report.requested_by}`);
  check(report.registrations.length === 1, `one registration, not ${report.registrations.length}`);
  const record = report.registrations[0];
  check(record.id === registrationId, 'the recent record');
  check(record.given_name === given && record.family_name === family, `her name, not ${record.given_name} ${record.family_name}`);
  check(record.email === email, 'her email');
  check(record.consents.talent_pool !== null, 'her talent-pool opt-in, as given');
  check(record.retention && record.retention.legal_hold && record.retention.legal_hold.reason === holdReason, 'the legal hold with its reason');
  check(typeof record.retention.talent_pool_withdrawn_at === 'number', 'the withdrawal time');
  check(swedishDate(record.retention.due_at) === due, `the due date the page showed (${due}), not ${swedishDate(record.retention.due_at)}`);
  check(record.notes.some((n) => n.text === noteText), 'the note');
  check(Array.isArray(record.access_log) && record.access_log.length > 0, 'the accesses to the record');
  const actions = record.access_log.filter((a) => a.by.kind === 'operator' && a.by.name === `hr:${username}`).map((a) => a.action);
  for (const action of ['read', 'change']) {
    check(actions.includes(action), `the officer's ${action} is in the accesses: ${actions.join(', ')}`);
  }
  pass('subject_access_json_holds_the_record_its_retention_and_accesses');

  // The printable page: a standalone page, posted in this tab.
  await page.getByRole('button', { name: 'Öppna utskriftsvänlig sida' }).click();
  await page.waitForURL('**/console/subject-access/download');
  await page.waitForLoadState();
  check((await h1s(page)).join() === 'Registerutdrag', 'one h1: Registerutdrag');
  check((await htmlLang(page)) === 'sv', 'the printable page is in Swedish');
  const field = async (term) => (await page.locator('dl.fields dt', { hasText: new RegExp(`^${term}$`) }).first()
    .locator('xpath=following-sibling::dd[1]').textContent()).trim();
  check((await field('Förnamn')) === given && (await field('Efternamn')) === family, `the visitor ${given} ${family}`);
  check((await field('E-post')) === email, 'her email');
  const printed = await page.locator('main').textContent();
  check(printed.includes('1 registrering hittades.'), 'one registration');
  check(printed.includes('spärr mot gallring'), 'the hold');
  check(printed.includes('Samtycket till talangpoolen återkallades'), 'the withdrawal');
  check(printed.includes(noteText), 'the note');
  // A document for the citizen: what Art. 15 asks, words rather than codes and log names.
  check(printed.includes('Integritetsskyddsmyndigheten (IMY)') && printed.includes('rättslig grund'), 'the rights and the legal basis');
  check(['svenska', 'engelska'].includes(await field('Språk')), `the language as a word, not ${await field('Språk')}`);
  check(!printed.includes('hr:') && !/[0-9a-f]{32}/.test(printed), 'no log names or tablet keys');
  await shot(page, 'lifecycle-08-subject-access-printable');
  await accessible(page, 'subject access printable page');
  pass('subject_access_printable_page_names_the_visitor_and_passes_axe');

  // The removed visitors' email: nothing matches any more.
  await page.goto(`${base}/console/subject-access`);
  await page.getByLabel('Uppgift').selectOption({ label: 'E-postadress' });
  await page.getByLabel('Värde').fill(removedEmail);
  await page.locator('main').getByRole('button', { name: 'Sök', exact: true }).click();
  check((await statusText(page)).includes('Inget som reläet har matchar uppgiften. Registreringar som har gallrats går inte längre att hitta.'), 'the no-match notice');
  check((await page.getByRole('table').count()) === 0, 'no table of matches');
  check((await page.getByRole('button', { name: 'Hämta JSON-fil' }).count()) === 0, 'nothing to download');
  await shot(page, 'lifecycle-09-subject-access-no-match');
  await accessible(page, 'subject access without a match');
  pass('removed_visitors_email_matches_nothing');

  // The accessibility statement, from the footer every page has.
  await page.getByRole('navigation', { name: 'Om webbplatsen' }).getByRole('link', { name: 'Tillgänglighetsredogörelse' }).click();
  await page.waitForURL('**/console/accessibility**');
  check((await h1s(page)).join() === 'Tillgänglighetsredogörelse', 'one h1: Tillgänglighetsredogörelse');
  check((await htmlLang(page)) === 'sv', 'in Swedish');
  await shot(page, 'lifecycle-10-accessibility-statement');
  await accessible(page, 'accessibility statement');
  pass('accessibility_statement_from_the_footer_passes_axe');
});
