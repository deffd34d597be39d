//! What a shell hears during a sync and how it stops one: every record's outcome arrives
//! once its answer is kept, a cancelled sync stops between requests with nothing
//! half-applied, and two syncs of one tablet never interleave.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kiosk_core::ids::Timestamp;
use kiosk_core::protocol::enrollment::{EnrolledRole, EnrollmentCode};
use kiosk_core::sync::{BatchLimits, HttpTransport, RecordOutcome, SyncListener, sync};
use kiosk_tests::{Tablet, file_relay, sync_now, tablet};

/// Hears everything; cancels at the first progress when asked to.
#[derive(Default)]
struct Heard {
    progress: Mutex<Vec<(u64, u64)>>,
    outcomes: Mutex<Vec<(String, RecordOutcome)>>,
    cancel_at_first_progress: bool,
    cancel: AtomicBool,
}

impl SyncListener for Heard {
    fn progress(&self, done: u64, total: u64) {
        self.progress.lock().expect("lock").push((done, total));
        if self.cancel_at_first_progress {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }

    fn record(&self, doc_id: &str, outcome: RecordOutcome) {
        self.outcomes
            .lock()
            .expect("lock")
            .push((doc_id.to_owned(), outcome));
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// A new kiosk tablet enrolled with the relay at `url`, and its transport.
fn enrolled_tablet(url: &str, code: &EnrollmentCode) -> (Tablet, HttpTransport) {
    let tablet = tablet();
    let transport = HttpTransport::new(url);
    tablet.device.enroll(code, &transport).expect("enrolls");
    (tablet, transport)
}

fn one_at_a_time() -> BatchLimits {
    BatchLimits {
        max_documents: 1,
        ..BatchLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_outcome_is_heard_and_progress_ends_at_the_total() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    tokio::task::spawn_blocking(move || {
        let (tablet, transport) = enrolled_tablet(&url, &code);
        let receipts =
            kiosk_core::generator::capture_generated(&tablet.device, 3, 7).expect("captured");
        let heard = Heard::default();
        let report = sync(
            &tablet.device,
            &transport,
            &heard,
            BatchLimits {
                max_documents: 2,
                ..BatchLimits::default()
            },
            Timestamp::now,
        )
        .expect("syncs");
        assert_eq!(report.received, 3);
        let mut outcomes = heard.outcomes.lock().expect("lock").clone();
        outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected: Vec<(String, RecordOutcome)> = receipts
            .iter()
            .map(|r| (r.registration_id.to_string(), RecordOutcome::Received))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(outcomes, expected, "each record heard once, as received");
        let progress = heard.progress.lock().expect("lock").clone();
        assert_eq!(progress.last(), Some(&(3, 3)));
        assert!(
            progress.windows(2).all(|w| w[0].0 <= w[1].0),
            "{progress:?}"
        );
    })
    .await
    .expect("ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sync_stops_after_the_answer_in_hand_and_the_next_sync_sends_the_rest() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    tokio::task::spawn_blocking(move || {
        let (tablet, transport) = enrolled_tablet(&url, &code);
        kiosk_core::generator::capture_generated(&tablet.device, 5, 8).expect("captured");
        let heard = Heard {
            cancel_at_first_progress: true,
            ..Heard::default()
        };
        let error = sync(
            &tablet.device,
            &transport,
            &heard,
            one_at_a_time(),
            Timestamp::now,
        )
        .expect_err("cancelled");
        assert!(matches!(error, kiosk_core::Error::Cancelled), "{error:?}");
        let counts = tablet.device.state_counts().expect("counts");
        assert_eq!(
            counts.received, 1,
            "the first answer is kept whole, and no request follows the cancel"
        );
        assert_eq!(heard.outcomes.lock().expect("lock").len(), 1);

        let report = sync_now(&tablet.device, &transport).expect("the next sync runs");
        assert_eq!(report.received, 4);
        assert_eq!(tablet.device.state_counts().expect("counts").received, 5);
    })
    .await
    .expect("ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_of_one_tablet_take_turns_and_each_record_is_received_once() {
    let relay = file_relay().await;
    let url = relay.server.url();
    let code = relay.code(EnrolledRole::Kiosk, 1, 3_600_000);
    tokio::task::spawn_blocking(move || {
        let (tablet, transport) = enrolled_tablet(&url, &code);
        let transport = Arc::new(transport);
        kiosk_core::generator::capture_generated(&tablet.device, 20, 9).expect("captured");
        let syncs: Vec<_> = (0..2)
            .map(|_| {
                let device = Arc::clone(&tablet.device);
                let transport = Arc::clone(&transport);
                std::thread::spawn(move || {
                    sync(
                        &device,
                        transport.as_ref(),
                        &kiosk_core::sync::NoListener,
                        one_at_a_time(),
                        Timestamp::now,
                    )
                })
            })
            .collect();
        let received: u64 = syncs
            .into_iter()
            .map(|s| {
                s.join()
                    .expect("no panic")
                    .expect("both syncs succeed")
                    .received
            })
            .sum();
        assert_eq!(received, 20, "no record is pushed by both");
        assert_eq!(tablet.device.state_counts().expect("counts").received, 20);
    })
    .await
    .expect("ran");
}
