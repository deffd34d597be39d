// The Swift twin of mobile-bindings/kotlin/KioskShellTest.kts and
// mobile-bindings/python/test_kiosk_shell.py: an iOS kiosk shell driving the generated
// bindings (module KioskCore) against a real relay, through the checks, in the same order,
// that tests/tests/foreign_bindings.rs requires of the Kotlin and Python scenarios, except
// the two that need a code for an event HR made (KIOSK_EVENT_CODE), which `demo` does not
// print.
//
// Not compiled or run on the development machine (no Swift toolchain there). On a Mac:
//   mobile-bindings/apple/build-xcframework.sh
//   cargo run --release -p kiosk-sync-server -- demo          # prints the two codes
//   KIOSK_RELAY_URL=http://127.0.0.1:8700 KIOSK_CODE=… KIOSK_STAFF_CODE=… \
//     swift test --package-path mobile-bindings/apple
// Without KIOSK_RELAY_URL, KIOSK_CODE and KIOSK_STAFF_CODE the test is skipped.
// KIOSK_WORK_DIR (optional) holds the device stores; a fresh temporary folder otherwise.
//
// Each check prints `PASS <name>`; a failure prints `FAIL <name>: …` and ends the scenario,
// since every check builds on the ones before it. The only personal data here are the
// test's own fake visitors, and none is printed.

import Foundation
import KioskCore
import XCTest

// MARK: - Checks and their failures

/// Every check, in the order the Kotlin and Python scenarios run them.
let scenarioChecks = [
    "throwing_secret_store_is_a_typed_error",
    "device_opens_with_the_shell_secret_store",
    "enrolls_against_the_relay",
    "reads_the_event_form",
    "valid_registration_gets_a_receipt",
    "invalid_registration_names_the_field",
    "oversized_and_unusual_unicode_input_is_refused_or_kept_exactly",
    "session_resets",
    "staff_pin_wrong_then_right",
    "sync_reports_progress_to_the_listener",
    "throwing_transport_is_a_typed_error_and_the_next_sync_completes",
    "silent_transport_times_out_and_the_next_sync_completes",
    "throwing_listener_is_a_typed_error_and_the_next_sync_completes",
    "cancelled_sync_stops_between_requests_and_the_next_sync_completes",
    "staff_tablet_pulls_and_annotates",
    "closed_device_refuses_calls",
]

struct CheckFailed: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CheckFailed(message()) }
}

func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
    if actual != expected { throw CheckFailed("\(what): expected \(expected), got \(actual)") }
}

/// Runs `body`, which must throw a `KioskError`; returns it. Anything else fails the check.
func expectKioskError<T>(_ what: String, _ body: () async throws -> T) async throws -> KioskError {
    do {
        _ = try await body()
    } catch let error as KioskError {
        return error
    } catch {
        throw CheckFailed("\(what): expected a KioskError, got \(type(of: error)): \(error)")
    }
    throw CheckFailed("\(what): expected a KioskError, but the call succeeded")
}

/// Swift's `==` on strings compares canonical equivalence ("Zoe\u{308}" == "Zoë"): "kept
/// exactly" compares the scalars.
func sameScalars(_ a: String, _ b: String) -> Bool {
    Array(a.unicodeScalars) == Array(b.unicodeScalars)
}

func isHex64(_ text: String) -> Bool {
    text.count == 64 && text.unicodeScalars.allSatisfy { "0123456789abcdef".unicodeScalars.contains($0) }
}

/// A visitor's receipt code as shown: 26 Crockford base32 symbols and a check symbol, in
/// groups of four (`7ZQK-M4XR-TB9D-1H6C-ANPE-W3VS-G2F*`).
func isReceiptCode(_ code: String) -> Bool {
    let parts = code.split(separator: "-", omittingEmptySubsequences: false)
    let symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".unicodeScalars
    let checks = "*~$=U".unicodeScalars
    guard parts.count == 7, parts.dropLast().allSatisfy({ $0.count == 4 }), parts[6].count == 3 else {
        return false
    }
    let all = Array(parts.joined().unicodeScalars)
    return all.dropLast().allSatisfy { symbols.contains($0) }
        && (symbols.contains(all[all.count - 1]) || checks.contains(all[all.count - 1]))
}

/// A value shared with callbacks on the core's threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    func set(_ value: Value) {
        lock.lock()
        stored = value
        lock.unlock()
    }
    func update<R>(_ change: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return change(&stored)
    }
}

// MARK: - What an iOS shell implements: the secret store, the networking, a sync listener

/// The shell's secret store (the Keychain in the app, see SHELLS.md; a test bundle run by
/// `swift test` has no keychain entitlement, so a map here).
final class InMemorySecretStore: PlatformSecretStore, @unchecked Sendable {
    let secrets = Locked<[String: Data]>([:])
    func load(name: String) throws -> Data? { secrets.value[name] }
    func store(name: String, secret: Data) throws { secrets.update { $0[name] = secret } }
    func delete(name: String) throws { secrets.update { $0[name] = nil } }
}

/// A secret store whose every call throws a plain Swift error, like a locked Keychain.
final class ThrowingSecretStore: PlatformSecretStore, @unchecked Sendable {
    struct KeychainLocked: Error {}
    let calls = Locked(0)
    func load(name: String) throws -> Data? {
        calls.update { $0 += 1 }
        throw KeychainLocked()
    }
    func store(name: String, secret: Data) throws {
        calls.update { $0 += 1 }
        throw KeychainLocked()
    }
    func delete(name: String) throws {
        calls.update { $0 += 1 }
        throw KeychainLocked()
    }
}

func networkError(_ detail: String) -> KioskError {
    .Network(detail: detail, messageSv: "Ingen kontakt med servern.", messageEn: "No connection to the server.")
}

/// The shell's own networking over URLSession. The core calls `post` on a thread of its own,
/// never the main thread, so waiting for the answer here blocks nothing a user sees.
final class URLSessionRelayTransport: RelayTransport, @unchecked Sendable {
    private let base: String
    private let session: URLSession
    let requests = Locked(0)

    init(relayURL: String) {
        base = relayURL.hasSuffix("/") ? String(relayURL.dropLast()) : relayURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    func post(path: String, body: Data) throws -> RelayAnswer {
        requests.update { $0 += 1 }
        guard let url = URL(string: base + path) else { throw networkError("bad relay URL") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/cbor", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let answered = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<RelayAnswer, Error>?>(nil)
        let task = session.dataTask(with: request) { data, response, error in
            if error == nil, let http = response as? HTTPURLResponse {
                let answer = RelayAnswer(status: UInt16(clamping: http.statusCode), body: data ?? Data())
                outcome.set(.success(answer))
            } else {
                outcome.set(.failure(error ?? URLError(.badServerResponse)))
            }
            answered.signal()
        }
        task.resume()
        answered.wait()
        switch outcome.value {
        case .success(let answer)?:
            // Any HTTP status goes back as it is: the core reads the relay's refusals.
            return answer
        case .failure(let error)?:
            // What a shell does with no answer: the typed error the core expects.
            let code = (error as? URLError)?.code.rawValue ?? 0
            throw networkError("shell transport: URLError \(code)")
        case nil:
            throw networkError("shell transport: no answer")
        }
    }
}

/// A transport whose network is down.
final class ThrowingTransport: RelayTransport, @unchecked Sendable {
    let error: Error
    let calls = Locked(0)
    init(throwing error: Error) { self.error = error }
    func post(path: String, body: Data) throws -> RelayAnswer {
        calls.update { $0 += 1 }
        throw error
    }
}

/// A transport that never answers until `release()`.
final class SilentTransport: RelayTransport, @unchecked Sendable {
    private let released = DispatchSemaphore(value: 0)
    let entered = Locked(false)
    func post(path: String, body: Data) throws -> RelayAnswer {
        entered.set(true)
        released.wait()
        throw networkError("released after the test (simulated)")
    }
    func release() { released.signal() }
}

/// Records everything a sync tells the shell, and on which thread.
class RecordingListener: SyncListener, @unchecked Sendable {
    let progressCalls = Locked<[(done: UInt64, total: UInt64)]>([])
    let records = Locked<[(id: String, outcome: RecordOutcome)]>([])
    let finishedSummaries = Locked<[SyncSummary]>([])
    let failures = Locked<[SyncFailure]>([])
    let heardOnMainThread = Locked(false)

    private func heard() {
        if Thread.isMainThread { heardOnMainThread.set(true) }
    }

    func progress(done: UInt64, total: UInt64) throws {
        heard()
        progressCalls.update { $0.append((done, total)) }
    }

    func recordState(registrationId: String, outcome: RecordOutcome) throws {
        heard()
        records.update { $0.append((registrationId, outcome)) }
    }

    func finished(summary: SyncSummary) throws {
        heard()
        finishedSummaries.update { $0.append(summary) }
    }

    func failed(failure: SyncFailure) throws {
        heard()
        failures.update { $0.append(failure) }
    }
}

/// A listener whose `progress` throws a plain Swift error, as a buggy UI callback might.
final class ThrowingListener: RecordingListener {
    struct ProgressBarGone: Error {}
    override func progress(done: UInt64, total: UInt64) throws {
        try super.progress(done: done, total: total)
        throw ProgressBarGone()
    }
}

// MARK: - Stopping a sync from Swift (see SHELLS.md, "Cancelling a sync from Swift")

/// The generated Swift `async` calls do not watch their `Task` (uniffi 0.32 gives Swift no
/// cancellation), so cancelling the task alone does not reach the core. A shell bridges it:
/// the task's cancellation handler stops this, and the listener below then throws at its next
/// callback, which the core takes as "stop before the next request".
final class SyncStopper: @unchecked Sendable {
    private let stopped = Locked(false)
    var isStopped: Bool { stopped.value }
    func stop() { stopped.set(true) }
    func throwIfStopped() throws {
        if isStopped {
            throw KioskError.Cancelled(messageSv: "Synkningen avbröts.", messageEn: "The sync was cancelled.")
        }
    }
}

/// Passes every call on to `inner`, then throws once the stopper is stopped.
final class StoppableListener: SyncListener, @unchecked Sendable {
    let inner: SyncListener
    let stopper: SyncStopper
    init(_ inner: SyncListener, stopper: SyncStopper) {
        self.inner = inner
        self.stopper = stopper
    }

    func progress(done: UInt64, total: UInt64) throws {
        try inner.progress(done: done, total: total)
        try stopper.throwIfStopped()
    }

    func recordState(registrationId: String, outcome: RecordOutcome) throws {
        try inner.recordState(registrationId: registrationId, outcome: outcome)
        try stopper.throwIfStopped()
    }

    func finished(summary: SyncSummary) throws { try inner.finished(summary: summary) }
    func failed(failure: SyncFailure) throws { try inner.failed(failure: failure) }
}

/// `device.sync`, stopped between requests when the calling task is cancelled: the listener
/// throws `KioskError.Cancelled`, which the core takes as a cancellation, and the sync then
/// throws `KioskError.Cancelled`.
func syncStoppable(
    _ device: KioskDevice,
    transport: RelayTransport,
    listener: SyncListener,
    options: SyncOptions
) async throws -> SyncSummary {
    let stopper = SyncStopper()
    return try await withTaskCancellationHandler {
        try await device.sync(
            transport: transport,
            listener: StoppableListener(listener, stopper: stopper),
            options: options
        )
    } onCancel: {
        stopper.stop()
    }
}

/// True for the error a stopped sync ends with (see `syncStoppable`).
func isStoppedSync(_ error: KioskError) -> Bool {
    if case .Cancelled = error {
        return true
    }
    return false
}

// MARK: - The scenario

struct Scenario {
    let relayURL: String
    let kioskCode: String
    let staffCode: String
    let workDir: URL

    static func fromEnvironment() throws -> Scenario {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        guard let relay = value("KIOSK_RELAY_URL"), let kiosk = value("KIOSK_CODE"),
              let staff = value("KIOSK_STAFF_CODE")
        else {
            throw XCTSkip(
                "set KIOSK_RELAY_URL, KIOSK_CODE and KIOSK_STAFF_CODE to run the scenario against a relay"
            )
        }
        let work = value("KIOSK_WORK_DIR").map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("kiosk-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        return Scenario(relayURL: relay, kioskCode: kiosk, staffCode: staff, workDir: work)
    }

    func path(_ name: String) -> String { workDir.appendingPathComponent(name).path }
}

let staffPin = "482913"
let demoEventId = "sthlm-career-fair-2026"

final class KioskShellTests: XCTestCase {
    private var visitors = 0

    /// A valid draft for the demo form; the email is made unique per visitor.
    private func draft(_ given: String, _ family: String, phone: String = "") -> RegistrationDraft {
        visitors += 1
        return RegistrationDraft(
            language: .swedish,
            givenName: given,
            familyName: family,
            email: "besokare.\(visitors)@example.se",
            phone: phone,
            interests: ["it-development", "databases"],
            locations: ["stockholm", "norrkoping"],
            educationLevel: "bachelor",
            privacyNoticeAcknowledged: true,
            talentPoolOptIn: visitors % 2 == 0
        )
    }

    private func problem(_ errors: [FieldProblem], _ field: String) throws -> FieldProblem {
        guard let found = errors.first(where: { $0.field == field }) else {
            throw CheckFailed("expected a refusal naming `\(field)`, got fields \(errors.map(\.field))")
        }
        return found
    }

    private func invalidRegistration(_ error: KioskError, _ what: String) throws -> [FieldProblem] {
        guard case let .InvalidRegistration(errors) = error else {
            throw CheckFailed("\(what): expected InvalidRegistration, got \(error)")
        }
        return errors
    }

    private func expectClosed(_ what: String, _ body: () async throws -> Void) async throws {
        let error = try await expectKioskError(what, body)
        guard case .Closed = error else { throw CheckFailed("\(what): expected Closed, got \(error)") }
    }

    private func checkProgress(_ listener: RecordingListener, total: UInt64, _ what: String) throws {
        let calls = listener.progressCalls.value
        try expect(!calls.isEmpty, "\(what): the listener heard no progress")
        for (a, b) in zip(calls, calls.dropFirst()) {
            try expect(b.done >= a.done, "\(what): progress went backwards: \(calls)")
        }
        try expect(calls.allSatisfy { $0.total == total }, "\(what): progress totals are not \(total): \(calls)")
        try expectEqual(calls.last?.done, total, "\(what): the last progress call's done")
        try expect(!listener.heardOnMainThread.value, "\(what): a listener call came on the main thread")
    }

    private var passed: [String] = []

    private func step(_ name: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            print("FAIL \(name): \(error)")
            throw CheckFailed("\(name): \(error)")
        }
        passed.append(name)
        print("PASS \(name)")
    }

    // One ordered scenario: each check builds on the state the ones before it left.
    func testKioskShellScenarioAgainstARealRelay() async throws {
        let scenario = try Scenario.fromEnvironment()
        let relay = scenario.relayURL
        let transport = URLSessionRelayTransport(relayURL: relay)
        let kioskSecrets = InMemorySecretStore()
        let kioskPath = scenario.path("swift-kiosk.sqlite3")
        let silent = SilentTransport()
        defer { silent.release() }

        var kiosk: KioskDevice!
        var session: VisitorSession!
        var staff: StaffMode!
        var eventId = ""
        var receipts: [Receipt] = []
        // What the staff tablet should find after pulling, kept as typed (NFC).
        var acceptedNames: [(given: String, family: String)] = []
        var refusedNames: [String] = []

        try await step("throwing_secret_store_is_a_typed_error") {
            let throwing = ThrowingSecretStore()
            let path = scenario.path("swift-throwing-store.sqlite3")
            let error = try await expectKioskError("open with a throwing secret store") {
                try KioskDevice.open(path: path, secretStore: throwing, roleIfNew: .kiosk)
            }
            guard case let .SecretStore(detail, messageSv, messageEn) = error else {
                throw CheckFailed("expected SecretStore, got \(error)")
            }
            try expect(throwing.calls.value > 0, "the throwing secret store was never called")
            try expect(!detail.isEmpty && !messageSv.isEmpty && !messageEn.isEmpty,
                       "the SecretStore error has no texts to show")
            let working = InMemorySecretStore()
            let device = try KioskDevice.open(path: path, secretStore: working, roleIfNew: .kiosk)
            try expect(isHex64(try device.deviceId()), "device id is not 64 hex digits")
            try expect(!working.secrets.value.isEmpty, "the working store got no data key")
            device.closeStore()
        }

        try await step("device_opens_with_the_shell_secret_store") {
            try expect(kioskSecrets.secrets.value.isEmpty, "the shell store is not empty before opening")
            let first = try KioskDevice.open(path: kioskPath, secretStore: kioskSecrets, roleIfNew: .kiosk)
            let id = try first.deviceId()
            try expect(isHex64(id), "device id is not 64 hex digits")
            let secrets = kioskSecrets.secrets.value
            try expect(!secrets.isEmpty, "opening stored no data key in the shell store")
            try expect(secrets.values.allSatisfy { !$0.isEmpty }, "an empty secret was stored")
            try expectEqual(try first.role(), .kiosk, "role of the new device")
            first.closeStore()
            // An existing store keeps the role it was created with.
            kiosk = try KioskDevice.open(path: kioskPath, secretStore: kioskSecrets, roleIfNew: .staff)
            try expectEqual(try kiosk.deviceId(), id, "device id after reopening")
            try expectEqual(try kiosk.role(), .kiosk, "role after reopening (kept from creation)")
            try expectEqual(Set(kioskSecrets.secrets.value.keys), Set(secrets.keys), "secret names after reopening")
        }

        try await step("enrolls_against_the_relay") {
            // As SHELLS.md says: no event installed; the tablet takes the code's from the relay.
            let fresh = try kiosk.setupState()
            try expectEqual(fresh.enrolled, false, "enrolled before enrollment")
            try expectEqual(fresh.eventName, nil, "event before enrollment")
            try expectEqual(fresh.lastSyncOkAtMs, nil, "last sync before any sync")
            try expectEqual(fresh.staffPinSet, false, "PIN set before setup")
            let before = transport.requests.value
            let enrollment = try await kiosk.enroll(
                transport: transport, code: scenario.kioskCode, expectedRelayKeyId: nil
            )
            try expect(transport.requests.value > before, "enrollment did not go through the Swift transport")
            try expectEqual(enrollment.role, .kiosk, "enrolled role")
            try expectEqual(enrollment.eventId, demoEventId, "enrolled event")
            try expectEqual(enrollment.deviceId, try kiosk.deviceId(), "enrolled device id")
            try expectEqual(enrollment.recruiter, nil, "a kiosk's recruiter")
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            try expect(enrollment.expiresAtMs > nowMs, "the certificate is already expired")
            eventId = enrollment.eventId
            let enrolled = try kiosk.setupState()
            try expectEqual(enrolled.enrolled, true, "enrolled after enrollment")
            try expectEqual(enrolled.enrollmentExpiresAtMs, enrollment.expiresAtMs, "enrollment expiry")
            try expectEqual(enrolled.eventName, nil, "event before the first sync")
            // Enrolled over the shell's own transport: the shell tells the core the relay's
            // address, which the visitor's receipt page address (the QR code) is made from.
            try kiosk.setRelayAddress(relayUrl: relay)
            // The first sync brings the event's form.
            _ = try await kiosk.sync(transport: transport, listener: RecordingListener(), options: SyncOptions())
            let synced = try kiosk.setupState()
            try expect(synced.eventName != nil, "no event after the first sync")
            try expect(synced.lastSyncOkAtMs != nil, "the completed sync's time is not kept")
            try expectEqual(synced.relayRefusal, nil, "a refusal after an answered sync")
            // Staff set the tablet's PIN at enrollment; check 9 tries it.
            try kiosk.setStaffPin(pin: staffPin)
        }

        try await step("reads_the_event_form") {
            session = try kiosk.startVisitorSession()
            let form = try session.form()
            try expectEqual(form.eventName.sv, "Karriärmässa Stockholm 2026", "Swedish event name")
            try expectEqual(form.eventName.en, "Stockholm Career Fair 2026", "English event name")
            try expect(form.languages.contains(.swedish) && form.languages.contains(.english),
                       "languages offered: \(form.languages)")
            let interests = Set(form.interestAreas.map(\.code))
            try expect(interests.isSuperset(of: ["it-development", "databases", "law"]),
                       "interest areas: \(interests.sorted())")
            try expect(form.interestAreas.allSatisfy { !$0.label.sv.isEmpty && !$0.label.en.isEmpty },
                       "an interest area lacks a label")
            try expect(form.locations.contains { $0.code == "stockholm" }, "locations lack stockholm")
            try expect(form.educationLevels.contains { $0.code == "bachelor" }, "education levels lack bachelor")
            try expect(form.privacyNotice.sv.contains("personuppgifter"), "the Swedish privacy notice is missing")
            try expect(form.privacyNotice.en.contains("personal data"), "the English privacy notice is missing")
            try expect(!form.talentPoolNotice.sv.isEmpty && !form.talentPoolNotice.en.isEmpty,
                       "the talent-pool notice is missing")
            try expect(isHex64(form.formVersion), "form version is not 64 hex digits: \(form.formVersion)")
            try expectEqual(form.formVersion, demoFormVersion(), "form version vs demoFormVersion()")
            try expectEqual(form.maxInterests, 5, "max interests")
            try expectEqual(try session.idleState(), .active, "idle state of a new session")
            let limits = idleLimits()
            try expect(limits.askStillThereAfterMs > 0 && limits.resetAfterMs > limits.askStillThereAfterMs,
                       "idle limits out of order: \(limits)")
            // WCAG 2.2.1: at least 20 s between "still there?" and the reset.
            try expect(limits.resetAfterMs - limits.askStillThereAfterMs >= 20_000,
                       "less than 20 s to answer \"still there?\": \(limits)")
        }

        try await step("valid_registration_gets_a_receipt") {
            try expectEqual(try normalizePhoneNumber(raw: "070-123 45 67"), "+46701234567", "normalised phone")
            let receipt = try session.submit(draft: draft("Åsa", "Öberg", phone: "070-123 45 67"))
            try expect(isReceiptCode(receipt.receiptCode),
                       "receipt code not 27 symbols in groups of four (\(receipt.receiptCode.count) characters)")
            let base = relay.hasSuffix("/") ? String(relay.dropLast()) : relay
            let compact = receipt.receiptCode.replacingOccurrences(of: "-", with: "")
            try expectEqual(receipt.receiptPageAddress, "\(base)/kvitto#\(compact)", "the receipt page's address")
            try expect(!receipt.registrationId.isEmpty, "empty registration id")
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            try expect(abs(receipt.capturedAtMs - nowMs) < 60_000, "capture time is not now")
            receipts.append(receipt)
            acceptedNames.append(("Åsa", "Öberg"))
            // Reset for the next visitor: active again, the same form shown.
            try expectEqual(try session.idleState(), .active, "idle state after submitting")
            try expectEqual(try session.form().formVersion, demoFormVersion(), "form after submitting")
        }

        try await step("invalid_registration_names_the_field") {
            let typedEmail = "asa.oberg@@example"
            var bad = draft("Åsa", "Öberg")
            bad.email = typedEmail
            let error = try await expectKioskError("submit with an invalid email") {
                try session.submit(draft: bad)
            }
            let errors = try invalidRegistration(error, "submit with an invalid email")
            try expectEqual(errors.map(\.field), ["email"], "refused fields")
            let email = try problem(errors, "email")
            try expectEqual(email.reason, "invalid_email", "reason")
            try expect(email.messageSv.hasPrefix("E-post: ") && email.messageEn.hasPrefix("Email: "),
                       "messages do not start with the field's label")
            for text in [email.messageSv, email.messageEn, error.localizedDescription] {
                try expect(!text.contains(typedEmail) && !text.contains("oberg"), "an error text echoes the typed email")
            }
            let single = try await expectKioskError("normalizeEmailAddress of a bad address") {
                try normalizeEmailAddress(raw: "asa@")
            }
            guard case let .InvalidInput(field, reason, _, _) = single else {
                throw CheckFailed("expected InvalidInput, got \(single)")
            }
            try expectEqual(field, "email", "field of the single-field check")
            try expectEqual(reason, "invalid_email", "reason of the single-field check")
            // The draft stays for the visitor to correct: nothing is captured here.
        }

        try await step("oversized_and_unusual_unicode_input_is_refused_or_kept_exactly") {
            staff = try await kiosk.unlockStaff(pin: staffPin)
            let before = try staff.overview().captured

            let huge = String(repeating: "a", count: 100_000)
            let tooLong = try invalidRegistration(
                try await expectKioskError("a 100,000-character name") { try session.submit(draft: draft(huge, "Lind")) },
                "a 100,000-character name"
            )
            try expectEqual(try problem(tooLong, "given_name").reason, "too_long", "reason for the huge name")
            let hugePrefix = String(huge.prefix(50))
            try expect(tooLong.allSatisfy { !$0.messageSv.contains(hugePrefix) && !$0.messageEn.contains(hugePrefix) },
                       "the error echoes the huge name")

            let rtl = "Ali\u{202E}ecila"
            let override = try invalidRegistration(
                try await expectKioskError("a name with U+202E") { try session.submit(draft: draft(rtl, "Lind")) },
                "a name with U+202E"
            )
            try expectEqual(try problem(override, "given_name").reason, "invalid_characters", "reason for U+202E")

            let nul = "Eva\u{0000}"
            let control = try invalidRegistration(
                try await expectKioskError("a name with U+0000") { try session.submit(draft: draft("Eva", nul)) },
                "a name with U+0000"
            )
            try expectEqual(try problem(control, "family_name").reason, "invalid_characters", "reason for U+0000")
            try expectEqual(control.map(\.field), ["family_name"], "fields refused for U+0000")
            refusedNames += [rtl, nul]

            try expectEqual(try staff.overview().captured, before, "captured count after three refused submissions")

            // Names from many scripts, in NFC as a keyboard gives them: kept exactly.
            let names: [(String, String)] = [
                ("Zoë", "Ólafsdóttir"),
                ("Anh", "Nguyễn Thị"),
                ("Сергей", "Иванов"),
                ("अनुष्का", "O'Connor-Åström"),
            ]
            for (given, family) in names {
                let receipt = try session.submit(draft: draft(given, family))
                try expect(!receipt.receiptCode.isEmpty, "no receipt for an accepted name")
                receipts.append(receipt)
                acceptedNames.append((given, family))
            }
            try expectEqual(try staff.overview().captured, before + UInt64(names.count),
                            "captured count after the accepted names")
            try expectEqual(Set(receipts.map(\.registrationId)).count, receipts.count, "distinct registration ids")
            try expectEqual(Set(receipts.map(\.receiptCode)).count, receipts.count, "distinct receipt codes")
        }

        try await step("session_resets") {
            try session.update(draft: draft("Kerstin", "Halvfärdig"))
            try expectEqual(try session.idleState(), .active, "idle state while typing")
            try session.reset()
            try expectEqual(try session.idleState(), .active, "idle state after reset")
            // Still usable: the form shows, typing and "still here" work.
            try expectEqual(try session.form().formVersion, demoFormVersion(), "form after reset")
            try session.update(draft: draft("Nästa", "Besökare"))
            try session.stillHere()
            try expectEqual(try session.idleState(), .active, "idle state after more typing")
            try session.reset()
            // Nothing was captured by typing.
            try expectEqual(try staff.overview().captured, UInt64(receipts.count), "captured after typing and resets")
        }

        try await step("staff_pin_wrong_then_right") {
            // The PIN was set at enrollment: a second first PIN is refused.
            let again = try await expectKioskError("setting the first PIN twice") { try kiosk.setStaffPin(pin: staffPin) }
            guard case let .Pin(againReason, _, _, _, _) = again else {
                throw CheckFailed("expected Pin, got \(again)")
            }
            try expectEqual(againReason, "already_set", "reason for a second first PIN")
            // The shape a shell's PIN screen takes: catch the case it can act on.
            do {
                _ = try await kiosk.unlockStaff(pin: "482914")
                throw CheckFailed("unlock with a wrong PIN succeeded")
            } catch KioskError.Pin(let reason, let attemptsLeft, _, let messageSv, let messageEn) {
                try expectEqual(reason, "wrong", "reason for a wrong PIN")
                guard let left = attemptsLeft else { throw CheckFailed("no attemptsLeft for a wrong PIN") }
                try expect((1...9).contains(left), "attemptsLeft out of range: \(left)")
                try expect(!messageSv.isEmpty && !messageEn.isEmpty, "empty PIN messages")
                try expect(!messageSv.contains("482914") && !messageEn.contains("482914"),
                           "the PIN error echoes the typed PIN")
            }
            let badFormat = try await expectKioskError("unlock with letters") { try await kiosk.unlockStaff(pin: "abc") }
            guard case let .Pin(badReason, _, _, _, _) = badFormat, ["invalid_format", "wrong"].contains(badReason) else {
                throw CheckFailed("a malformed PIN gave \(badFormat)")
            }
            staff.lock()
            try await expectClosed("a locked staff mode") { _ = try staff.overview() }
            staff = try await kiosk.unlockStaff(pin: staffPin)
            let overview = try staff.overview()
            try expectEqual(overview.captured, UInt64(receipts.count), "captured in the overview")
            try expectEqual(overview.received, 0, "received before any sync")
            try expectEqual(overview.safeToHandBack, false, "safe to hand back with unsent captures")
            try expectEqual(overview.handBack, .unsent(unreceipted: UInt64(receipts.count)), "why not safe")
            try expect(overview.handBackAdvice.sv.contains("INTE klar"), "advice: \(overview.handBackAdvice)")
            try expect(isHex64(overview.journal.head), "journal head is not 64 hex digits")
            try expect(overview.journal.count >= UInt64(receipts.count), "journal shorter than the captures")
            try expectEqual(try staff.verifyJournal(), overview.journal, "verified journal vs overview")
        }

        try await step("sync_reports_progress_to_the_listener") {
            let listener = RecordingListener()
            let summary = try await kiosk.sync(
                transport: transport, listener: listener,
                options: SyncOptions(maxDocuments: 2, requestTimeoutMs: 30_000)
            )
            let captured = UInt64(receipts.count)
            try expectEqual(summary.received + summary.quarantined, captured, "received in the summary")
            try expectEqual(summary.received, captured, "received (none quarantined)")
            try expect(summary.refused.isEmpty, "refused records: \(summary.refused.map(\.code))")
            try expect(summary.requests >= 3, "5 captures in batches of 2 took \(summary.requests) requests")
            try checkProgress(listener, total: captured, "progress")
            let received = listener.records.value.filter { $0.outcome == .received }.map { $0.id }
            try expectEqual(Set(received), Set(receipts.map(\.registrationId)), "ids heard as received")
            try expectEqual(received.count, receipts.count, "received calls")
            try expectEqual(listener.finishedSummaries.value, [summary], "the summary finished was given")
            try expect(listener.failures.value.isEmpty, "failed was called: \(listener.failures.value.map(\.kind))")
            let overview = try staff.overview()
            try expectEqual(overview.received, captured, "received in the overview")
            try expectEqual(overview.safeToHandBack, true, "safe to hand back after the sync")
            try expectEqual(summary.relayJournal, overview.journal, "journal the relay confirmed")
        }

        try await step("throwing_transport_is_a_typed_error_and_the_next_sync_completes") {
            for (given, family) in [("Lars", "Ek"), ("Maja", "Björk")] {
                receipts.append(try session.submit(draft: draft(given, family)))
                acceptedNames.append((given, family))
            }
            let receivedBefore = try staff.overview().received
            // A shell's transport may throw the typed error or anything else: both are Network.
            let thrown: [Error] = [networkError("offline (simulated)"), URLError(.notConnectedToInternet)]
            for error in thrown {
                let throwing = ThrowingTransport(throwing: error)
                let listener = RecordingListener()
                let failure = try await expectKioskError("sync over a transport throwing \(type(of: error))") {
                    try await kiosk.sync(transport: throwing, listener: listener, options: SyncOptions())
                }
                guard case let .Network(_, messageSv, messageEn) = failure else {
                    throw CheckFailed("a transport throwing \(type(of: error)) gave \(failure)")
                }
                try expect(throwing.calls.value >= 1, "the throwing transport was never called")
                try expect(!messageSv.isEmpty && !messageEn.isEmpty, "empty network messages")
                try expectEqual(listener.failures.value.map(\.kind), ["network"], "failed kinds heard")
                try expect(listener.finishedSummaries.value.isEmpty, "finished was called for a failed sync")
            }
            try expectEqual(try staff.overview().received, receivedBefore, "received after the failed syncs")
            // The next sync over the shell's transport again.
            let summary = try await kiosk.sync(transport: transport, listener: RecordingListener(), options: SyncOptions())
            try expectEqual(summary.received, 2, "received by the next sync")
            try expectEqual(try staff.overview().received, UInt64(receipts.count), "received in the overview")
        }

        try await step("silent_transport_times_out_and_the_next_sync_completes") {
            receipts.append(try session.submit(draft: draft("Tove", "Sjöberg")))
            acceptedNames.append(("Tove", "Sjöberg"))
            let receivedBefore = try staff.overview().received
            let listener = RecordingListener()
            let error = try await expectKioskError("sync over a silent transport") {
                try await kiosk.sync(transport: silent, listener: listener, options: SyncOptions(requestTimeoutMs: 1_000))
            }
            guard case let .Network(detail, _, _) = error else {
                throw CheckFailed("a silent transport gave \(error)")
            }
            try expect(silent.entered.value, "the silent transport was never called")
            try expect(!detail.isEmpty, "no detail for the timeout")
            try expectEqual(listener.failures.value.map(\.kind), ["network"], "failed kinds heard")
            try expectEqual(try staff.overview().received, receivedBefore, "received after the timed-out sync")
            let summary = try await kiosk.sync(transport: transport, listener: RecordingListener(), options: SyncOptions())
            try expectEqual(summary.received, 1, "received by the next sync")
            try expectEqual(try staff.overview().received, UInt64(receipts.count), "received in the overview")
            silent.release()
        }

        try await step("throwing_listener_is_a_typed_error_and_the_next_sync_completes") {
            receipts.append(try session.submit(draft: draft("Olle", "Dahl")))
            acceptedNames.append(("Olle", "Dahl"))
            let throwing = ThrowingListener()
            let error = try await expectKioskError("sync with a throwing listener") {
                try await kiosk.sync(transport: transport, listener: throwing, options: SyncOptions())
            }
            guard case let .Callback(detail) = error else {
                throw CheckFailed("a throwing listener gave \(error)")
            }
            try expect(!detail.isEmpty, "no detail for the listener failure")
            try expect(!throwing.progressCalls.value.isEmpty, "the throwing listener was never called")
            try expectEqual(throwing.failures.value.map(\.kind), ["callback"], "failed kinds heard")
            try expect(throwing.finishedSummaries.value.isEmpty, "finished was called for a failed sync")
            let listener = RecordingListener()
            let summary = try await kiosk.sync(transport: transport, listener: listener, options: SyncOptions())
            try expectEqual(listener.finishedSummaries.value.count, 1, "finished calls of the next sync")
            let overview = try staff.overview()
            try expectEqual(overview.received, UInt64(receipts.count), "received after the next sync")
            try expectEqual(overview.safeToHandBack, true, "safe to hand back after the next sync")
            try expect(summary.refused.isEmpty, "refused records in the next sync")
        }

        try await step("cancelled_sync_stops_between_requests_and_the_next_sync_completes") {
            let names = [("Ingrid", "Ström"), ("Ebba", "Nyström"), ("Axel", "Lundqvist"),
                         ("Linnéa", "Håkansson"), ("Måns", "Wikström")]
            for (given, family) in names {
                receipts.append(try session.submit(draft: draft(given, family)))
                acceptedNames.append((given, family))
            }
            let receivedBefore = try staff.overview().received
            // The task is cancelled from the first progress call, once it is known; the
            // semaphore only orders that call after `Task { … }` below has returned.
            let syncTask = Locked<Task<SyncSummary, Error>?>(nil)
            let taskKnown = DispatchSemaphore(value: 0)
            final class CancellingListener: RecordingListener {
                var onFirstProgress: (() -> Void)?
                override func progress(done: UInt64, total: UInt64) throws {
                    try super.progress(done: done, total: total)
                    if progressCalls.value.count == 1 { onFirstProgress?() }
                }
            }
            let listener = CancellingListener()
            listener.onFirstProgress = {
                taskKnown.wait()
                syncTask.value?.cancel()
            }
            let task = Task { [kiosk] in
                try await syncStoppable(
                    kiosk!, transport: transport, listener: listener,
                    options: SyncOptions(maxDocuments: 1, requestTimeoutMs: 30_000)
                )
            }
            syncTask.set(task)
            taskKnown.signal()
            let result = await task.result
            try expect(task.isCancelled, "the task was not cancelled")
            switch result {
            case .success(let summary):
                throw CheckFailed("the sync to cancel completed: \(summary)")
            case .failure(let error as KioskError):
                try expect(isStoppedSync(error), "the cancelled sync ended with \(error)")
            case .failure(let error):
                throw CheckFailed("the cancelled sync ended with \(type(of: error)): \(error)")
            }
            let kinds = listener.failures.value.map(\.kind)
            try expect(kinds == ["cancelled"], "failed kinds heard: \(kinds)")
            try expect(listener.finishedSummaries.value.isEmpty, "finished was called for a cancelled sync")
            try expectEqual(listener.progressCalls.value.count, 1, "progress calls after the cancel")
            // Stopped after the first request's answer was kept, before the second request.
            let partial = try staff.overview().received
            try expectEqual(partial, receivedBefore + 1, "received after the cancel (one batch of one)")
            let rest = RecordingListener()
            let summary = try await kiosk.sync(transport: transport, listener: rest, options: SyncOptions(maxDocuments: 1))
            let overview = try staff.overview()
            try expectEqual(overview.received, UInt64(receipts.count), "received after the next sync")
            try expectEqual(summary.received, receivedBefore + 5 - partial, "received by the next sync")
            try expectEqual(rest.finishedSummaries.value.count, 1, "finished calls of the next sync")
            try expectEqual(overview.safeToHandBack, true, "safe to hand back at the end")
        }

        try await step("staff_tablet_pulls_and_annotates") {
            let staffSecrets = InMemorySecretStore()
            let tablet = try KioskDevice.open(
                path: scenario.path("swift-staff.sqlite3"), secretStore: staffSecrets, roleIfNew: .staff
            )
            defer { tablet.closeStore() }
            try expectEqual(try tablet.role(), .staff, "staff tablet role")
            try expect(try tablet.deviceId() != (try kiosk.deviceId()), "two tablets share a device id")
            let tabletPin = "719304"
            try tablet.setStaffPin(pin: tabletPin)
            let enrollment = try await tablet.enroll(
                transport: transport, code: scenario.staffCode, expectedRelayKeyId: nil
            )
            try expectEqual(enrollment.role, .staff, "enrolled role")
            try expectEqual(enrollment.eventId, eventId, "enrolled event")
            guard let recruiterName = enrollment.recruiter, !recruiterName.isEmpty else {
                throw CheckFailed("a staff tablet enrolled without a recruiter")
            }
            let pullListener = RecordingListener()
            let summary = try await tablet.sync(transport: transport, listener: pullListener, options: SyncOptions())
            // Every capture here is non-restricted, so the relay gives them all to staff.
            try expect(summary.pulled >= UInt64(receipts.count),
                       "pulled \(summary.pulled) of the \(receipts.count) registrations sent")
            try expectEqual(pullListener.finishedSummaries.value.count, 1, "finished calls of the pull")

            let recruiter = try await tablet.unlockStaff(pin: tabletPin)
            let all = try recruiter.registrations()
            // A relay kept between runs (the demo) holds other runs' visitors too: look at ours.
            let ours = Set(receipts.map(\.registrationId))
            let records = all.filter { ours.contains($0.registrationId) }
            try expectEqual(Set(records.map(\.registrationId)), ours, "registration ids on the staff tablet")
            for name in acceptedNames {
                // Exactly as typed: no mangling, no normalisation of NFC input.
                try expect(records.contains { sameScalars($0.givenName, name.given) && sameScalars($0.familyName, name.family) },
                           "an accepted name was not kept exactly (of \(acceptedNames.count))")
            }
            for refused in refusedNames {
                try expect(!all.contains { sameScalars($0.givenName, refused) || sameScalars($0.familyName, refused) },
                           "a refused name reached the staff tablet")
            }
            let captured = all.map(\.capturedAtMs)
            try expect(zip(captured, captured.dropFirst()).allSatisfy { $0 >= $1 }, "registrations are not newest first")
            guard let asa = records.first(where: { $0.registrationId == receipts[0].registrationId }) else {
                throw CheckFailed("the first visitor's registration is missing")
            }
            try expectEqual(asa.phone, "+46701234567", "normalised phone")
            try expectEqual(asa.interests, ["it-development", "databases"], "interests")
            try expectEqual(asa.locations, ["stockholm", "norrkoping"], "locations")
            try expectEqual(asa.educationLevel, "bachelor", "education level")
            try expectEqual(asa.language, .swedish, "language")
            try expectEqual(asa.status, .new, "status before annotating")

            let note = "Stark profil för databasteamet; ring efter mässan."
            try recruiter.addNote(registrationId: asa.registrationId, text: note)
            try recruiter.rate(registrationId: asa.registrationId, score: 4)
            try recruiter.setStatus(registrationId: asa.registrationId, status: .shortlisted)
            let annotated = try recruiter.registration(registrationId: asa.registrationId)
            try expectEqual(annotated.notes.map(\.text), [note], "notes")
            try expectEqual(annotated.notes.first?.author, recruiterName, "note author")
            try expectEqual(annotated.ratings[recruiterName], 4, "rating")
            try expectEqual(annotated.status, .shortlisted, "status")
            try expect(annotated.unsentChanges > 0, "annotations are not pending")
            let badRating = try await expectKioskError("a rating of 9") {
                try recruiter.rate(registrationId: asa.registrationId, score: 9)
            }
            switch badRating {
            case .NotReady, .InvalidInput: break
            default: throw CheckFailed("a rating of 9 gave \(badRating)")
            }
            let unknown = try await expectKioskError("an unknown registration") {
                try recruiter.addNote(registrationId: String(repeating: "00", count: 16), text: "x")
            }
            guard case .NotReady = unknown else { throw CheckFailed("an unknown registration gave \(unknown)") }

            let editListener = RecordingListener()
            let edits = try await tablet.sync(transport: transport, listener: editListener, options: SyncOptions())
            try expect(edits.editsStored >= 1, "editsStored \(edits.editsStored) after annotating")
            try expect(editListener.records.value.contains { $0.id == asa.registrationId && $0.outcome == .editsStored },
                       "the listener did not hear editsStored for the annotated registration")
            try expectEqual(try recruiter.registration(registrationId: asa.registrationId).unsentChanges, 0,
                            "unsent changes after the sync")
            // A kiosk never shows a visitor's data, even in staff mode: it pulls nothing,
            // and its own captures are not listed.
            try expectEqual(try staff.registrations().count, 0, "registrations listed on the kiosk")
            recruiter.lock()
        }

        try await step("closed_device_refuses_calls") {
            kiosk.closeStore()
            try await expectClosed("deviceId on a closed device") { _ = try kiosk.deviceId() }
            try await expectClosed("submit on a closed device's session") {
                _ = try session.submit(draft: draft("Efter", "Stängning"))
            }
            try await expectClosed("overview on a closed device's staff mode") { _ = try staff.overview() }
            try await expectClosed("startVisitorSession on a closed device") { _ = try kiosk.startVisitorSession() }
            try await expectClosed("sync on a closed device") {
                _ = try await kiosk.sync(transport: transport, listener: RecordingListener(), options: SyncOptions())
            }
            try await expectClosed("unlockStaff on a closed device") { _ = try await kiosk.unlockStaff(pin: staffPin) }
            // Opening it again is how a shell recovers: everything is still there.
            let reopened = try KioskDevice.open(path: kioskPath, secretStore: kioskSecrets, roleIfNew: .kiosk)
            let again = try await reopened.unlockStaff(pin: staffPin)
            try expectEqual(try again.overview().received, UInt64(receipts.count), "received after reopening")
            again.lock()
            reopened.closeStore()
        }

        XCTAssertEqual(passed, scenarioChecks, "the scenario ran every check, in order")
    }
}
