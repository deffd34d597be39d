// The idle watch: the only script of the kiosk, and no page needs it to work.
// On a visitor's form it reports activity (so the core's session goes on), asks
// "Är du kvar? / Are you still there?" in a modal dialog after the core's limit, and at
// the reset limit posts the reset and leaves for the welcome screen, so nothing of the
// visitor stays on the screen. In staff mode it only locks after the idle limit.
// Settings come from #idle-watch's data attributes; nothing inline, so the content policy
// can forbid inline script.
(function () {
  'use strict';
  // A page showing work in progress (staff mode's sync) reloads itself to show how it
  // goes; without script a <noscript> refresh does.
  const reload = document.getElementById('reload-watch');
  if (reload) {
    setTimeout(function () {
      window.location.replace(reload.dataset.reloadTo);
    }, Number(reload.dataset.reloadAfterMs));
  }
  const watch = document.getElementById('idle-watch');
  if (!watch) {
    return;
  }
  const askAfter = Number(watch.dataset.askAfterMs || 0);
  const endAfter = Number(watch.dataset.endAfterMs);
  const activityUrl = watch.dataset.activityUrl || null;
  const endUrl = watch.dataset.endUrl;
  const leaveTo = watch.dataset.leaveTo;
  const token = watch.dataset.token;
  const dialog = document.getElementById('idle-dialog');
  const countdown = document.getElementById('idle-countdown');
  const answer = document.getElementById('idle-continue');

  let lastActivity = Date.now();
  let reportTimer = null;
  let ended = false;

  function post(url) {
    const body = new URLSearchParams({ token: token });
    return fetch(url, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
  }

  // Reports activity a moment after it happens, at most once a second, so the core's
  // idle clock stays within a second of the screen's.
  function activity() {
    if (ended) {
      return;
    }
    lastActivity = Date.now();
    if (activityUrl && reportTimer === null) {
      reportTimer = setTimeout(report, 1000);
    }
  }

  // Tells the shell at once, not a second later: an answer in the last second before the
  // reset must reach the core's session before it expires.
  function report() {
    if (reportTimer !== null) {
      clearTimeout(reportTimer);
      reportTimer = null;
    }
    if (!activityUrl || ended) {
      return;
    }
    post(activityUrl).then(function (response) {
      // The shell ended this visit (idle, or another screen took over): leave.
      if (response.status === 409) {
        end();
      }
    }).catch(function () {});
  }

  function stillHere() {
    if (dialog && dialog.open) {
      dialog.close();
    }
    lastActivity = Date.now();
    report();
  }

  function end() {
    if (ended) {
      return;
    }
    ended = true;
    if (dialog && dialog.open) {
      dialog.close();
    }
    // Clear what is on the screen at once, before the network answers.
    const main = document.getElementById('main');
    if (main) {
      main.replaceChildren();
    }
    post(endUrl).catch(function () {}).finally(function () {
      window.location.replace(leaveTo);
    });
  }

  function tick() {
    if (ended) {
      return;
    }
    const idle = Date.now() - lastActivity;
    if (idle >= endAfter) {
      end();
      return;
    }
    if (dialog && askAfter > 0 && idle >= askAfter) {
      if (!dialog.open) {
        dialog.showModal();
      }
      if (countdown) {
        const seconds = Math.ceil((endAfter - idle) / 1000);
        countdown.textContent = countdown.dataset.template
          ? countdown.dataset.template.replace('{s}', String(seconds))
          : String(seconds);
      }
    }
  }

  ['input', 'change', 'keydown', 'pointerdown', 'touchstart', 'wheel', 'scroll'].forEach(function (type) {
    document.addEventListener(type, function (event) {
      // Inside the open dialog only the answer counts: a stray tap must not hide it.
      if (dialog && dialog.open && !dialog.contains(event.target)) {
        return;
      }
      if (!(dialog && dialog.open)) {
        activity();
      }
    }, { passive: true, capture: true });
  });
  // A form sent hands the screen to the shell's answer: this page's watch stops, so a
  // late report or reset cannot end the screen that answer shows (the thank-you).
  document.addEventListener('submit', function () {
    ended = true;
    if (reportTimer !== null) {
      clearTimeout(reportTimer);
      reportTimer = null;
    }
  });
  if (answer) {
    answer.addEventListener('click', stillHere);
  }
  if (dialog) {
    // Escape closes a modal dialog: that is an answer too.
    dialog.addEventListener('cancel', function (event) {
      event.preventDefault();
      stillHere();
    });
  }
  // A page restored from the back-forward cache belongs to a screen that may be gone.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });
  setInterval(tick, 1000);
})();
