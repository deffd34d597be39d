#!/usr/bin/env python3
"""A Python kiosk shell driving the generated bindings (`kiosk_ffi`) against a real relay.

Run by `tests/tests/foreign_bindings.rs`, which starts the relay and sets:
  KIOSK_RELAY_URL   http://127.0.0.1:PORT
  KIOSK_CODE        kiosk enrollment code (good for several tablets)
  KIOSK_STAFF_CODE  staff enrollment code bound to recruiter "rut" (one tablet)
  KIOSK_EVENT_CODE  kiosk enrollment code for an event HR made (not the demo event)
  KIOSK_WORK_DIR    a temporary folder for the device stores
and puts `kiosk_ffi.py` with `libkiosk_ffi.so` on PYTHONPATH.

Prints `PASS <check>` per check, in order; any failure raises AssertionError, prints the
traceback and exits non-zero. Standard library only; async calls run on asyncio.
"""

import asyncio
import os
import re
import sys
import threading
import time
import traceback
import unicodedata
import urllib.error
import urllib.request

import kiosk_ffi as k
from kiosk_ffi import (
    DeviceRole,
    HandBackState,
    IdleState,
    KioskDevice,
    KioskError,
    Language,
    PlatformSecretStore,
    RecordStatus,
    RegistrationDraft,
    RelayAnswer,
    RelayTransport,
    SyncListener,
    SyncOptions,
)

RELAY_URL = os.environ["KIOSK_RELAY_URL"].rstrip("/")
# A visitor's receipt code as shown: 26 Crockford base32 symbols and a check symbol, in
# groups of four.
RECEIPT_CODE = re.compile(
    r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}[0-9A-HJKMNP-TV-Z*~$=U]"
)
KIOSK_CODE = os.environ["KIOSK_CODE"]
STAFF_CODE = os.environ["KIOSK_STAFF_CODE"]
EVENT_CODE = os.environ["KIOSK_EVENT_CODE"]
WORK_DIR = os.environ["KIOSK_WORK_DIR"]

DEMO_EVENT_ID = "sthlm-career-fair-2026"
# The event HR made for KIOSK_EVENT_CODE (tests/tests/foreign_bindings.rs).
HR_EVENT_ID = "goteborg-it-dagen-2027"
HR_EVENT_NAME_EN = "IT Day Gothenburg 2027"
RECRUITER = "rut"
KIOSK_PIN = "482913"
STAFF_PIN = "573920"
# Longest any single awaited call may take before the scenario fails instead of hanging.
CALL_LIMIT_S = 120
# The whole scenario; the harness kills the script at 600 s, this says why first.
SCENARIO_LIMIT_S = 480


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def passed(check):
    print(f"PASS {check}", flush=True)


def nfc(text):
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------
# What the shell implements: the secret store, its own networking, a sync listener.
# ---------------------------------------------------------------------------------------


class DictSecretStore(PlatformSecretStore):
    """The platform key store, as a dict behind a lock (called from core threads)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._secrets = {}

    def load(self, name):
        with self._lock:
            return self._secrets.get(name)

    def store(self, name, secret):
        with self._lock:
            self._secrets[name] = bytes(secret)

    def delete(self, name):
        with self._lock:
            self._secrets.pop(name, None)

    def snapshot(self):
        with self._lock:
            return dict(self._secrets)


class ThrowingSecretStore(PlatformSecretStore):
    """A locked key store whose every call throws something that is not a KioskError."""

    def __init__(self):
        self.calls = 0

    def _fail(self):
        self.calls += 1
        raise RuntimeError("the keystore is locked")

    def load(self, name):
        self._fail()

    def store(self, name, secret):
        self._fail()

    def delete(self, name):
        self._fail()


def network_error(detail):
    return KioskError.Network(
        detail=detail,
        message_sv="Servern kunde inte nås.",
        message_en="The relay could not be reached.",
    )


class UrllibTransport(RelayTransport):
    """The shell's own networking: urllib POSTs of CBOR bodies, no proxy for loopback."""

    def __init__(self, base_url, timeout_s=30.0):
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._lock = threading.Lock()
        self.requests = []

    def post(self, path, body):
        with self._lock:
            self.requests.append(path)
        request = urllib.request.Request(
            self.base_url + path,
            data=bytes(body),
            method="POST",
            headers={"Content-Type": "application/cbor", "Accept": "application/cbor"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                return RelayAnswer(status=response.status, body=response.read())
        except urllib.error.HTTPError as error:
            # The relay answered with an error status: the core reads its code.
            try:
                body = error.read()
            finally:
                error.close()
            return RelayAnswer(status=error.code, body=body)
        except urllib.error.URLError as error:
            raise network_error(f"urllib: {error.reason}") from None
        except OSError as error:
            raise network_error(f"socket: {type(error).__name__}") from None


class ThrowingTransport(RelayTransport):
    """Networking that fails with something that is not a KioskError."""

    def __init__(self):
        self.calls = 0

    def post(self, path, body):
        self.calls += 1
        raise OSError("the network is down")


class SilentTransport(RelayTransport):
    """Networking that never answers until released."""

    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Event()

    def post(self, path, body):
        self.entered.set()
        self.release.wait()
        raise network_error("released after the test")


class RecordingListener(SyncListener):
    """Keeps everything the core tells it, from whichever thread it is told on."""

    def __init__(self):
        self._lock = threading.Lock()
        self.progress_calls = []
        self.states = []
        self.finished_calls = []
        self.failed_calls = []

    def progress(self, done, total):
        with self._lock:
            self.progress_calls.append((done, total))

    def record_state(self, registration_id, outcome):
        with self._lock:
            self.states.append((registration_id, outcome))

    def finished(self, summary):
        with self._lock:
            self.finished_calls.append(summary)

    def failed(self, failure):
        with self._lock:
            self.failed_calls.append(failure)


class ThrowingListener(RecordingListener):
    """A listener whose progress throws (a UI bug, say)."""

    def progress(self, done, total):
        super().progress(done, total)
        raise ValueError("the progress bar is gone")


class StoppingListener(RecordingListener):
    """Stops the sync the way a Swift shell must (its task's cancellation does not reach the
    core): by raising KioskError.Cancelled from the first progress."""

    def progress(self, done, total):
        super().progress(done, total)
        raise KioskError.Cancelled("Synkningen avbröts.", "The sync was cancelled.")


class CancellingListener(RecordingListener):
    """Cancels the awaiting task at the first progress, and waits until it is cancelled,
    so the cancellation has reached the core before this callback returns."""

    def __init__(self, loop):
        super().__init__()
        self.loop = loop
        self.task = None
        self.task_done = threading.Event()
        self.cancel_sent = False
        self.problem = None

    def progress(self, done, total):
        super().progress(done, total)
        if self.cancel_sent:
            return
        self.cancel_sent = True
        self.loop.call_soon_threadsafe(self.task.cancel)
        if not self.task_done.wait(10):
            self.problem = "the task was not cancelled within 10 s of asking"


# ---------------------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------------------


def expect_error(variant, call, what):
    """Runs `call()` and returns the `variant` error it raised, or fails naming `what`."""
    try:
        result = call()
    except variant as error:
        return error
    except KioskError as error:
        raise AssertionError(
            f"{what}: expected KioskError.{variant.__name__}, got {error!r}"
        ) from None
    raise AssertionError(f"{what}: expected KioskError.{variant.__name__}, got {result!r}")


async def limited(awaitable, what, limit_s=CALL_LIMIT_S):
    try:
        return await asyncio.wait_for(awaitable, limit_s)
    except asyncio.TimeoutError:
        raise AssertionError(f"{what}: no answer within {limit_s} s") from None


async def expect_error_async(variant, awaitable, what):
    try:
        result = await limited(awaitable, what)
    except variant as error:
        return error
    except KioskError as error:
        raise AssertionError(
            f"{what}: expected KioskError.{variant.__name__}, got {error!r}"
        ) from None
    raise AssertionError(f"{what}: expected KioskError.{variant.__name__}, got {result!r}")


def draft(given, family, **extra):
    fields = dict(
        language=Language.SWEDISH,
        given_name=given,
        family_name=family,
        email="",
        phone="070-123 45 67",
        interests=["it-development"],
        locations=["stockholm"],
        privacy_notice_acknowledged=True,
    )
    fields.update(extra)
    return RegistrationDraft(**fields)


def fields_of(error):
    return [problem.field for problem in error.errors]


def assert_no_echo(error, *typed):
    """Refusals name the field and rule, never what the visitor typed."""
    for problem in error.errors:
        assert problem.message_sv and problem.message_en, f"a refusal without texts: {problem}"
        for text in typed:
            for message in (problem.message_sv, problem.message_en):
                assert text not in message, (
                    f"the refusal of {problem.field} echoes the input: {message!r}"
                )


def options(max_documents=100, timeout_ms=30_000):
    return SyncOptions(max_documents=max_documents, request_timeout_ms=timeout_ms)


class Kiosk:
    """What the scenario knows about the kiosk tablet: its sessions and what was captured."""

    def __init__(self):
        self.device = None
        self.secrets = None
        self.transport = UrllibTransport(RELAY_URL)
        self.session = None
        self.staff = None
        # Registration ids of every accepted submission, with the names as typed.
        self.captured = []
        self.restricted_ids = set()

    def submit(self, registration, restricted=False):
        receipt = self.session.submit(registration)
        assert UUID.fullmatch(receipt.registration_id), receipt
        assert receipt.receipt_code, f"a receipt without a code: {receipt}"
        self.captured.append(
            (receipt.registration_id, registration.given_name, registration.family_name)
        )
        if restricted:
            self.restricted_ids.add(receipt.registration_id)
        return receipt

    def capture(self, count, prefix):
        names = ["Linnea", "Oskar", "Märta", "Björn", "Saga", "Elis", "Ingrid"]
        for i in range(count):
            self.submit(draft(names[i % len(names)], f"{prefix}-Ek"))

    def overview(self):
        return self.staff.overview()

    async def sync(self, listener=None, transport=None, opts=None, what="sync"):
        return await limited(
            self.device.sync(
                transport or self.transport, listener or RecordingListener(), opts or options()
            ),
            what,
        )


# ---------------------------------------------------------------------------------------
# The checks, in the harness's order.
# ---------------------------------------------------------------------------------------


def throwing_secret_store_is_a_typed_error(kiosk, path):
    throwing = ThrowingSecretStore()
    error = expect_error(
        KioskError.SecretStore,
        lambda: KioskDevice.open(path, throwing, DeviceRole.KIOSK),
        "opening with a secret store that throws",
    )
    assert throwing.calls >= 1, "the throwing secret store was never called"
    assert error.message_sv and error.message_en, f"no texts to show: {error!r}"
    kiosk.secrets = DictSecretStore()
    kiosk.device = KioskDevice.open(path, kiosk.secrets, DeviceRole.KIOSK)
    assert kiosk.device.role() == DeviceRole.KIOSK
    passed("throwing_secret_store_is_a_typed_error")


def device_opens_with_the_shell_secret_store(kiosk, path):
    secrets = kiosk.secrets.snapshot()
    assert secrets, "opening a new device stored no data key in the shell's secret store"
    assert all(len(secret) >= 16 for secret in secrets.values()), (
        f"a suspiciously short secret: { {n: len(s) for n, s in secrets.items()} }"
    )
    device_id = kiosk.device.device_id()
    assert re.fullmatch(r"[0-9a-f]{64}", device_id), f"device id {device_id!r}"
    kiosk.device.close_store()
    # Another secret store (the key store was reset) cannot open the data: a typed error.
    expect_error(
        KioskError.SecretStore,
        lambda: KioskDevice.open(path, DictSecretStore(), DeviceRole.KIOSK),
        "opening with an empty secret store",
    )
    kiosk.device = KioskDevice.open(path, kiosk.secrets, DeviceRole.KIOSK)
    assert kiosk.device.device_id() == device_id, "reopening changed the device id"
    assert kiosk.secrets.snapshot() == secrets, "reopening replaced the data key"
    passed("device_opens_with_the_shell_secret_store")


async def enrolls_against_the_relay(kiosk):
    # As SHELLS.md says: no event installed; the tablet takes the code's from the relay.
    # Not enrolled yet: a visitor session cannot start.
    not_ready = expect_error(
        KioskError.NotReady,
        kiosk.device.start_visitor_session,
        "a visitor session before enrollment",
    )
    assert not_ready.code in ("not_enrolled", "no_event"), f"not ready because {not_ready.code!r}"
    # What a shell reads, without the PIN, to choose "set me up": nothing is set up yet.
    new = kiosk.device.setup_state()
    assert new.role == DeviceRole.KIOSK, new
    assert not new.enrolled and new.enrollment_expires_at_ms is None, new
    assert new.event_name is None and not new.staff_pin_set and not new.wipe_ordered, new
    assert new.last_sync_ok_at_ms is None and new.relay_refusal is None, new
    enrollment = await limited(
        kiosk.device.enroll(kiosk.transport, KIOSK_CODE, None), "enrollment"
    )
    assert enrollment.role == DeviceRole.KIOSK, f"enrolled as {enrollment.role}"
    assert enrollment.event_id == DEMO_EVENT_ID, f"enrolled for {enrollment.event_id!r}"
    assert enrollment.device_id == kiosk.device.device_id(), "enrolled another device id"
    assert enrollment.recruiter is None, f"a kiosk bound to {enrollment.recruiter!r}"
    assert enrollment.expires_at_ms > time.time() * 1000, "the enrollment already expired"
    assert kiosk.transport.requests == ["/v1/enroll"], (
        f"enrollment went through the shell's transport as {kiosk.transport.requests}"
    )
    no_form = expect_error(
        KioskError.NotReady,
        kiosk.device.start_visitor_session,
        "a visitor session before the first sync",
    )
    assert no_form.code == "no_event", f"not ready because {no_form.code!r}"
    # Enrolled, and "not ready" until the first sync brings the event.
    enrolled = kiosk.device.setup_state()
    assert enrolled.enrolled, enrolled
    assert enrolled.enrollment_expires_at_ms == enrollment.expires_at_ms, enrolled
    assert enrolled.event_name is None and enrolled.last_sync_ok_at_ms is None, enrolled
    # Enrolled over the shell's own transport: the shell tells the core the relay's address,
    # which the visitor's receipt page address (the thank-you screen's QR code) is made from.
    bad_address = expect_error(
        KioskError.InvalidInput,
        lambda: kiosk.device.set_relay_address("relay.example.se/kvitto?x"),
        "a relay address without a scheme",
    )
    assert bad_address.field == "relay_address", bad_address
    kiosk.device.set_relay_address(RELAY_URL)
    before_ms = int(time.time() * 1000)
    await kiosk.sync(what="the first sync, which brings the event")
    synced = kiosk.device.setup_state()
    assert synced.event_name is not None and synced.event_name.sv, synced
    assert synced.last_sync_ok_at_ms is not None, "the completed sync's time is not kept"
    # Whole milliseconds on both clocks: a small margin, not a timing claim.
    assert synced.last_sync_ok_at_ms >= before_ms - 1000, (synced.last_sync_ok_at_ms, before_ms)
    assert synced.relay_refusal is None and not synced.wipe_ordered, synced
    passed("enrolls_against_the_relay")


async def enrolls_for_an_hr_event_without_installing_one(kiosk):
    device = KioskDevice.open(
        os.path.join(WORK_DIR, "python-hr-event.sqlite3"), DictSecretStore(), DeviceRole.KIOSK
    )
    try:
        enrollment = await limited(
            device.enroll(kiosk.transport, EVENT_CODE, None), "enrollment for HR's event"
        )
        assert enrollment.event_id == HR_EVENT_ID, f"enrolled for {enrollment.event_id!r}"
        await limited(device.sync(kiosk.transport, RecordingListener(), options()), "first sync")
        session = device.start_visitor_session()
        assert session.form().event_name.en == HR_EVENT_NAME_EN, session.form().event_name
        receipt = session.submit(draft("Göran", "Åkesson"))
        assert RECEIPT_CODE.fullmatch(receipt.receipt_code), f"a receipt without a code: {receipt}"
        # This shell never told the tablet its relay's address: no page address to show.
        assert receipt.receipt_page_address is None, receipt.receipt_page_address
        sent = await limited(device.sync(kiosk.transport, RecordingListener(), options()), "sync")
        assert sent.received == 1, f"received {sent.received}"
    finally:
        device.close_store()
    passed("enrolls_for_an_hr_event_without_installing_one")


async def enrollment_mismatches_are_refused_and_pin_nothing(kiosk):
    # Set up for the demo event, then given a code for HR's event.
    device = KioskDevice.open(
        os.path.join(WORK_DIR, "python-mismatch-event.sqlite3"), DictSecretStore(), DeviceRole.KIOSK
    )
    try:
        device.install_demo_event()
        wrong_event = await expect_error_async(
            KioskError.Rejected,
            device.enroll(kiosk.transport, EVENT_CODE, None),
            "a code for another event",
        )
        assert wrong_event.code == "enrollment_event", wrong_event
        assert wrong_event.message_sv and wrong_event.message_en, wrong_event
        still = expect_error(
            KioskError.NotReady, device.start_visitor_session, "a session after the refusal"
        )
        assert still.code == "not_enrolled", f"pinned something: {still.code!r}"
    finally:
        device.close_store()
    # The QR code named another relay key.
    device = KioskDevice.open(
        os.path.join(WORK_DIR, "python-mismatch-key.sqlite3"), DictSecretStore(), DeviceRole.KIOSK
    )
    try:
        wrong_key = await expect_error_async(
            KioskError.Rejected,
            device.enroll(kiosk.transport, KIOSK_CODE, "00" * 8),
            "another relay key",
        )
        assert wrong_key.code == "enrollment_relay_key", wrong_key
    finally:
        device.close_store()
    # A staff tablet given a kiosk code: the relay refuses it without using it.
    device = KioskDevice.open(
        os.path.join(WORK_DIR, "python-mismatch-role.sqlite3"), DictSecretStore(), DeviceRole.STAFF
    )
    try:
        wrong_role = await expect_error_async(
            KioskError.Rejected,
            device.enroll(kiosk.transport, KIOSK_CODE, None),
            "a kiosk code on a staff tablet",
        )
        assert wrong_role.code == "wrong_role", wrong_role
    finally:
        device.close_store()
    passed("enrollment_mismatches_are_refused_and_pin_nothing")


def reads_the_event_form(kiosk):
    kiosk.session = kiosk.device.start_visitor_session()
    form = kiosk.session.form()
    assert form.event_name.sv == "Karriärmässa Stockholm 2026", form.event_name
    assert form.event_name.en == "Stockholm Career Fair 2026", form.event_name
    assert Language.SWEDISH in form.languages and Language.ENGLISH in form.languages
    codes = [choice.code for choice in form.interest_areas]
    assert "it-development" in codes and "law" in codes, f"interest areas {codes}"
    for choice in form.interest_areas:
        assert choice.label.sv and choice.label.en, f"a one-language choice: {choice}"
    assert form.max_interests >= 1
    assert "stockholm" in [choice.code for choice in form.locations]
    assert form.privacy_notice.sv and form.privacy_notice.en
    assert form.privacy_notice.sv != form.privacy_notice.en, "the notice is not translated"
    assert "personuppgifter" in form.privacy_notice.sv, form.privacy_notice.sv[:80]
    assert "personal data" in form.privacy_notice.en, form.privacy_notice.en[:80]
    assert form.talent_pool_notice.sv and form.talent_pool_notice.en
    assert re.fullmatch(r"[0-9a-f]{64}", form.form_version), form.form_version
    assert form.form_version == k.demo_form_version(), (
        f"form {form.form_version} is not the demo form {k.demo_form_version()}"
    )
    assert form.retention_months == 24, form.retention_months
    passed("reads_the_event_form")


def valid_registration_gets_a_receipt(kiosk):
    receipt = kiosk.submit(
        draft(
            "Åsa",
            "Öberg",
            email="asa.oberg@exempel.se",
            interests=["it-development", "law"],
            locations=["stockholm", "goteborg"],
            education_level="master",
            talent_pool_opt_in=True,
        )
    )
    # The visitor's receipt: 27 symbols in groups of four, and the receipt page at the relay
    # with the code only in the fragment.
    assert RECEIPT_CODE.fullmatch(receipt.receipt_code), receipt.receipt_code
    compact = receipt.receipt_code.replace("-", "")
    assert receipt.receipt_page_address == f"{RELAY_URL}/kvitto#{compact}", (
        receipt.receipt_page_address
    )
    assert abs(receipt.captured_at_ms - time.time() * 1000) < 60_000, receipt.captured_at_ms
    # A visitor with protected personal data: kept, but never sent to staff tablets.
    kiosk.submit(
        draft("Yasmin", "Haddad", email="y.haddad@exempel.se", phone="", locations=[],
              protected_personal_data=True),
        restricted=True,
    )
    passed("valid_registration_gets_a_receipt")


def invalid_registration_names_the_field(kiosk):
    typed = "lars.nilsson.exempel.se"
    error = expect_error(
        KioskError.InvalidRegistration,
        lambda: kiosk.session.submit(draft("Lars", "Nilsson", email=typed)),
        "an invalid email",
    )
    assert fields_of(error) == ["email"], f"refused fields {fields_of(error)}"
    assert error.errors[0].reason == "invalid_email", error.errors[0]
    assert_no_echo(error, typed, "lars", "nilsson")
    # The visitor corrects it and submits.
    kiosk.submit(draft("Lars", "Nilsson", email="lars.nilsson@exempel.se"))
    # Several refused fields arrive together, in form order.
    error = expect_error(
        KioskError.InvalidRegistration,
        lambda: kiosk.session.submit(
            draft("Lars2", "Nilsson", email=typed, interests=["astrology"],
                  privacy_notice_acknowledged=False)
        ),
        "several invalid fields",
    )
    fields = fields_of(error)
    for field in ("given_name", "email", "interests", "privacy_notice"):
        assert field in fields, f"{field} not among the refused fields {fields}"
    order = [fields.index(f) for f in ("given_name", "email", "interests", "privacy_notice")]
    assert order == sorted(order), f"refusals out of form order: {fields}"
    assert_no_echo(error, typed, "Lars2", "astrology")
    passed("invalid_registration_names_the_field")


async def oversized_and_unusual_unicode_input_is_refused_or_kept_exactly(kiosk):
    kiosk.device.set_staff_pin(KIOSK_PIN)
    kiosk.staff = await limited(kiosk.device.unlock_staff(KIOSK_PIN), "unlocking staff mode")
    before = kiosk.overview()
    assert before.captured == len(kiosk.captured), (
        f"overview counts {before.captured} captures, the shell made {len(kiosk.captured)}"
    )

    huge = "Å" * 100_000
    error = expect_error(
        KioskError.InvalidRegistration,
        lambda: kiosk.session.submit(draft(huge, "Berg")),
        "a 100,000-character given name",
    )
    assert fields_of(error) == ["given_name"], f"refused fields {fields_of(error)}"
    assert error.errors[0].reason == "too_long", error.errors[0]
    assert all(len(p.message_sv) < 500 and len(p.message_en) < 500 for p in error.errors)

    refusals = [
        ("given_name", draft("Ali\u202eecila", "Berg"), "a right-to-left override"),
        ("family_name", draft("Eva", "Berg\u0000"), "a NUL character"),
        ("family_name", draft("Eva", "Berg\u202a"), "a left-to-right embedding"),
        ("given_name", draft("Eva\u0007", "Berg"), "a control character"),
        ("given_name", draft("Eva 🙂", "Berg"), "an emoji"),
    ]
    for field, registration, what in refusals:
        error = expect_error(
            KioskError.InvalidRegistration, lambda: kiosk.session.submit(registration), what
        )
        assert fields_of(error) == [field], f"{what}: refused fields {fields_of(error)}"
        assert error.errors[0].reason == "invalid_characters", f"{what}: {error.errors[0]}"
    after_refusals = kiosk.overview()
    assert after_refusals.captured == before.captured, (
        f"refused submissions were kept: {before.captured} → {after_refusals.captured}"
    )
    assert after_refusals.journal == before.journal, "refused submissions changed the journal"

    accepted = [
        ("Zoë", "Nguyễn Thị"),
        ("Сергей", "Иванов"),
        ("Zoe\u0308", "O'Connor"),  # decomposed: e + combining diaeresis
        ("محمد", "Παπαδόπουλος"),
        ("김민준", "D’Angelo"),
    ]
    for given, family in accepted:
        kiosk.submit(draft(given, family))
    after = kiosk.overview()
    assert after.captured == before.captured + len(accepted), (
        f"{len(accepted)} accepted names, captured {before.captured} → {after.captured}"
    )
    assert after.captured == len(kiosk.captured)
    passed("oversized_and_unusual_unicode_input_is_refused_or_kept_exactly")


def session_resets(kiosk):
    kiosk.session.update(draft("Halv", "Ifylld", email="halv@exempel.se"))
    assert kiosk.session.idle_state() == IdleState.ACTIVE
    kiosk.session.still_here()
    kiosk.session.reset()
    assert kiosk.session.idle_state() == IdleState.ACTIVE, kiosk.session.idle_state()
    # The form is shown afresh; nothing was captured by the abandoned draft.
    assert kiosk.session.form().form_version == k.demo_form_version()
    assert kiosk.overview().captured == len(kiosk.captured)
    limits = k.idle_limits()
    assert 0 < limits.ask_still_there_after_ms < limits.reset_after_ms, limits
    passed("session_resets")


async def staff_pin_wrong_then_right(kiosk):
    # The PIN was set before checking refused input; setting it again is refused.
    error = expect_error(KioskError.Pin, lambda: kiosk.device.set_staff_pin(KIOSK_PIN),
                         "setting the PIN twice")
    assert error.reason == "already_set", error
    kiosk.staff.lock()
    expect_error(KioskError.Closed, kiosk.staff.overview, "a locked staff mode")
    error = await expect_error_async(
        KioskError.Pin, kiosk.device.unlock_staff("482914"), "a wrong PIN"
    )
    assert error.reason == "wrong", f"wrong PIN refused as {error.reason!r}"
    assert error.attempts_left is not None and 0 < error.attempts_left < 10, error
    assert error.message_sv and error.message_en, error
    assert "482914" not in error.message_sv + error.message_en, "the PIN is echoed"
    kiosk.staff = await limited(kiosk.device.unlock_staff(KIOSK_PIN), "the right PIN")
    overview = kiosk.overview()
    assert overview.captured == len(kiosk.captured), overview
    assert overview.sent == 0 and overview.received == 0, overview
    assert not overview.safe_to_hand_back, "unsent captures, yet safe to hand back"
    assert overview.hand_back == HandBackState.UNSENT(unreceipted=len(kiosk.captured)), (
        overview.hand_back
    )
    assert "NOT safe" in overview.hand_back_advice.en, overview.hand_back_advice
    assert "INTE klar" in overview.hand_back_advice.sv, overview.hand_back_advice
    assert overview.journal.count >= overview.captured, overview.journal
    assert re.fullmatch(r"[0-9a-f]{64}", overview.journal.head), overview.journal
    passed("staff_pin_wrong_then_right")


def check_listener_heard(listener, summary, total, received_ids):
    assert listener.failed_calls == [], f"failed was called: {listener.failed_calls}"
    assert listener.finished_calls == [summary], (
        f"finished {len(listener.finished_calls)} time(s), not once with the summary"
    )
    steps = listener.progress_calls
    assert steps, "no progress was reported"
    dones = [done for done, _ in steps]
    assert dones == sorted(dones), f"progress went backwards: {steps}"
    assert all(t == total for _, t in steps), f"the total changed: {steps}"
    assert steps[-1] == (total, total), f"progress ended at {steps[-1]}, not {total}"
    states = {}
    for registration_id, outcome in listener.states:
        states.setdefault(registration_id, []).append(outcome)
    for registration_id in received_ids:
        outcomes = states.get(registration_id)
        assert outcomes and all(o.is_received() for o in outcomes), (
            f"{registration_id}: record_state {outcomes}"
        )
    unexpected = set(states) - set(received_ids)
    assert not unexpected, f"record_state for records not sent: {unexpected}"


async def sync_reports_progress_to_the_listener(kiosk):
    listener = RecordingListener()
    before = len(kiosk.transport.requests)
    summary = await kiosk.sync(listener, opts=options(max_documents=2), what="the first sync")
    ids = [registration_id for registration_id, _, _ in kiosk.captured]
    assert summary.received == len(ids), f"received {summary.received} of {len(ids)}"
    assert summary.quarantined == 0 and summary.refused == [], summary
    assert summary.requests >= (len(ids) + 1) // 2, f"{summary.requests} requests"
    assert len(kiosk.transport.requests) - before == summary.requests
    check_listener_heard(listener, summary, len(ids), ids)
    overview = kiosk.overview()
    assert overview.received == overview.captured == len(ids), overview
    assert overview.safe_to_hand_back, overview
    assert summary.relay_journal is not None, summary
    passed("sync_reports_progress_to_the_listener")


async def throwing_transport_is_a_typed_error_and_the_next_sync_completes(kiosk):
    kiosk.capture(2, "Strand")
    received = kiosk.overview().received
    throwing = ThrowingTransport()
    listener = RecordingListener()
    error = await expect_error_async(
        KioskError.Network,
        kiosk.device.sync(throwing, listener, options()),
        "a transport that throws OSError",
    )
    assert throwing.calls >= 1, "the throwing transport was never called"
    assert error.message_sv and error.message_en, error
    assert [f.kind for f in listener.failed_calls] == ["network"], listener.failed_calls
    assert listener.finished_calls == [], "finished after a failure"
    overview = kiosk.overview()
    assert overview.received == received, f"received {received} → {overview.received}"
    assert overview.captured == received + 2, overview
    summary = await kiosk.sync(what="the sync after the throwing transport")
    assert summary.received == 2, f"the next sync received {summary.received}, not 2"
    assert kiosk.overview().received == len(kiosk.captured)
    passed("throwing_transport_is_a_typed_error_and_the_next_sync_completes")


async def silent_transport_times_out_and_the_next_sync_completes(kiosk):
    kiosk.capture(1, "Tyst")
    silent = SilentTransport()
    try:
        started = time.monotonic()
        error = await expect_error_async(
            KioskError.Network,
            kiosk.device.sync(silent, RecordingListener(), options(timeout_ms=1000)),
            "a transport that never answers",
        )
        waited = time.monotonic() - started
        assert silent.entered.is_set(), "the silent transport was never called"
        assert 0.9 <= waited < 15, f"the 1 s deadline ended the sync after {waited:.1f} s"
        assert error.detail, error
        summary = await kiosk.sync(what="the sync after the silent transport")
        assert summary.received == 1, f"the next sync received {summary.received}, not 1"
        assert kiosk.overview().received == len(kiosk.captured)
    finally:
        silent.release.set()
    passed("silent_transport_times_out_and_the_next_sync_completes")


async def throwing_listener_is_a_typed_error_and_the_next_sync_completes(kiosk):
    kiosk.capture(1, "Kast")
    listener = ThrowingListener()
    error = await expect_error_async(
        KioskError.Callback,
        kiosk.device.sync(kiosk.transport, listener, options()),
        "a listener whose progress throws",
    )
    assert error.detail, error
    assert listener.progress_calls, "progress was never called"
    assert listener.finished_calls == [], "finished although the listener threw"
    assert [f.kind for f in listener.failed_calls] == ["callback"], listener.failed_calls
    summary = await kiosk.sync(what="the sync after the throwing listener")
    assert summary.refused == [], summary
    overview = kiosk.overview()
    assert overview.received == overview.captured == len(kiosk.captured), overview
    passed("throwing_listener_is_a_typed_error_and_the_next_sync_completes")


async def cancelled_sync_stops_between_requests_and_the_next_sync_completes(kiosk):
    kiosk.capture(5, "Avbryt")
    received = kiosk.overview().received
    loop = asyncio.get_running_loop()
    listener = CancellingListener(loop)
    task = asyncio.ensure_future(
        kiosk.device.sync(kiosk.transport, listener, options(max_documents=1))
    )
    listener.task = task
    task.add_done_callback(lambda _: listener.task_done.set())
    done, _ = await asyncio.wait({task}, timeout=CALL_LIMIT_S)
    assert done, "the sync did not end within the limit"
    try:
        result = await task
    except asyncio.CancelledError:
        pass
    except KioskError as error:
        raise AssertionError(f"the cancelled task raised {error!r}, not CancelledError") from None
    else:
        raise AssertionError(f"the sync to cancel completed: {result}")
    assert task.cancelled(), "the task was not cancelled"
    assert listener.cancel_sent, "progress was never called, so nothing was cancelled"
    assert listener.problem is None, listener.problem
    grown = kiosk.overview().received - received
    assert 1 <= grown < 5, f"the cancelled sync received {grown} of 5"
    summary = await kiosk.sync(what="the sync after the cancelled one")
    assert summary.received == 5 - grown, f"the next sync received {summary.received}, not {5 - grown}"
    overview = kiosk.overview()
    assert overview.received == overview.captured == len(kiosk.captured), overview
    # The cancelled sync told its listener why it ended (by the time the next one ran).
    assert [f.kind for f in listener.failed_calls] == ["cancelled"], listener.failed_calls
    assert listener.finished_calls == [], "finished although cancelled"

    # A listener raising Cancelled stops the sync the same way, and it ends as Cancelled.
    kiosk.capture(3, "Stopp")
    received = kiosk.overview().received
    stopping = StoppingListener()
    try:
        await kiosk.sync(stopping, opts=options(max_documents=1), what="the stopped sync")
    except KioskError.Cancelled:
        pass
    else:
        raise AssertionError("a listener raising Cancelled did not stop the sync")
    assert kiosk.overview().received - received == 1, "one request, then the stop"
    assert [f.kind for f in stopping.failed_calls] == ["cancelled"], stopping.failed_calls
    summary = await kiosk.sync(what="the sync after the stopped one")
    assert summary.received == 2, f"the next sync received {summary.received}, not 2"
    passed("cancelled_sync_stops_between_requests_and_the_next_sync_completes")


async def staff_tablet_pulls_and_annotates(kiosk, path):
    secrets = DictSecretStore()
    staff_device = KioskDevice.open(path, secrets, DeviceRole.STAFF)
    try:
        assert staff_device.role() == DeviceRole.STAFF
        staff_device.set_staff_pin(STAFF_PIN)
        enrollment = await limited(
            staff_device.enroll(kiosk.transport, STAFF_CODE, None), "staff enrollment"
        )
        assert enrollment.role == DeviceRole.STAFF, enrollment
        assert enrollment.recruiter == RECRUITER, f"bound to {enrollment.recruiter!r}"
        assert enrollment.event_id == DEMO_EVENT_ID, enrollment
        listener = RecordingListener()
        summary = await limited(
            staff_device.sync(kiosk.transport, listener, options()), "the staff pull"
        )
        shareable = [c for c in kiosk.captured if c[0] not in kiosk.restricted_ids]
        assert summary.pulled >= len(shareable), (
            f"pulled {summary.pulled}, the kiosk sent {len(shareable)} non-restricted"
        )
        assert listener.finished_calls == [summary], "finished not called once"

        staff = await limited(staff_device.unlock_staff(STAFF_PIN), "staff unlock")
        records = {record.registration_id: record for record in staff.registrations()}
        for registration_id, given, family in shareable:
            record = records.get(registration_id)
            assert record is not None, f"{given} {family} ({registration_id}) was not pulled"
            assert (record.given_name, record.family_name) == (nfc(given), nfc(family)), (
                f"{given!r} {family!r} came back as {record.given_name!r} {record.family_name!r}"
            )
        for registration_id in kiosk.restricted_ids:
            assert registration_id not in records, "a restricted registration reached staff"
        names = {(r.given_name, r.family_name) for r in records.values()}
        assert ("Zoë", "O'Connor") in names, "the decomposed Zoë did not arrive as NFC"

        asa_id = next(i for i, g, f in kiosk.captured if (g, f) == ("Åsa", "Öberg"))
        asa = records[asa_id]
        assert asa.email == "asa.oberg@exempel.se", asa.email
        assert asa.phone == "+46701234567", asa.phone
        assert asa.interests == ["it-development", "law"], asa.interests
        assert asa.talent_pool_opt_in, "the talent pool opt-in was lost"
        assert asa.status == RecordStatus.NEW, asa.status

        staff.add_note(asa_id, "Stark kandidat – ring på måndag.")
        staff.rate(asa_id, 4)
        staff.set_status(asa_id, RecordStatus.SHORTLISTED)
        error = expect_error(KioskError.NotReady, lambda: staff.rate(asa_id, 9),
                             "a rating out of range")
        assert error.code == "invalid_annotation", error
        edited = staff.registration(asa_id)
        assert [(n.author, n.text) for n in edited.notes] == [
            (RECRUITER, "Stark kandidat – ring på måndag.")
        ], edited.notes
        assert edited.ratings == {RECRUITER: 4}, edited.ratings
        assert edited.status == RecordStatus.SHORTLISTED, edited.status
        assert edited.unsent_changes >= 1, edited.unsent_changes

        listener = RecordingListener()
        summary = await limited(
            staff_device.sync(kiosk.transport, listener, options()), "the staff push"
        )
        assert summary.edits_stored >= 1, f"edits_stored {summary.edits_stored}"
        assert any(rid == asa_id and o.is_edits_stored() for rid, o in listener.states), (
            f"record_state {listener.states}"
        )
        assert staff.registration(asa_id).unsent_changes == 0, "the edits are still unsent"
        staff.lock()
    finally:
        staff_device.close_store()
    passed("staff_tablet_pulls_and_annotates")


def closed_device_refuses_calls(kiosk):
    kiosk.device.close_store()
    expect_error(KioskError.Closed, kiosk.device.device_id, "device_id after close")
    expect_error(KioskError.Closed, kiosk.device.install_demo_event, "a call after close")
    expect_error(
        KioskError.Closed,
        lambda: kiosk.session.submit(draft("Sent", "Besökare")),
        "the visitor session's submit after close",
    )
    expect_error(KioskError.Closed, kiosk.staff.overview, "staff overview after close")
    # Closing twice is harmless.
    kiosk.device.close_store()
    passed("closed_device_refuses_calls")


async def main():
    kiosk = Kiosk()
    kiosk_path = os.path.join(WORK_DIR, "python-kiosk.sqlite3")
    staff_path = os.path.join(WORK_DIR, "python-staff.sqlite3")

    throwing_secret_store_is_a_typed_error(kiosk, kiosk_path)
    device_opens_with_the_shell_secret_store(kiosk, kiosk_path)
    await enrolls_against_the_relay(kiosk)
    await enrolls_for_an_hr_event_without_installing_one(kiosk)
    await enrollment_mismatches_are_refused_and_pin_nothing(kiosk)
    reads_the_event_form(kiosk)
    valid_registration_gets_a_receipt(kiosk)
    invalid_registration_names_the_field(kiosk)
    await oversized_and_unusual_unicode_input_is_refused_or_kept_exactly(kiosk)
    session_resets(kiosk)
    await staff_pin_wrong_then_right(kiosk)
    await sync_reports_progress_to_the_listener(kiosk)
    await throwing_transport_is_a_typed_error_and_the_next_sync_completes(kiosk)
    await silent_transport_times_out_and_the_next_sync_completes(kiosk)
    await throwing_listener_is_a_typed_error_and_the_next_sync_completes(kiosk)
    await cancelled_sync_stops_between_requests_and_the_next_sync_completes(kiosk)
    await staff_tablet_pulls_and_annotates(kiosk, staff_path)
    closed_device_refuses_calls(kiosk)


def watchdog():
    time.sleep(SCENARIO_LIMIT_S)
    print(f"FAIL the Python scenario did not finish within {SCENARIO_LIMIT_S} s", flush=True)
    traceback.print_stack(file=sys.stderr)
    os._exit(3)


if __name__ == "__main__":
    threading.Thread(target=watchdog, name="watchdog", daemon=True).start()
    started = time.monotonic()
    try:
        asyncio.run(main())
    except BaseException:  # noqa: BLE001 - any failure ends the scenario non-zero
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    print(f"# the Python scenario took {time.monotonic() - started:.1f} s", flush=True)
    sys.stderr.flush()
    # Native threads (a transport left blocked on purpose) must not keep Python alive.
    os._exit(0)
