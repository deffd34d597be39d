// Drives the web kiosk's visitor screens (kiosk-web) in Debian's headless Chromium through
// playwright-core, on a portrait tablet (768×1024, touch) and a desk PC (1280×800), in
// Swedish and English. For each size and language it visits every screen (welcome, form,
// form with errors, idle dialog, protected form, thank-you), saves a screenshot of each,
// runs axe-core on each (no serious or critical violations) and measures every touch
// target; it registers the visitors given in KIOSK_VISITORS through the screens (every
// field, mistakes corrected, protected path, talent-pool opt-in, keyboard only), and checks
// that one visitor never sees the previous one: after a submit, an idle reset and "start
// over", no earlier text is in the DOM, behind Back, in the HTTP cache (every answer says
// no-store, and Chromium's DevTools protocol reports no page taken from a cache) or in form
// restoration. Prints `PASS <check>` per check and `RECEIPT <key> <code> <address>` per
// registration (the visitor's receipt code and the receipt page's address its QR code draws);
// tests/tests/web_kiosk_in_a_browser.rs starts the relay and the shell, requires every check
// by name and then asks the relay's HR API what arrived.
//
// Environment: KIOSK_WEB_URL, KIOSK_VISITORS (JSON, see the Rust test), KIOSK_SCREENSHOT_DIR,
// and optionally KIOSK_CHROMIUM (default /usr/bin/chromium).

import { accessible, axeViolations, check, env, h1s, htmlLang, pass, readReceipt, runInBrowser, shot } from './lib.mjs';

const base = env('KIOSK_WEB_URL');
const visitors = JSON.parse(env('KIOSK_VISITORS'));

const SIZES = {
  portrait: { viewport: { width: 768, height: 1024 }, hasTouch: true },
  desk: { viewport: { width: 1280, height: 800 }, hasTouch: false },
};
const COMBOS = [
  ['sv', 'portrait'],
  ['en', 'portrait'],
  ['sv', 'desk'],
  ['en', 'desk'],
];

/** What the screens say, per language (the shell's texts, web-kiosk/src/texts.rs). */
const T = {
  sv: {
    event: 'Karriärmässa Stockholm 2026',
    form: 'Din intresseanmälan',
    protected: 'Anmälan med skyddade personuppgifter',
    thanks: 'Tack för din anmälan!',
    idle: 'Är du kvar?',
    startOver: 'Börja om',
    errorSummary: 'Något behöver rättas',
  },
  en: {
    event: 'Stockholm Career Fair 2026',
    form: 'Your expression of interest',
    protected: 'Registering with protected personal data',
    thanks: 'Thank you for registering!',
    idle: 'Are you still there?',
    startOver: 'Start over',
    errorSummary: 'Something needs correcting',
  },
};

/** Every page answer the browser received, to check that none may be cached. */
const answers = [];
/** Shell answers Chromium took from its own caches instead of the network (none may be). */
const fromCache = [];
/** The stylesheet taken from a cache: proof that the cache watch sees cache hits. */
let assetsFromCache = 0;

/** Visible text, markup and control values: everywhere a visitor's text could be left. */
async function traces(page, secrets) {
  const everything = await page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((e) => e.value);
    return `${document.title}\n${document.documentElement.outerHTML}\n${values.join('\n')}`;
  });
  return secrets.filter((secret) => secret && everything.includes(secret));
}

async function nothingOf(page, secrets, where) {
  const found = await traces(page, secrets);
  check(found.length === 0, `${where}: an earlier visitor's text is still there (${found.length} of ${secrets.length} values)`);
}

/** Fails unless the page shows the welcome screen in `lang`. */
async function onWelcome(page, lang, where) {
  await page.waitForURL((url) => url.pathname === '/', { timeout: 10_000 });
  const titles = await h1s(page);
  check(titles.length === 1 && titles[0] === T[lang].event, `${where}: the welcome screen, not ${titles.join('|')}`);
}

/** Every button, link and checkbox/radio row that can be seen is at least 44×44 px. */
async function touchTargets(page, label) {
  const small = await page.evaluate(() => {
    const found = [];
    for (const element of document.querySelectorAll('button, a[href], .choice, summary')) {
      const box = element.getBoundingClientRect();
      const hidden = !element.checkVisibility() || box.width === 0 || box.right < 0 || box.bottom < 0;
      if (hidden) {
        continue;
      }
      if (box.width < 44 || box.height < 44) {
        found.push(`${element.tagName.toLowerCase()}.${element.className} "${element.textContent.trim().slice(0, 30)}" ${box.width.toFixed(0)}×${box.height.toFixed(0)}`);
      }
    }
    return found;
  });
  check(small.length === 0, `${label}: touch targets under 44×44 px: ${small.join('; ')}`);
}

/** Every text control neither learns nor suggests nor restores. */
async function noFormMemory(page, label) {
  const bad = await page.evaluate(() => {
    const found = [];
    for (const form of document.querySelectorAll('form#visit-form')) {
      if (form.getAttribute('autocomplete') !== 'off') {
        found.push('the form');
      }
    }
    const texts = document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea');
    for (const control of texts) {
      if (control.getAttribute('autocomplete') !== 'off' || control.getAttribute('spellcheck') !== 'false') {
        found.push(control.id || control.name);
      }
    }
    return { found, count: texts.length };
  });
  check(bad.count >= 3, `${label}: the text controls are there (${bad.count})`);
  check(bad.found.length === 0, `${label}: autocomplete="off" and spellcheck="false" missing on ${bad.found.join(', ')}`);
}

/** A screen's screenshot, axe run and touch-target check. */
async function screen(page, number, name, lang, size) {
  const label = `${name} ${lang} ${size}`;
  check((await htmlLang(page)) === lang, `${label}: html lang is ${lang}`);
  await shot(page, `web-${number}-${name}-${lang}-${size}`);
  await accessible(page, label);
  await touchTargets(page, label);
}

/** Taps on a touch screen, clicks on a desk. */
async function press(locator, size) {
  if (SIZES[size].hasTouch) {
    await locator.tap();
  } else {
    await locator.click();
  }
}

/** Presses Tab until `selector` has focus (keyboard only), at most `max` times. */
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      return;
    }
  }
  throw new Error(`${selector} cannot be reached with Tab`);
}

async function startVisit(page, lang, size, path) {
  await page.goto(`${base}/?lang=${lang}`);
  if (path === 'protected') {
    await press(page.locator('section.protected-start button[type=submit]'), size);
  } else {
    await press(page.locator(`form.start button[name=lang][value=${lang}]`), size);
  }
  await page.waitForURL((url) => url.pathname === '/form');
}

async function sendForm(page, size) {
  await press(page.locator('button[name=intent][value=send]'), size);
  await page.waitForLoadState('domcontentloaded');
}

/** Fills the form with `visitor`'s answers, by touch or mouse. */
async function fill(page, visitor, size) {
  await page.locator('#given_name').fill(visitor.given_name);
  await page.locator('#family_name').fill(visitor.family_name);
  await page.locator('#email').fill(visitor.email);
  if (!visitor.protected) {
    await page.locator('#phone').fill(visitor.phone);
  }
  const tick = async (name, code) => {
    const box = page.locator(`input[name=${name}][value="${code}"]`);
    if (!(await box.isChecked())) {
      await press(page.locator(`label[for="${await box.getAttribute('id')}"]`), size);
    }
  };
  for (const code of visitor.interests) {
    await tick('interests', code);
  }
  for (const code of visitor.locations) {
    await tick('locations', code);
  }
  if (visitor.education_level) {
    await tick('education_level', visitor.education_level);
  }
  if (!(await page.locator('#privacy_notice').isChecked())) {
    await press(page.locator('label[for=privacy_notice]'), size);
  }
  if (visitor.talent_pool) {
    await press(page.locator('label[for=talent_pool]'), size);
  }
}

/** What must vanish with `visitor`: everything they typed, and their receipt code in both spellings. */
function secretsOf(visitor, receipt) {
  const compact = receipt.replaceAll('-', '');
  return [visitor.given_name, visitor.family_name, visitor.email, visitor.phone, receipt, compact].filter(Boolean);
}

/** A receipt code as shown: 26 symbols and a check symbol, in groups of four. */
const RECEIPT_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}[0-9A-HJKMNP-TV-Z*~$=U]$/;

/**
 * On the thank-you screen: reads the receipt, then "Done", and checks that nothing of the
 * visitor is on the welcome screen, behind Back, or at the old URLs (reloaded, not cached).
 */
async function thanksThenGone(page, visitor, lang, size, viaKeyboard) {
  const titles = await h1s(page);
  check(titles.join() === T[lang].thanks, `${visitor.key}: the thank-you screen, not ${titles.join('|')}`);
  const shown = await readReceipt(page);
  const receipt = shown.text;
  check(RECEIPT_CODE.test(receipt), `${visitor.key}: a receipt code in groups of four is shown (${receipt.length} characters)`);
  check(shown.code === receipt, `${visitor.key}: the receipt element names the code it shows`);
  check(/^https?:\/\/[^#?]+\/kvitto#[0-9A-Z*~$=]{27}$/.test(shown.address ?? ''), `${visitor.key}: the receipt page's address, the code in its fragment`);
  check(shown.address.endsWith(`#${receipt.replaceAll('-', '')}`), `${visitor.key}: the address carries the code shown`);
  check(shown.qr.count === 1, `${visitor.key}: one QR code, an image`);
  check(Boolean(shown.qr.label) && !shown.qr.label.includes(receipt.replaceAll('-', '').slice(0, 8)), `${visitor.key}: the QR code is named, without the code (the code is on the page as text)`);
  const qrBox = await page.locator('section.receipt svg[role=img]').boundingBox();
  check(qrBox && qrBox.width >= 150 && Math.abs(qrBox.width - qrBox.height) < 1, `${visitor.key}: the QR code is large and square (${qrBox?.width}×${qrBox?.height})`);
  const violations = await axeViolations(page);
  check(violations.length === 0, `${visitor.key}: the thank-you screen has axe violations: ${violations.join(' ')}`);
  console.log(`RECEIPT ${visitor.key} ${receipt} ${shown.address}`);
  // The search below finds what is there: the receipt, on this screen.
  check((await traces(page, [receipt])).length === 1, `${visitor.key}: the receipt is found on the thank-you screen`);
  const talentNote = await page.locator('section[aria-labelledby=next-heading] p').allTextContents();
  const mentionsPool = talentNote.some((p) => /talangbank|talent pool/i.test(p));
  check(mentionsPool === Boolean(visitor.talent_pool), `${visitor.key}: the talent pool is mentioned only after an opt-in`);
  if (viaKeyboard) {
    await tabTo(page, 'main form[action="/visit/reset"] button');
    await page.keyboard.press('Enter');
  } else {
    await press(page.locator('main form[action="/visit/reset"] button'), size);
  }
  // The welcome after a visit is in Swedish, the default, whatever the visitor chose.
  await onWelcome(page, 'sv', `${visitor.key} after Done`);
  const secrets = secretsOf(visitor, receipt);
  await nothingOf(page, secrets, `${visitor.key}: the welcome screen after the submit`);
  // Back through every page of the visit: each answers from the server, now the welcome.
  for (let step = 1; step <= 3; step += 1) {
    await page.goBack();
    await nothingOf(page, secrets, `${visitor.key}: Back ×${step} after the submit`);
  }
  await page.reload();
  await nothingOf(page, secrets, `${visitor.key}: a reload after Back`);
  for (const old of ['/thanks', '/form']) {
    await page.goto(`${base}${old}`);
    await onWelcome(page, 'sv', `${visitor.key}: ${old} after the visit`);
    await nothingOf(page, secrets, `${visitor.key}: ${old} after the visit`);
  }
  return receipt;
}

/** The ordinary form: errors for an empty send, the idle prompt, the idle reset. */
async function formErrorsAndIdle(page, lang, size) {
  const where = `${lang} ${size}`;
  await startVisit(page, lang, size, 'ordinary');
  check((await h1s(page)).join() === T[lang].form, `${where}: the form's title`);
  await noFormMemory(page, `form ${where}`);
  check(await page.locator('.kiosk-footer .start-over-hint').isVisible(), `${where}: the form says how to start over`);
  await screen(page, '02', 'form', lang, size);
  pass(`form_passes_axe_${lang}_${size}`);

  // An empty send: the core's errors, each tied to its field, the summary focused.
  await sendForm(page, size);
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  check((await summary.locator('h2').textContent()) === T[lang].errorSummary, `${where}: the summary's title`);
  check(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), `${where}: the error summary has focus`);
  check((await page.title()).startsWith(lang === 'sv' ? 'Fel: ' : 'Error: '), `${where}: the title says there are errors`);
  await errorsTiedToFields(page, ['given_name', 'family_name', 'interests', 'privacy_notice'], where);
  await screen(page, '03', 'form-errors', lang, size);
  pass(`form_with_errors_passes_axe_${lang}_${size}`);

  // Idle: "still there?" at 60 s (not at 59), a modal dialog with a name, answered by
  // keyboard; the draft stays. Then at 90 s without an answer (not at 89) the form is gone
  // and the welcome shown. The page's clock stands still between the jumps, so each jump
  // lands exactly where it says.
  const draft = lang === 'sv' ? 'Kvarglömd Utkastsdottir' : 'Forgotten Draftworth';
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 10);
  await page.locator('#given_name').fill(draft);
  const dialog = page.getByRole('dialog', { name: T[lang].idle });
  await page.clock.fastForward('00:59');
  check(!(await dialog.isVisible()), `${where}: no idle prompt at 59 s`);
  await page.clock.fastForward('00:01');
  await dialog.waitFor({ state: 'visible', timeout: 5_000 });
  const modal = await page.evaluate(() => {
    const d = document.getElementById('idle-dialog');
    return { modal: d.matches(':modal'), focusInside: d.contains(document.activeElement) };
  });
  check(modal.modal, `${where}: the idle prompt is a modal dialog`);
  const question = await page.evaluate(() => {
    const d = document.getElementById('idle-dialog');
    return document.getElementById(d.getAttribute('aria-describedby') ?? '')?.textContent.trim() ?? '';
  });
  check(question.length > 0, `${where}: the idle prompt's question describes the dialog for screen readers`);
  check(modal.focusInside, `${where}: focus moves into the idle prompt`);
  // axe waits on timers: the clock runs while it looks (the reset is 30 s away).
  await page.clock.resume();
  await screen(page, '04', 'idle-dialog', lang, size);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
  check((await page.locator('#given_name').inputValue()) === draft, `${where}: "still here" keeps the draft`);
  pass(`idle_prompt_at_60_s_is_a_named_modal_answered_by_keyboard_${lang}_${size}`);

  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 10);
  await page.clock.fastForward('01:00');
  await dialog.waitFor({ state: 'visible', timeout: 5_000 });
  await page.clock.fastForward('00:29');
  check(new URL(page.url()).pathname === '/form' && (await dialog.isVisible()), `${where}: no reset at 89 s`);
  check((await traces(page, [draft])).length === 1, `${where}: the typed draft is found before the reset`);
  await page.clock.fastForward('00:01');
  await onWelcome(page, 'sv', `${where}: after the idle reset`);
  await page.clock.resume();
  await nothingOf(page, [draft], `${where}: the welcome after the idle reset`);
  for (let step = 1; step <= 3; step += 1) {
    await page.goBack();
    await nothingOf(page, [draft], `${where}: Back ×${step} after the idle reset`);
  }
  await page.goto(`${base}/form`);
  await onWelcome(page, 'sv', `${where}: the form's URL after the idle reset`);
  await nothingOf(page, [draft], `${where}: the form's URL after the idle reset`);
  pass(`idle_reset_at_90_s_leaves_nothing_behind_back_or_reload_${lang}_${size}`);
}

/** Each of `fields` is marked invalid and described by its own error text. */
async function errorsTiedToFields(page, fields, where) {
  for (const field of fields) {
    const tied = await page.evaluate((name) => {
      const error = document.getElementById(`error-${name}`);
      const control = document.getElementById(name)
        ?? document.querySelector(`fieldset[aria-describedby~="error-${name}"]`);
      return {
        error: error?.textContent.trim() ?? '',
        invalid: control?.getAttribute('aria-invalid') ?? null,
        describedBy: control?.getAttribute('aria-describedby') ?? '',
        linked: !!document.querySelector(`.error-summary a[href^="#${name}"]`),
      };
    }, field);
    check(tied.error.length > 0, `${where}: ${field} has an error text`);
    check(tied.invalid === 'true', `${where}: ${field} is marked aria-invalid`);
    check(tied.describedBy.split(' ').includes(`error-${field}`), `${where}: ${field}'s error describes it`);
    check(tied.linked, `${where}: the summary links to ${field}`);
  }
}

/** The protected path from the welcome screen, then "start over" with something typed. */
async function protectedFormAndStartOver(page, lang, size) {
  const where = `${lang} ${size}`;
  await startVisit(page, lang, size, 'protected');
  await protectedFormIsMinimal(page, lang, where);
  await screen(page, '05', 'protected-form', lang, size);
  pass(`protected_form_passes_axe_${lang}_${size}`);

  check(await page.locator('.kiosk-footer .start-over-hint').isVisible(), `${where}: the protected form says how to start over`);
  const typed = lang === 'sv' ? 'Ångrad Påbörjadsson' : 'Regretted Beginner';
  await page.locator('#family_name').fill(typed);
  const startOver = page.locator('.kiosk-footer button', { hasText: T[lang].startOver });
  await press(startOver, size);
  await onWelcome(page, 'sv', `${where}: after start over`);
  await nothingOf(page, [typed], `${where}: the welcome after start over`);
  await page.goBack();
  await nothingOf(page, [typed], `${where}: Back after start over`);
  pass(`start_over_empties_the_form_${lang}_${size}`);
}

async function protectedFormIsMinimal(page, lang, where) {
  check((await h1s(page)).join() === T[lang].protected, `${where}: the protected form's title`);
  check(await page.locator('.protected-explanation').isVisible(), `${where}: the protected path is explained`);
  check((await page.locator('#talent_pool').count()) === 0, `${where}: no talent pool is offered on the protected path`);
  check((await page.locator('input[name=education_level]').count()) === 0, `${where}: no education level is asked`);
  check((await page.locator('#free_text').count()) === 0, `${where}: no free text is asked`);
}

/** Registers `visitor` through the screens by touch or mouse; returns the receipt code. */
async function register(page, visitor, size) {
  const lang = visitor.language;
  const where = `${visitor.key} (${lang} ${size})`;
  await startVisit(page, lang, size, visitor.protected ? 'protected' : 'ordinary');
  if (visitor.protected) {
    await protectedFormIsMinimal(page, lang, where);
  }
  if (visitor.mistakes) {
    // First with mistakes: a broken email, no interest, the notice not confirmed.
    await page.locator('#given_name').fill(visitor.given_name);
    await page.locator('#family_name').fill(visitor.family_name);
    await page.locator('#email').fill('not-an-address@');
    await page.locator('#phone').fill(visitor.phone);
    await sendForm(page, size);
    await page.locator('.error-summary').waitFor();
    check(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), `${where}: the error summary has focus`);
    await errorsTiedToFields(page, ['email', 'interests', 'privacy_notice'], where);
    check((await page.locator('#given_name').getAttribute('aria-invalid')) === null, `${where}: a right field is not marked`);
    for (const [id, value] of [['given_name', visitor.given_name], ['family_name', visitor.family_name], ['email', 'not-an-address@'], ['phone', visitor.phone]]) {
      check((await page.locator(`#${id}`).inputValue()) === value, `${where}: what was typed in ${id} is kept`);
    }
    pass('mistakes_are_tied_to_their_fields_and_typed_values_kept');
  }
  await fill(page, visitor, size);
  await sendForm(page, size);
  await page.waitForURL((url) => url.pathname === '/thanks');
  return page;
}

/** Registers `visitor` with the keyboard only: Tab, Space and Enter (and typing). */
async function registerByKeyboard(page, visitor, size) {
  const lang = visitor.language;
  await page.goto(`${base}/?lang=${lang}`);
  await tabTo(page, `form.start button[name=lang][value=${lang}]`);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/form');
  const type = async (id, text) => {
    await tabTo(page, `#${id}`);
    await page.keyboard.type(text);
  };
  await type('given_name', visitor.given_name);
  await type('family_name', visitor.family_name);
  await type('email', visitor.email);
  await type('phone', visitor.phone);
  const tick = async (name, code) => {
    await tabTo(page, `input[name=${name}][value="${code}"]`);
    await page.keyboard.press('Space');
  };
  for (const code of visitor.interests) {
    await tick('interests', code);
  }
  for (const code of visitor.locations) {
    await tick('locations', code);
  }
  await tabTo(page, '#privacy_notice');
  await page.keyboard.press('Space');
  if (visitor.talent_pool) {
    await tabTo(page, '#talent_pool');
    await page.keyboard.press('Space');
  }
  await tabTo(page, 'button[name=intent][value=send]');
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/thanks');
}

/** The staff screens' own texts (web-kiosk/src/staff/texts.rs), in Swedish. */
const STAFF = {
  title: 'Personalläge',
  newPin: 'Ny PIN-kod',
  newPinAgain: 'Samma PIN-kod igen',
  savePin: 'Spara PIN-koden',
  pin: 'PIN-kod',
  open: 'Öppna personalläget',
  syncNow: 'Synkronisera nu',
  witnessKeys: 'Vittnenas verifieringsnycklar, en per rad',
  requireWitnesses: 'Kräv de här vittnena',
};
const STAFF_PIN = '482913';
const WRONG_PIN = '590317';

/** Everything a page holds: markup and control values. */
function everythingOn(page) {
  return page.evaluate(() => `${document.documentElement.outerHTML}\n${[...document.querySelectorAll('input')].map((e) => e.value).join('\n')}`);
}

/**
 * The end of the first setup, before any visitor: the kiosk is enrolled, staff choose the
 * PIN (typed twice). Until then the visitor's screens say the kiosk is not ready.
 */
async function staffSetup(browser) {
  const context = await browser.newContext({ ...SIZES.desk, locale: 'sv-SE' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const everything = () => everythingOn(page);
  const before = await page.goto(`${base}/`);
  check(before.status() === 503, `before the PIN the visitor's screen is not ready (${before.status()})`);
  await page.goto(`${base}/staff`);
  await page.getByLabel(STAFF.newPin, { exact: true }).fill(STAFF_PIN);
  await page.getByLabel(STAFF.newPinAgain, { exact: true }).fill(STAFF_PIN);
  await screen(page, '10', 'staff-setup', 'sv', 'desk');
  await page.getByRole('button', { name: STAFF.savePin }).click();
  await page.getByLabel(STAFF.pin, { exact: true }).waitFor();
  check(!(await everything()).includes(STAFF_PIN), 'the chosen PIN is not sent back');
  await screen(page, '11', 'staff-pin', 'sv', 'desk');
  const after = await page.goto(`${base}/`);
  check(after.status() === 200, `with the PIN chosen the welcome screen is shown (${after.status()})`);
  pass('staff_setup_sets_the_pin_and_passes_axe');
  await context.close();
}

/**
 * The staff page on screen now, at both sizes and in both languages (the page's own
 * language switch, `?lang=`): screenshot, axe and touch targets for each; back to Swedish
 * on the desk at the end.
 */
async function staffInEveryCombo(page, number, name) {
  for (const [lang, size] of COMBOS) {
    await page.setViewportSize(SIZES[size].viewport);
    await page.goto(`${base}/staff?lang=${lang}`);
    await screen(page, number, name, lang, size);
  }
  await page.setViewportSize(SIZES.desk.viewport);
  await page.goto(`${base}/staff?lang=sv`);
}

/** Wrong PIN, right PIN, sync now, and the lock a visitor screen brings. */
async function staffMode(browser) {
  const context = await browser.newContext({ ...SIZES.desk, locale: 'sv-SE' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const everything = () => everythingOn(page);
  await page.goto(`${base}/staff`);
  await page.getByLabel(STAFF.pin, { exact: true }).waitFor();

  // A wrong PIN: refused in an alert that says how many tries are left, never echoed.
  await page.getByLabel(STAFF.pin, { exact: true }).fill(WRONG_PIN);
  await page.getByRole('button', { name: STAFF.open }).click();
  const refusal = page.getByRole('alert').first();
  await refusal.waitFor();
  const said = await refusal.textContent();
  check(/9/.test(said), `the refusal says how many tries are left: ${said}`);
  check(!(await everything()).includes(WRONG_PIN), 'the wrong PIN is not sent back');
  check((await page.getByLabel(STAFF.pin, { exact: true }).inputValue()) === '', 'the PIN field is empty again');
  await screen(page, '12', 'staff-wrong-pin', 'sv', 'desk');
  pass('staff_wrong_pin_is_refused_with_attempts_left_never_echoed');

  // The right PIN, once the core's delay after a wrong one has passed (its own rule: the
  // page says when to try again).
  let opened = false;
  for (let attempt = 0; attempt < 8 && !opened; attempt += 1) {
    await page.getByLabel(STAFF.pin, { exact: true }).fill(STAFF_PIN);
    await page.getByRole('button', { name: STAFF.open }).click();
    opened = (await h1s(page)).join() === STAFF.title;
    if (!opened) {
      await page.waitForTimeout(1_000);
    }
  }
  check(opened, 'the right PIN opens staff mode after the delay');
  const captured = Number(await page.locator('#count-captured').textContent());
  check(captured === visitors.length, `captured counts every visitor: ${captured} of ${visitors.length}`);
  check((await page.textContent('main')).includes('Journalen stämmer'), 'the journal verifies');
  check(!(await everything()).includes(STAFF_PIN), 'the PIN is not on the staff page');
  await staffInEveryCombo(page, '13', 'staff-kiosk');
  pass('staff_right_pin_shows_counts_journal_and_hand_back');

  // The witness form: a key the core cannot read is refused on the field, naming its
  // line, and nothing is required (a key that reads would hold every later capture back).
  await page.getByLabel(STAFF.witnessKeys, { exact: true }).fill('inte en nyckel');
  await page.getByRole('button', { name: STAFF.requireWitnesses }).click();
  const keyError = page.locator('#error-witness_keys');
  await keyError.waitFor();
  check((await keyError.textContent()).includes('nyckel 1 är inte'), 'the refused key is named by its line');
  check((await page.getByLabel(STAFF.witnessKeys, { exact: true }).getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
  check((await page.textContent('#witnesses')).includes('kräver inga vittnen nu'), 'no witness is required');
  await screen(page, '13w', 'staff-witness-refused', 'sv', 'desk');
  pass('staff_witness_form_refuses_a_key_it_cannot_read_on_the_field');

  // Sync now: the page reloads itself while the sync runs; then it shows the last success.
  await page.getByRole('button', { name: STAFF.syncNow }).click();
  await page.waitForFunction(() => {
    const button = [...document.querySelectorAll('#sync button')].find((b) => b.textContent.includes('Synkronisera nu'));
    const last = document.querySelector('#last-sync-ok');
    return button && !button.disabled && last && !/aldrig/i.test(last.textContent);
  }, null, { timeout: 30_000 });
  const received = Number(await page.locator('#count-received').textContent());
  check(received === visitors.length, `every visitor is received after the sync: ${received}`);
  await screen(page, '14', 'staff-after-sync', 'sv', 'desk');
  pass('staff_sync_now_reports_the_last_success');

  // A visitor screen locks staff mode: /staff asks for the PIN again.
  await page.goto(`${base}/`);
  await page.goto(`${base}/staff`);
  await page.getByLabel(STAFF.pin, { exact: true }).waitFor();
  check((await h1s(page)).join() !== STAFF.title, 'staff mode is locked after the visitor screen');
  await staffInEveryCombo(page, '15', 'staff-pin-locked');
  pass('staff_mode_locks_when_a_visitor_screen_is_shown');
  await context.close();
}

await runInBrowser(async (defaultContext) => {
  const browser = defaultContext.browser();
  await staffSetup(browser);
  for (const [lang, size] of COMBOS) {
    const context = await browser.newContext({ ...SIZES[size], locale: lang === 'sv' ? 'sv-SE' : 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('response', (response) => {
      if (response.url().startsWith(base) && !response.url().includes('/assets/')) {
        answers.push({ url: new URL(response.url()).pathname, status: response.status(), cacheControl: response.headers()['cache-control'] ?? '' });
      }
    });
    // Chromium's own word on where each answer came from.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const shellUrl = (url) => url.startsWith(base) && !url.includes('/assets/');
    cdp.on('Network.responseReceived', (event) => {
      const { url, fromDiskCache, fromPrefetchCache } = event.response;
      if (shellUrl(url) && (fromDiskCache || fromPrefetchCache)) {
        fromCache.push(new URL(url).pathname);
      } else if (url.includes('/assets/') && fromDiskCache) {
        assetsFromCache += 1;
      }
    });
    const requested = new Map();
    cdp.on('Network.requestWillBeSent', (event) => requested.set(event.requestId, event.request.url));
    cdp.on('Network.requestServedFromCache', (event) => {
      const url = requested.get(event.requestId) ?? '';
      if (shellUrl(url)) {
        fromCache.push(new URL(url).pathname);
      } else if (url.includes('/assets/')) {
        assetsFromCache += 1;
      }
    });
    await page.clock.install();

    await page.goto(`${base}/?lang=${lang}`);
    check((await h1s(page)).join() === T[lang].event, `${lang} ${size}: the welcome shows the event`);
    const languages = await page.locator('form.start button[name=lang]').evaluateAll((bs) => bs.map((b) => b.value));
    check(languages.join() === 'sv,en', `${lang} ${size}: Svenska first, then English (${languages})`);
    await screen(page, '01', 'welcome', lang, size);
    pass(`welcome_passes_axe_${lang}_${size}`);

    await formErrorsAndIdle(page, lang, size);
    await protectedFormAndStartOver(page, lang, size);

    let thanksShot = false;
    for (const visitor of visitors.filter((v) => v.language === lang && v.size === size)) {
      if (visitor.keyboard) {
        await registerByKeyboard(page, visitor, size);
      } else {
        await register(page, visitor, size);
      }
      if (!thanksShot) {
        await screen(page, '06', 'thanks', lang, size);
        pass(`thanks_passes_axe_${lang}_${size}`);
        thanksShot = true;
      } else {
        await shot(page, `web-07-thanks-${visitor.key}-${lang}-${size}`);
      }
      await thanksThenGone(page, visitor, lang, size, visitor.keyboard);
      pass(`registered_${visitor.key}`);
    }
    check(thanksShot, `${lang} ${size}: some visitor registers here`);
    pass(`after_each_submit_nothing_is_left_in_dom_back_or_reload_${lang}_${size}`);
    await context.close();
  }

  // Every answer of the shell (pages, redirects, the idle script's posts) forbids caching.
  const cached = answers.filter((a) => !a.cacheControl.split(',').map((s) => s.trim()).includes('no-store'));
  check(answers.length > 50, `the shell's answers were seen (${answers.length})`);
  check(cached.length === 0, `answers without no-store: ${cached.map((a) => `${a.status} ${a.url}`).join(', ')}`);
  check(assetsFromCache > 0, 'the cache watch sees the stylesheet (cacheable) come from a cache');
  check(fromCache.length === 0, `pages Chromium took from its cache: ${fromCache.join(', ')}`);
  pass('every_answer_is_no_store_and_none_came_from_a_cache');

  // Staff mode, on the desk in Swedish: the kiosk was enrolled before the visitors came,
  // but no PIN was chosen yet, so /staff opens the PIN step of the first setup.
  await staffMode(browser);
});
