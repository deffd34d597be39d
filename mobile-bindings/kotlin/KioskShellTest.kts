// The Kotlin (JVM) twin of an Android kiosk shell, driving the generated bindings
// (`uniffi.kiosk_ffi`) against a real relay. Run by tests/tests/foreign_bindings.rs, which
// compiles the bindings into a jar and passes the relay and codes in the environment:
//   KIOSK_RELAY_URL   the relay's base URL (http://127.0.0.1:PORT)
//   KIOSK_CODE        a kiosk enrollment code (several tablets)
//   KIOSK_STAFF_CODE  a staff enrollment code bound to recruiter "rut" (one tablet)
//   KIOSK_EVENT_CODE  a kiosk enrollment code for an event HR made (not the demo event)
//   KIOSK_WORK_DIR    a temporary folder for the device stores
// Each check prints `PASS <name>`; any failure prints `FAIL <name>: …` and exits non-zero.
// The only personal data here are the test's own fake visitors, and none is printed.

import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.cancellation.CancellationException
import kotlin.system.exitProcess
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import uniffi.kiosk_ffi.*

// ---------------------------------------------------------------------------------------
// Small assertion helpers: a failure names what was expected, never a visitor's data.

class CheckFailed(message: String) : AssertionError(message)

fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw CheckFailed(message())
}

fun <T> expectEqual(actual: T, expected: T, what: String) {
    if (actual != expected) throw CheckFailed("$what: expected $expected, got $actual")
}

/** Runs `block`, which must throw a `T`; returns it. Anything else fails the check. */
inline fun <reified T : Throwable> expectThrows(what: String, block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw CheckFailed("$what: expected ${T::class.simpleName}, got ${e::class.qualifiedName}: ${e.message}")
    }
    throw CheckFailed("$what: expected ${T::class.simpleName}, but the call succeeded")
}

fun env(name: String): String =
    System.getenv(name)?.takeIf { it.isNotBlank() } ?: throw CheckFailed("environment variable $name is not set")

// ---------------------------------------------------------------------------------------
// What an Android shell implements: the secret store, the networking, a sync listener.

/** The shell's secret store (the Android Keystore in the app; a map here). */
class InMemorySecretStore : PlatformSecretStore {
    val secrets = ConcurrentHashMap<String, ByteArray>()
    override fun load(name: String): ByteArray? = secrets[name]?.copyOf()
    override fun store(name: String, secret: ByteArray) {
        secrets[name] = secret.copyOf()
    }
    override fun delete(name: String) {
        secrets.remove(name)
    }
}

/** A secret store whose every call throws, like a Keystore that is locked or broken. */
class ThrowingSecretStore : PlatformSecretStore {
    val calls = AtomicInteger()
    override fun load(name: String): ByteArray? {
        calls.incrementAndGet()
        throw IllegalStateException("keystore unavailable (simulated)")
    }
    override fun store(name: String, secret: ByteArray) {
        calls.incrementAndGet()
        throw IllegalStateException("keystore unavailable (simulated)")
    }
    override fun delete(name: String) {
        calls.incrementAndGet()
        throw IllegalStateException("keystore unavailable (simulated)")
    }
}

/** The shell's own networking: java.net.http, as an app might use OkHttp. */
class HttpRelayTransport(baseUrl: String) : RelayTransport {
    private val base = baseUrl.trimEnd('/')
    private val client: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build()
    val requests = AtomicInteger()

    override fun post(path: String, body: ByteArray): RelayAnswer {
        requests.incrementAndGet()
        val request = HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/cbor")
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build()
        try {
            val response = client.send(request, HttpResponse.BodyHandlers.ofByteArray())
            return RelayAnswer(response.statusCode().toUShort(), response.body())
        } catch (e: IOException) {
            // What a shell does with no answer: the typed error the core expects.
            throw KioskException.Network(
                "shell transport: ${e::class.simpleName}",
                "Ingen kontakt med servern.",
                "No connection to the server.",
            )
        }
    }
}

/** A transport whose network is down: it throws a plain IOException. */
class ThrowingTransport : RelayTransport {
    val calls = AtomicInteger()
    override fun post(path: String, body: ByteArray): RelayAnswer {
        calls.incrementAndGet()
        throw IOException("network is unreachable (simulated)")
    }
}

/** A transport that never answers until `release` is counted down. */
class SilentTransport : RelayTransport {
    val release = CountDownLatch(1)
    val entered = CountDownLatch(1)
    override fun post(path: String, body: ByteArray): RelayAnswer {
        entered.countDown()
        release.await()
        throw IOException("released after the test (simulated)")
    }
}

/** Records everything a sync tells the shell. */
open class RecordingListener : SyncListener {
    val progress: MutableList<Pair<ULong, ULong>> = Collections.synchronizedList(mutableListOf())
    val records: MutableList<Pair<String, RecordOutcome>> = Collections.synchronizedList(mutableListOf())
    val finished: MutableList<SyncSummary> = Collections.synchronizedList(mutableListOf())
    val failed: MutableList<SyncFailure> = Collections.synchronizedList(mutableListOf())
    /** Counted down by `failed`, which a cancelled sync calls after its caller is gone. */
    val failedHeard = CountDownLatch(1)

    override fun progress(done: ULong, total: ULong) {
        progress.add(done to total)
    }
    override fun recordState(registrationId: String, outcome: RecordOutcome) {
        records.add(registrationId to outcome)
    }
    override fun finished(summary: SyncSummary) {
        finished.add(summary)
    }
    override fun failed(failure: SyncFailure) {
        failed.add(failure)
        failedHeard.countDown()
    }
}

/** A listener whose `progress` throws, as a buggy UI callback might. */
class ThrowingListener : RecordingListener() {
    override fun progress(done: ULong, total: ULong) {
        super.progress(done, total)
        throw IllegalStateException("the progress bar is gone (simulated)")
    }
}

// ---------------------------------------------------------------------------------------
// The scenario's state and fake visitors.

val relayUrl = env("KIOSK_RELAY_URL")
/** A visitor's receipt code as shown: 26 Crockford base32 symbols and a check symbol, in groups of four. */
val RECEIPT_CODE = Regex("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{2}[0-9A-HJKMNP-TV-Z*~$=U]$")
val kioskCode = env("KIOSK_CODE")
val staffCode = env("KIOSK_STAFF_CODE")
val eventCode = env("KIOSK_EVENT_CODE")
val workDir = java.io.File(env("KIOSK_WORK_DIR"))
val kioskPath = java.io.File(workDir, "kotlin-kiosk.sqlite3").path
val staffPath = java.io.File(workDir, "kotlin-staff.sqlite3").path
val throwingStorePath = java.io.File(workDir, "kotlin-throwing-store.sqlite3").path
val STAFF_PIN = "482913"
val RECRUITER = "rut"
// The event HR made for KIOSK_EVENT_CODE (tests/tests/foreign_bindings.rs).
val HR_EVENT_ID = "goteborg-it-dagen-2027"
val HR_EVENT_NAME_EN = "IT Day Gothenburg 2027"
val HEX64 = Regex("^[0-9a-f]{64}$")

val transport = HttpRelayTransport(relayUrl)
val kioskSecrets = InMemorySecretStore()
val visitorCounter = AtomicInteger()

/** A valid draft for the demo form; the email is made unique per visitor. */
fun draft(given: String, family: String, phone: String = ""): RegistrationDraft {
    val n = visitorCounter.incrementAndGet()
    return RegistrationDraft(
        language = Language.SWEDISH,
        givenName = given,
        familyName = family,
        email = "besokare.$n@example.se",
        phone = phone,
        interests = listOf("it-development", "databases"),
        locations = listOf("stockholm", "norrkoping"),
        educationLevel = "bachelor",
        privacyNoticeAcknowledged = true,
        talentPoolOptIn = n % 2 == 0,
    )
}

fun KioskException.InvalidRegistration.fields(): List<String> = errors.map { it.field }

fun KioskException.InvalidRegistration.problem(field: String): FieldProblem =
    errors.firstOrNull { it.field == field }
        ?: throw CheckFailed("expected a refusal naming `$field`, got fields ${fields()}")

fun checkProgress(listener: RecordingListener, total: ULong, what: String) {
    val calls = listener.progress.toList()
    expect(calls.isNotEmpty()) { "$what: the listener heard no progress" }
    calls.zipWithNext().forEach { (a, b) ->
        expect(b.first >= a.first) { "$what: progress went backwards: $calls" }
    }
    expect(calls.all { it.second == total }) { "$what: progress totals are not $total: $calls" }
    expectEqual(calls.last().first, total, "$what: the last progress call's done")
}

val timings = mutableListOf<String>()
var current = "startup"

suspend fun step(name: String, block: suspend () -> Unit) {
    current = name
    val started = System.nanoTime()
    block()
    val ms = (System.nanoTime() - started) / 1_000_000
    timings.add("$name ${ms}ms")
    println("PASS $name")
}

// ---------------------------------------------------------------------------------------

val scenarioStarted = System.nanoTime()
val silent = SilentTransport()
try {
    runBlocking {
        lateinit var kiosk: KioskDevice
        lateinit var session: VisitorSession
        lateinit var staff: StaffMode
        lateinit var eventId: String
        val receipts = mutableListOf<Receipt>()
        // What the staff tablet should find after pulling, kept as typed (NFC).
        val acceptedNames = mutableListOf<Pair<String, String>>()
        val refusedNames = mutableListOf<String>()

        step("throwing_secret_store_is_a_typed_error") {
            val throwing = ThrowingSecretStore()
            val error = expectThrows<KioskException.SecretStore>("open with a throwing secret store") {
                KioskDevice.open(throwingStorePath, throwing, DeviceRole.KIOSK)
            }
            expect(throwing.calls.get() > 0) { "the throwing secret store was never called" }
            expect(error.messageSv.isNotBlank() && error.messageEn.isNotBlank()) {
                "the SecretStore error has no texts to show"
            }
            val working = InMemorySecretStore()
            val device = KioskDevice.open(throwingStorePath, working, DeviceRole.KIOSK)
            expect(HEX64.matches(device.deviceId())) { "device id is not 64 hex digits" }
            expect(working.secrets.isNotEmpty()) { "the working store got no data key" }
            device.closeStore()
            device.destroy()
        }

        step("device_opens_with_the_shell_secret_store") {
            expect(kioskSecrets.secrets.isEmpty()) { "the shell store is not empty before opening" }
            val first = KioskDevice.open(kioskPath, kioskSecrets, DeviceRole.KIOSK)
            val id = first.deviceId()
            expect(HEX64.matches(id)) { "device id is not 64 hex digits" }
            expect(kioskSecrets.secrets.isNotEmpty()) { "opening stored no data key in the shell store" }
            expect(kioskSecrets.secrets.values.all { it.isNotEmpty() }) { "an empty secret was stored" }
            val keysAfterCreate = kioskSecrets.secrets.keys.toSet()
            expectEqual(first.role(), DeviceRole.KIOSK, "role of the new device")
            first.closeStore()
            first.destroy()
            kiosk = KioskDevice.open(kioskPath, kioskSecrets, DeviceRole.STAFF)
            expectEqual(kiosk.deviceId(), id, "device id after reopening")
            expectEqual(kiosk.role(), DeviceRole.KIOSK, "role after reopening (kept from creation)")
            expectEqual(kioskSecrets.secrets.keys.toSet(), keysAfterCreate, "secret names after reopening")
        }

        step("enrolls_against_the_relay") {
            // As SHELLS.md says: no event installed; the tablet takes the code's from the relay.
            val fresh = kiosk.setupState()
            expectEqual(fresh.enrolled, false, "enrolled before enrollment")
            expectEqual(fresh.eventName, null, "event before enrollment")
            expectEqual(fresh.lastSyncOkAtMs, null, "last sync before any sync")
            expectEqual(fresh.staffPinSet, false, "PIN set before setup")
            val before = transport.requests.get()
            val enrollment = kiosk.enroll(transport, kioskCode, null)
            expect(transport.requests.get() > before) { "enrollment did not go through the Kotlin transport" }
            expectEqual(enrollment.role, DeviceRole.KIOSK, "enrolled role")
            expectEqual(enrollment.eventId, "sthlm-career-fair-2026", "enrolled event")
            expectEqual(enrollment.deviceId, kiosk.deviceId(), "enrolled device id")
            expectEqual(enrollment.recruiter, null, "a kiosk's recruiter")
            expect(enrollment.expiresAtMs > System.currentTimeMillis()) { "the certificate is already expired" }
            eventId = enrollment.eventId
            val noForm = expectThrows<KioskException.NotReady>("a visitor session before the first sync") {
                kiosk.startVisitorSession()
            }
            expectEqual(noForm.code, "no_event", "why a session cannot start yet")
            val enrolled = kiosk.setupState()
            expectEqual(enrolled.enrolled, true, "enrolled after enrollment")
            expectEqual(enrolled.enrollmentExpiresAtMs, enrollment.expiresAtMs, "enrollment expiry")
            expectEqual(enrolled.eventName, null, "event before the first sync")
            // Enrolled over the shell's own transport: the shell tells the core the relay's
            // address, which the visitor's receipt page address (the QR code) is made from.
            val badAddress = expectThrows<KioskException.InvalidInput>("a relay address without a scheme") {
                kiosk.setRelayAddress("relay.example.se/kvitto?x")
            }
            expectEqual(badAddress.field, "relay_address", "the refused field")
            kiosk.setRelayAddress(relayUrl)
            kiosk.sync(transport, RecordingListener(), SyncOptions())
            val synced = kiosk.setupState()
            expect(synced.eventName != null) { "no event after the first sync" }
            expect(synced.lastSyncOkAtMs != null) { "the completed sync's time is not kept" }
            expectEqual(synced.relayRefusal, null, "a refusal after an answered sync")
            // Staff set the tablet's PIN at enrollment; check 9 tries it.
            kiosk.setStaffPin(STAFF_PIN)
        }

        step("enrolls_for_an_hr_event_without_installing_one") {
            val path = java.io.File(workDir, "kotlin-hr-event.sqlite3").path
            val tablet = KioskDevice.open(path, InMemorySecretStore(), DeviceRole.KIOSK)
            try {
                val enrollment = tablet.enroll(transport, eventCode, null)
                expectEqual(enrollment.eventId, HR_EVENT_ID, "enrolled event")
                tablet.sync(transport, RecordingListener(), SyncOptions())
                val hrSession = tablet.startVisitorSession()
                expectEqual(hrSession.form().eventName.en, HR_EVENT_NAME_EN, "the HR event's form")
                val receipt = hrSession.submit(draft("Göran", "Åkesson"))
                expect(RECEIPT_CODE.matches(receipt.receiptCode)) { "no receipt for the HR event" }
                // This shell never told the tablet its relay's address: no page address.
                expectEqual(receipt.receiptPageAddress, null, "a page address without a relay address")
                val sent = tablet.sync(transport, RecordingListener(), SyncOptions())
                expectEqual(sent.received, 1uL, "received for the HR event")
            } finally {
                tablet.closeStore()
                tablet.destroy()
            }
        }

        step("enrollment_mismatches_are_refused_and_pin_nothing") {
            // Set up for the demo event, then given a code for HR's event.
            val demoPath = java.io.File(workDir, "kotlin-mismatch-event.sqlite3").path
            val demoTablet = KioskDevice.open(demoPath, InMemorySecretStore(), DeviceRole.KIOSK)
            try {
                demoTablet.installDemoEvent()
                val wrongEvent = expectThrows<KioskException.Rejected>("a code for another event") {
                    demoTablet.enroll(transport, eventCode, null)
                }
                expectEqual(wrongEvent.code, "enrollment_event", "refusal code")
                expect(wrongEvent.messageSv.isNotBlank() && wrongEvent.messageEn.isNotBlank()) {
                    "the refusal has no texts to show"
                }
                val notEnrolled = expectThrows<KioskException.NotReady>("a session after the refusal") {
                    demoTablet.startVisitorSession()
                }
                expectEqual(notEnrolled.code, "not_enrolled", "nothing was pinned")
            } finally {
                demoTablet.closeStore()
                demoTablet.destroy()
            }
            // The QR code named another relay key.
            val keyPath = java.io.File(workDir, "kotlin-mismatch-key.sqlite3").path
            val keyTablet = KioskDevice.open(keyPath, InMemorySecretStore(), DeviceRole.KIOSK)
            try {
                val wrongKey = expectThrows<KioskException.Rejected>("another relay key") {
                    keyTablet.enroll(transport, kioskCode, "00".repeat(8))
                }
                expectEqual(wrongKey.code, "enrollment_relay_key", "refusal code")
            } finally {
                keyTablet.closeStore()
                keyTablet.destroy()
            }
            // A staff tablet given a kiosk code: the relay refuses it without using it.
            val rolePath = java.io.File(workDir, "kotlin-mismatch-role.sqlite3").path
            val roleTablet = KioskDevice.open(rolePath, InMemorySecretStore(), DeviceRole.STAFF)
            try {
                val wrongRole = expectThrows<KioskException.Rejected>("a kiosk code on a staff tablet") {
                    roleTablet.enroll(transport, kioskCode, null)
                }
                expectEqual(wrongRole.code, "wrong_role", "refusal code")
            } finally {
                roleTablet.closeStore()
                roleTablet.destroy()
            }
        }

        step("reads_the_event_form") {
            session = kiosk.startVisitorSession()
            val form = session.form()
            expectEqual(form.eventName.sv, "Karriärmässa Stockholm 2026", "Swedish event name")
            expectEqual(form.eventName.en, "Stockholm Career Fair 2026", "English event name")
            expect(form.languages.containsAll(listOf(Language.SWEDISH, Language.ENGLISH))) {
                "languages offered: ${form.languages}"
            }
            val interests = form.interestAreas.map { it.code }
            expect(interests.containsAll(listOf("it-development", "databases", "law"))) {
                "interest areas: $interests"
            }
            expect(form.interestAreas.all { it.label.sv.isNotBlank() && it.label.en.isNotBlank() }) {
                "an interest area lacks a label"
            }
            expect(form.locations.any { it.code == "stockholm" }) { "locations lack stockholm" }
            expect(form.educationLevels.any { it.code == "bachelor" }) { "education levels lack bachelor" }
            expect(form.privacyNotice.sv.contains("personuppgifter")) { "the Swedish privacy notice is missing" }
            expect(form.privacyNotice.en.contains("personal data")) { "the English privacy notice is missing" }
            expect(form.talentPoolNotice.sv.isNotBlank() && form.talentPoolNotice.en.isNotBlank()) {
                "the talent-pool notice is missing"
            }
            expect(HEX64.matches(form.formVersion)) { "form version is not 64 hex digits: ${form.formVersion}" }
            expectEqual(form.formVersion, demoFormVersion(), "form version vs demoFormVersion()")
            expectEqual(form.maxInterests.toInt(), 5, "max interests")
            expectEqual(session.idleState(), IdleState.ACTIVE, "idle state of a new session")
        }

        step("valid_registration_gets_a_receipt") {
            val receipt = session.submit(draft("Åsa", "Öberg", phone = "070-123 45 67"))
            expect(RECEIPT_CODE.matches(receipt.receiptCode)) {
                "receipt code not 27 symbols in groups of four (${receipt.receiptCode.length} characters)"
            }
            // The receipt page at the relay, the code only in the fragment.
            expectEqual(
                receipt.receiptPageAddress,
                "${relayUrl.trimEnd('/')}/kvitto#${receipt.receiptCode.replace("-", "")}",
                "the receipt page's address",
            )
            expect(receipt.registrationId.isNotBlank()) { "empty registration id" }
            expect(Math.abs(receipt.capturedAtMs - System.currentTimeMillis()) < 60_000) {
                "capture time is not now"
            }
            receipts.add(receipt)
            acceptedNames.add("Åsa" to "Öberg")
            // Reset for the next visitor: active again, the same form shown.
            expectEqual(session.idleState(), IdleState.ACTIVE, "idle state after submitting")
            expectEqual(session.form().formVersion, demoFormVersion(), "form after submitting")
            // The next visitor's identical answers are a new registration, not the old one.
            // (Not submitted here: the counts below stay simple.)
        }

        step("invalid_registration_names_the_field") {
            val typedEmail = "asa.oberg@@example"
            val bad = draft("Åsa", "Öberg").copy(email = typedEmail)
            val error = expectThrows<KioskException.InvalidRegistration>("submit with an invalid email") {
                session.submit(bad)
            }
            expectEqual(error.fields(), listOf("email"), "refused fields")
            val problem = error.problem("email")
            expectEqual(problem.reason, "invalid_email", "reason")
            expect(problem.messageSv.isNotBlank() && problem.messageEn.isNotBlank()) { "empty messages" }
            for (text in listOf(problem.messageSv, problem.messageEn, error.message ?: "")) {
                expect(!text.contains(typedEmail) && !text.contains("oberg")) {
                    "an error text echoes the typed email"
                }
            }
            // The draft stays for the visitor to correct: the corrected one is accepted
            // in the unicode check below, so nothing is captured here.
        }

        step("oversized_and_unusual_unicode_input_is_refused_or_kept_exactly") {
            staff = kiosk.unlockStaff(STAFF_PIN)
            val before = staff.overview().captured

            val huge = "a".repeat(100_000)
            val tooLong = expectThrows<KioskException.InvalidRegistration>("a 100,000-character name") {
                session.submit(draft(huge, "Lind"))
            }
            expectEqual(tooLong.problem("given_name").reason, "too_long", "reason for the huge name")
            expect(tooLong.errors.all { !it.messageSv.contains(huge.take(50)) && !it.messageEn.contains(huge.take(50)) }) {
                "the error echoes the huge name"
            }

            val rtl = "Ali\u202Eecila"
            val override = expectThrows<KioskException.InvalidRegistration>("a name with U+202E") {
                session.submit(draft(rtl, "Lind"))
            }
            expectEqual(override.problem("given_name").reason, "invalid_characters", "reason for U+202E")

            val nul = "Eva\u0000"
            val control = expectThrows<KioskException.InvalidRegistration>("a name with U+0000") {
                session.submit(draft("Eva", nul))
            }
            expectEqual(control.problem("family_name").reason, "invalid_characters", "reason for U+0000")
            expectEqual(control.fields(), listOf("family_name"), "fields refused for U+0000")
            refusedNames += listOf(rtl, nul)

            val afterRefusals = staff.overview().captured
            expectEqual(afterRefusals, before, "captured count after three refused submissions")

            // Names from many scripts, in NFC as a keyboard gives them: kept exactly.
            val names = listOf(
                "Zoë" to "Ólafsdóttir",
                "Anh" to "Nguyễn Thị",
                "Сергей" to "Иванов",
                "अनुष्का" to "O'Connor-Åström",
            )
            for ((given, family) in names) {
                val receipt = session.submit(draft(given, family))
                expect(receipt.receiptCode.isNotBlank()) { "no receipt for an accepted name" }
                receipts.add(receipt)
                acceptedNames.add(given to family)
            }
            expectEqual(staff.overview().captured, before + names.size.toULong(), "captured count after the accepted names")
            expectEqual(receipts.map { it.registrationId }.toSet().size, receipts.size, "distinct registration ids")
            expectEqual(receipts.map { it.receiptCode }.toSet().size, receipts.size, "distinct receipt codes")
        }

        step("session_resets") {
            session.update(draft("Kerstin", "Halvfärdig"))
            expectEqual(session.idleState(), IdleState.ACTIVE, "idle state while typing")
            session.reset()
            expectEqual(session.idleState(), IdleState.ACTIVE, "idle state after reset")
            // Still usable: the form shows, typing and "still here" work.
            expectEqual(session.form().formVersion, demoFormVersion(), "form after reset")
            session.update(draft("Nästa", "Besökare"))
            session.stillHere()
            expectEqual(session.idleState(), IdleState.ACTIVE, "idle state after more typing")
            session.reset()
            // Nothing was captured by typing.
            expectEqual(staff.overview().captured, receipts.size.toULong(), "captured after typing and resets")
        }

        step("staff_pin_wrong_then_right") {
            // The PIN was set at enrollment: a second first PIN is refused.
            val again = expectThrows<KioskException.Pin>("setting the first PIN twice") {
                kiosk.setStaffPin(STAFF_PIN)
            }
            expectEqual(again.reason, "already_set", "reason for a second first PIN")
            val wrong = expectThrows<KioskException.Pin>("unlock with a wrong PIN") {
                kiosk.unlockStaff("482914")
            }
            expectEqual(wrong.reason, "wrong", "reason for a wrong PIN")
            val left = wrong.attemptsLeft ?: throw CheckFailed("no attemptsLeft for a wrong PIN")
            expect(left in 1u..9u) { "attemptsLeft out of range: $left" }
            expect(wrong.messageSv.isNotBlank() && wrong.messageEn.isNotBlank()) { "empty PIN messages" }
            expect(!wrong.messageSv.contains("482914") && !wrong.messageEn.contains("482914")) {
                "the PIN error echoes the typed PIN"
            }
            val badFormat = expectThrows<KioskException.Pin>("unlock with letters") {
                kiosk.unlockStaff("abc")
            }
            expect(badFormat.reason == "invalid_format" || badFormat.reason == "wrong") {
                "reason for a malformed PIN: ${badFormat.reason}"
            }
            staff.lock()
            expectThrows<KioskException.Closed>("a locked staff mode") { staff.overview() }
            staff = kiosk.unlockStaff(STAFF_PIN)
            val overview = staff.overview()
            expectEqual(overview.captured, receipts.size.toULong(), "captured in the overview")
            expectEqual(overview.received, 0uL, "received before any sync")
            expectEqual(overview.safeToHandBack, false, "safe to hand back with unsent captures")
            expectEqual(overview.handBack, HandBackState.Unsent(receipts.size.toULong()), "why not safe")
            expect(overview.handBackAdvice.sv.contains("INTE klar")) { "advice: ${overview.handBackAdvice}" }
            expect(HEX64.matches(overview.journal.head)) { "journal head is not 64 hex digits" }
            expect(overview.journal.count >= receipts.size.toULong()) { "journal shorter than the captures" }
            expectEqual(staff.verifyJournal(), overview.journal, "verified journal vs overview")
        }

        step("sync_reports_progress_to_the_listener") {
            val listener = RecordingListener()
            val summary = kiosk.sync(transport, listener, SyncOptions(maxDocuments = 2u, requestTimeoutMs = 30_000uL))
            val captured = receipts.size.toULong()
            expectEqual(summary.received + summary.quarantined, captured, "received in the summary")
            expectEqual(summary.received, captured, "received (none quarantined)")
            expect(summary.refused.isEmpty()) { "refused records: ${summary.refused.map { it.code }}" }
            expect(summary.requests >= 3u) { "5 captures in batches of 2 took ${summary.requests} requests" }
            checkProgress(listener, captured, "progress")
            val received = listener.records.filter { it.second == RecordOutcome.Received }.map { it.first }
            expectEqual(received.toSet(), receipts.map { it.registrationId }.toSet(), "ids heard as Received")
            expectEqual(received.size, receipts.size, "Received calls")
            expectEqual(listener.finished.size, 1, "finished calls")
            expectEqual(listener.finished.single(), summary, "the summary finished was given")
            expect(listener.failed.isEmpty()) { "failed was called: ${listener.failed.map { it.kind }}" }
            val overview = staff.overview()
            expectEqual(overview.received, captured, "received in the overview")
            expectEqual(overview.safeToHandBack, true, "safe to hand back after the sync")
            expectEqual(summary.relayJournal, overview.journal, "journal the relay confirmed")
        }

        step("throwing_transport_is_a_typed_error_and_the_next_sync_completes") {
            for ((given, family) in listOf("Lars" to "Ek", "Maja" to "Björk")) {
                receipts.add(session.submit(draft(given, family)))
                acceptedNames.add(given to family)
            }
            val receivedBefore = staff.overview().received
            val throwing = ThrowingTransport()
            val listener = RecordingListener()
            val error = expectThrows<KioskException.Network>("sync over a throwing transport") {
                kiosk.sync(throwing, listener, SyncOptions())
            }
            expect(throwing.calls.get() >= 1) { "the throwing transport was never called" }
            expect(error.messageSv.isNotBlank() && error.messageEn.isNotBlank()) { "empty network messages" }
            expectEqual(listener.failed.map { it.kind }, listOf("network"), "failed kinds heard")
            expect(listener.finished.isEmpty()) { "finished was called for a failed sync" }
            expectEqual(staff.overview().received, receivedBefore, "received after the failed sync")
            val summary = kiosk.sync(transport, RecordingListener(), SyncOptions())
            expectEqual(summary.received, 2uL, "received by the next sync")
            expectEqual(staff.overview().received, receipts.size.toULong(), "received in the overview")
        }

        step("silent_transport_times_out_and_the_next_sync_completes") {
            receipts.add(session.submit(draft("Tove", "Sjöberg")))
            acceptedNames.add("Tove" to "Sjöberg")
            val receivedBefore = staff.overview().received
            val listener = RecordingListener()
            val started = System.nanoTime()
            val error = expectThrows<KioskException.Network>("sync over a silent transport") {
                kiosk.sync(silent, listener, SyncOptions(requestTimeoutMs = 1_000uL))
            }
            val waitedMs = (System.nanoTime() - started) / 1_000_000
            expect(silent.entered.await(0, TimeUnit.SECONDS)) { "the silent transport was never called" }
            expect(waitedMs in 900..20_000) { "the timeout took ${waitedMs} ms" }
            expect(error.detail.isNotBlank()) { "no detail for the timeout" }
            expectEqual(listener.failed.map { it.kind }, listOf("network"), "failed kinds heard")
            expectEqual(staff.overview().received, receivedBefore, "received after the timed-out sync")
            val summary = kiosk.sync(transport, RecordingListener(), SyncOptions())
            expectEqual(summary.received, 1uL, "received by the next sync")
            expectEqual(staff.overview().received, receipts.size.toULong(), "received in the overview")
            silent.release.countDown()
        }

        step("throwing_listener_is_a_typed_error_and_the_next_sync_completes") {
            receipts.add(session.submit(draft("Olle", "Dahl")))
            acceptedNames.add("Olle" to "Dahl")
            val throwing = ThrowingListener()
            val error = expectThrows<KioskException.Callback>("sync with a throwing listener") {
                kiosk.sync(transport, throwing, SyncOptions())
            }
            expect(error.detail.isNotBlank()) { "no detail for the listener failure" }
            expect(throwing.progress.isNotEmpty()) { "the throwing listener was never called" }
            expectEqual(throwing.failed.map { it.kind }, listOf("callback"), "failed kinds heard")
            expect(throwing.finished.isEmpty()) { "finished was called for a failed sync" }
            val listener = RecordingListener()
            val summary = kiosk.sync(transport, listener, SyncOptions())
            expectEqual(listener.finished.size, 1, "finished calls of the next sync")
            val overview = staff.overview()
            expectEqual(overview.received, receipts.size.toULong(), "received after the next sync")
            expectEqual(overview.safeToHandBack, true, "safe to hand back after the next sync")
            expect(summary.refused.isEmpty()) { "refused records in the next sync" }
        }

        step("cancelled_sync_stops_between_requests_and_the_next_sync_completes") {
            repeat(5) { i ->
                val (given, family) = listOf(
                    "Ingrid" to "Ström", "Ebba" to "Nyström", "Axel" to "Lundqvist",
                    "Linnéa" to "Håkansson", "Måns" to "Wikström",
                )[i]
                receipts.add(session.submit(draft(given, family)))
                acceptedNames.add(given to family)
            }
            val receivedBefore = staff.overview().received
            val jobRef = AtomicReference<Job>()
            val jobStarted = CountDownLatch(1)
            val jobDone = CountDownLatch(1)
            val completionCause = AtomicReference<Throwable?>()
            val caught = AtomicReference<Throwable?>()
            val waitedForCancel = AtomicReference<Boolean?>()
            // The listener's own thread sets `waitedForCancel` after the job ended: wait for
            // that too, or the check below races the listener.
            val listenerReturned = CountDownLatch(1)
            val listener = object : RecordingListener() {
                override fun progress(done: ULong, total: ULong) {
                    super.progress(done, total)
                    if (progress.size == 1) {
                        jobStarted.await(10, TimeUnit.SECONDS)
                        jobRef.get().cancel()
                        // Return only once the cancellation has reached Rust (the job ended,
                        // so the future was dropped): the sync stops before its next request.
                        waitedForCancel.set(jobDone.await(10, TimeUnit.SECONDS))
                        listenerReturned.countDown()
                    }
                }
            }
            val job = launch(Dispatchers.IO) {
                try {
                    kiosk.sync(transport, listener, SyncOptions(maxDocuments = 1u, requestTimeoutMs = 30_000uL))
                } catch (e: Throwable) {
                    caught.set(e)
                    throw e
                }
            }
            job.invokeOnCompletion { cause ->
                completionCause.set(cause)
                jobDone.countDown()
            }
            jobRef.set(job)
            jobStarted.countDown()
            job.join()
            expect(job.isCancelled) { "the job was not cancelled (caught ${caught.get()?.let { it::class.simpleName }})" }
            expect(completionCause.get() is CancellationException) {
                "the job ended with ${completionCause.get()?.let { it::class.qualifiedName }}"
            }
            expect(caught.get() is CancellationException) {
                "the sync call ended with ${caught.get()?.let { it::class.qualifiedName }}: ${caught.get()?.message}"
            }
            expect(listenerReturned.await(10, TimeUnit.SECONDS)) { "the listener never returned from its wait" }
            expectEqual(waitedForCancel.get(), true, "the job ended while the listener waited")
            // The sync's own thread stopped at its next check, before another request, and
            // told the listener it was cancelled.
            expect(listener.failedHeard.await(10, TimeUnit.SECONDS)) { "the cancelled sync never called failed" }
            expectEqual(listener.failed.map { it.kind }, listOf("cancelled"), "failed kinds heard")
            expect(listener.finished.isEmpty()) { "finished was called for a cancelled sync" }
            expectEqual(listener.progress.size, 1, "progress calls after the cancel")
            val partial = staff.overview().received
            expect(partial >= receivedBefore + 1uL && partial < receivedBefore + 5uL) {
                "received grew by ${partial - receivedBefore} of 5 after the cancel"
            }
            val rest = RecordingListener()
            val summary = kiosk.sync(transport, rest, SyncOptions(maxDocuments = 1u))
            val overview = staff.overview()
            expectEqual(overview.received, receipts.size.toULong(), "received after the next sync")
            expectEqual(summary.received, receivedBefore + 5uL - partial, "received by the next sync")
            expectEqual(rest.finished.size, 1, "finished calls of the next sync")
            expectEqual(overview.safeToHandBack, true, "safe to hand back at the end")
        }

        step("staff_tablet_pulls_and_annotates") {
            val staffSecrets = InMemorySecretStore()
            val tablet = KioskDevice.open(staffPath, staffSecrets, DeviceRole.STAFF)
            try {
                expectEqual(tablet.role(), DeviceRole.STAFF, "staff tablet role")
                expect(tablet.deviceId() != kiosk.deviceId()) { "two tablets share a device id" }
                tablet.setStaffPin("719304")
                val enrollment = tablet.enroll(transport, staffCode, null)
                expectEqual(enrollment.role, DeviceRole.STAFF, "enrolled role")
                expectEqual(enrollment.eventId, eventId, "enrolled event")
                expectEqual(enrollment.recruiter, RECRUITER, "bound recruiter")
                val pullListener = RecordingListener()
                val summary = tablet.sync(transport, pullListener, SyncOptions())
                // Every capture here is non-restricted, so the relay gives them all to staff.
                val sent = receipts.size.toULong()
                expect(summary.pulled >= sent) { "pulled ${summary.pulled} of the $sent registrations sent" }
                expectEqual(pullListener.finished.size, 1, "finished calls of the pull")

                val recruiter = tablet.unlockStaff("719304")
                val records = recruiter.registrations()
                expectEqual(records.size, receipts.size, "registrations on the staff tablet")
                expectEqual(
                    records.map { it.registrationId }.toSet(),
                    receipts.map { it.registrationId }.toSet(),
                    "registration ids on the staff tablet",
                )
                val byName = records.map { it.givenName to it.familyName }.toSet()
                for (name in acceptedNames) {
                    // Exactly as typed: no mangling, no normalisation of NFC input.
                    expect(name in byName) { "an accepted name was not kept exactly (of ${acceptedNames.size})" }
                }
                for (refused in refusedNames) {
                    expect(records.none { it.givenName == refused || it.familyName == refused }) {
                        "a refused name reached the staff tablet"
                    }
                }
                val captured = records.map { it.capturedAtMs }
                expect(captured.zipWithNext().all { (a, b) -> a >= b }) { "registrations are not newest first" }
                val asa = records.single { it.givenName == "Åsa" && it.familyName == "Öberg" }
                expectEqual(asa.phone, "+46701234567", "normalised phone")
                expectEqual(asa.interests, listOf("it-development", "databases"), "interests")
                expectEqual(asa.locations, listOf("stockholm", "norrkoping"), "locations")
                expectEqual(asa.educationLevel, "bachelor", "education level")
                expectEqual(asa.language, Language.SWEDISH, "language")
                expectEqual(asa.status, RecordStatus.NEW, "status before annotating")

                recruiter.addNote(asa.registrationId, "Stark profil för databasteamet; ring efter mässan.")
                recruiter.rate(asa.registrationId, 4L)
                recruiter.setStatus(asa.registrationId, RecordStatus.SHORTLISTED)
                val annotated = recruiter.registration(asa.registrationId)
                expectEqual(annotated.notes.map { it.text }, listOf("Stark profil för databasteamet; ring efter mässan."), "notes")
                expectEqual(annotated.notes.single().author, RECRUITER, "note author")
                expectEqual(annotated.ratings[RECRUITER], 4L, "rating")
                expectEqual(annotated.status, RecordStatus.SHORTLISTED, "status")
                expect(annotated.unsentChanges > 0uL) { "annotations are not pending" }
                val badRating = expectThrows<KioskException>("a rating of 9") { recruiter.rate(asa.registrationId, 9L) }
                expect(badRating is KioskException.NotReady || badRating is KioskException.InvalidInput) {
                    "a rating of 9 gave ${badRating::class.simpleName}"
                }
                expectThrows<KioskException.NotReady>("an unknown registration") {
                    recruiter.addNote("00".repeat(16), "x")
                }

                val editListener = RecordingListener()
                val edits = tablet.sync(transport, editListener, SyncOptions())
                expect(edits.editsStored >= 1uL) { "editsStored ${edits.editsStored} after annotating" }
                expect(editListener.records.any { it.first == asa.registrationId && it.second == RecordOutcome.EditsStored }) {
                    "the listener did not hear EditsStored for the annotated registration"
                }
                expectEqual(recruiter.registration(asa.registrationId).unsentChanges, 0uL, "unsent changes after the sync")
                // A kiosk never shows a visitor's data, even in staff mode: it pulls nothing,
                // and its own captures are not listed.
                expectEqual(staff.registrations().size, 0, "registrations listed on the kiosk")
                recruiter.lock()
            } finally {
                tablet.closeStore()
                tablet.destroy()
            }
        }

        step("closed_device_refuses_calls") {
            kiosk.closeStore()
            expectThrows<KioskException.Closed>("deviceId on a closed device") { kiosk.deviceId() }
            expectThrows<KioskException.Closed>("submit on a closed device's session") {
                session.submit(draft("Efter", "Stängning"))
            }
            expectThrows<KioskException.Closed>("overview on a closed device's staff mode") { staff.overview() }
            expectThrows<KioskException.Closed>("startVisitorSession on a closed device") { kiosk.startVisitorSession() }
            expectThrows<KioskException.Closed>("sync on a closed device") {
                kiosk.sync(transport, RecordingListener(), SyncOptions())
            }
            expectThrows<KioskException.Closed>("unlockStaff on a closed device") { kiosk.unlockStaff(STAFF_PIN) }
            // Opening it again is how a shell recovers: everything is still there.
            val reopened = KioskDevice.open(kioskPath, kioskSecrets, DeviceRole.KIOSK)
            val again = reopened.unlockStaff(STAFF_PIN)
            expectEqual(again.overview().received, receipts.size.toULong(), "received after reopening")
            again.lock()
            reopened.closeStore()
            reopened.destroy()
        }
    }
} catch (e: Throwable) {
    silent.release.countDown()
    System.err.println("FAIL $current: ${e::class.qualifiedName}: ${e.message}")
    System.err.println("timings: ${timings.joinToString(", ")}")
    e.printStackTrace()
    System.out.flush()
    exitProcess(1)
}
silent.release.countDown()
val totalMs = (System.nanoTime() - scenarioStarted) / 1_000_000
System.err.println("kotlin scenario: ${totalMs} ms (${timings.joinToString(", ")})")
System.out.flush()
exitProcess(0)
