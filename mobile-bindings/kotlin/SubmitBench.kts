// Times submits through the Kotlin bindings, as a shell makes them: one visitor session,
// one `submit(draft)` per visitor. Run by `cargo bench -p kiosk-tests --bench ffi_submit`,
// which starts the relay, passes KIOSK_RELAY_URL, KIOSK_CODE, KIOSK_WORK_DIR and
// KIOSK_SUBMITS, and compares the figures printed here with the same loop in Rust.
import kotlinx.coroutines.runBlocking
import java.util.concurrent.ConcurrentHashMap
import kotlin.system.exitProcess
import uniffi.kiosk_ffi.*

class MemorySecrets : PlatformSecretStore {
    private val secrets = ConcurrentHashMap<String, ByteArray>()
    override fun load(name: String): ByteArray? = secrets[name]
    override fun store(name: String, secret: ByteArray) { secrets[name] = secret }
    override fun delete(name: String) { secrets.remove(name) }
}

fun draft(i: Int) = RegistrationDraft(
    language = Language.SWEDISH,
    givenName = "Besökare",
    familyName = "Nummer${'A' + i % 26}",
    email = "besokare$i@exempel.se",
    phone = "",
    interests = listOf("it-development", "databases"),
    locations = listOf("stockholm"),
    educationLevel = "bachelor",
    freeText = "",
    privacyNoticeAcknowledged = true,
    talentPoolOptIn = i % 2 == 0,
    protectedPersonalData = false,
)

val env = System.getenv()
val submits = env.getValue("KIOSK_SUBMITS").toInt()
val device = KioskDevice.open("${env.getValue("KIOSK_WORK_DIR")}/kotlin-bench.sqlite3", MemorySecrets(), DeviceRole.KIOSK)
device.installDemoEvent()
runBlocking { device.enrollOverHttp(env.getValue("KIOSK_RELAY_URL"), null, env.getValue("KIOSK_CODE"), null) }
val session = device.startVisitorSession()
repeat(500) { session.submit(draft(it)) } // JIT warm-up, not timed
val times = LongArray(submits)
val started = System.nanoTime()
for (i in 0 until submits) {
    val t = System.nanoTime()
    session.submit(draft(i))
    times[i] = System.nanoTime() - t
}
val total = System.nanoTime() - started
times.sort()
println("kotlin_submits=$submits")
println("kotlin_total_ns=$total")
println("kotlin_p50_ns=${times[submits / 2]}")
println("kotlin_p99_ns=${times[submits * 99 / 100]}")
exitProcess(0)
