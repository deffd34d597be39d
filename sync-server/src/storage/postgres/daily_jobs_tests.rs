//! The daily access-log checkpoint on PostgreSQL across relay instances: two [`PgStore`]s
//! of one database, each writing into its own data directory, write the day's checkpoint
//! once; an instance that dies holding the day's turn leaves it to the other.

use std::path::Path;

use super::PgStore;
use super::test_cluster::fresh_database_url;
use crate::daily_checkpoint::{self, DailyCheckpoint};
use crate::keys::RelayKeys;
use crate::storage::{
    AccessAction, AccessEntry, AccessLogStore, Accessor, DailyJob, DailyJobStore, DailyTurn,
    StorageError,
};

/// Relay time on UTC day 20 000, at noon.
const NOON: i64 = 20_000 * 86_400_000 + 12 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

fn keys() -> RelayKeys {
    RelayKeys::from_seeds([31; 32], [32; 32])
}

/// An instance: its store on the shared database and a data directory of its own.
struct Instance {
    store: PgStore,
    dir: tempfile::TempDir,
    name: String,
}

impl Instance {
    fn open(url: &str, name: &str) -> Instance {
        Instance {
            store: PgStore::open(url).expect("opens"),
            dir: tempfile::tempdir().expect("tempdir"),
            name: name.to_owned(),
        }
    }

    fn folder(&self) -> std::path::PathBuf {
        self.dir
            .path()
            .join(crate::access_checkpoint::CHECKPOINT_DIR)
    }

    fn tick(&self, now: i64) -> DailyCheckpoint {
        daily_checkpoint::tick(
            &self.store,
            &keys(),
            None,
            &self.folder(),
            12,
            &self.name,
            now,
        )
        .expect("ticks")
    }
}

fn checkpoint_files(folder: &Path) -> Vec<String> {
    match std::fs::read_dir(folder) {
        Ok(listing) => listing
            .map(|entry| {
                entry
                    .expect("lists")
                    .file_name()
                    .into_string()
                    .expect("utf-8")
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("listing {}: {e}", folder.display()),
    }
}

fn log_some(store: &PgStore) {
    for n in 0..3 {
        store
            .log_access(&AccessEntry {
                at: NOON - 1_000 + n,
                accessor: Accessor::Operator("test".into()),
                action: AccessAction::Read,
                doc_id: format!("doc-{n}"),
            })
            .expect("logged");
    }
}

#[test]
fn two_instances_ticking_at_once_write_the_days_checkpoint_once() {
    let url = fresh_database_url();
    let (a, b) = (Instance::open(&url, "a"), Instance::open(&url, "b"));
    log_some(&a.store);
    let start = std::sync::Barrier::new(2);
    let ticks: Vec<Vec<DailyCheckpoint>> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|instance| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    (0..3).map(|n| instance.tick(NOON + n)).collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let written: Vec<&DailyCheckpoint> = ticks
        .iter()
        .flatten()
        .filter(|t| matches!(t, DailyCheckpoint::Written { .. }))
        .collect();
    assert_eq!(written.len(), 1, "{ticks:?}");
    let files = [checkpoint_files(&a.folder()), checkpoint_files(&b.folder())];
    assert_eq!(files.iter().map(Vec::len).sum::<usize>(), 1, "{files:?}");
    let writer = if files[0].is_empty() { &b } else { &a };
    let runs = a
        .store
        .daily_job_runs(DailyJob::AccessCheckpoint, 10)
        .expect("reads");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].day, 20_000);
    assert_eq!(runs[0].done_by, writer.name, "the record names the writer");
    let file = &checkpoint_files(&writer.folder())[0];
    assert!(runs[0].detail.contains(file.as_str()), "{}", runs[0].detail);
    assert!(runs[0].detail.contains("3 entries"), "{}", runs[0].detail);
    // A later tick that day, on either, finds it done.
    assert!(matches!(b.tick(NOON + 3_600_000), DailyCheckpoint::Done(_)));
    assert!(matches!(a.tick(NOON + 3_600_000), DailyCheckpoint::Done(_)));

    // The next day is written once more, by whichever ticks first.
    assert!(matches!(
        b.tick(NOON + DAY_MS),
        DailyCheckpoint::Written { .. }
    ));
    assert!(matches!(a.tick(NOON + DAY_MS), DailyCheckpoint::Done(_)));
    assert_eq!(
        checkpoint_files(&a.folder()).len() + checkpoint_files(&b.folder()).len(),
        2
    );
}

#[test]
fn the_days_checkpoint_is_written_by_another_instance_when_its_holder_dies_before_recording_it() {
    let url = fresh_database_url();
    let (a, b) = (Instance::open(&url, "a"), Instance::open(&url, "b"));
    log_some(&a.store);
    // A takes the day's turn, and dies before it has written or recorded anything.
    assert_eq!(
        a.store
            .daily_job_turn(DailyJob::AccessCheckpoint, 20_000)
            .expect("asks"),
        DailyTurn::Mine
    );
    assert!(matches!(b.tick(NOON), DailyCheckpoint::Elsewhere));
    drop(a);
    // Bounded poll: the server ends the dead instance's session, and its lock, shortly.
    let mut ticks = 0;
    let written = loop {
        match b.tick(NOON + 1) {
            DailyCheckpoint::Written { path, .. } => break path,
            DailyCheckpoint::Elsewhere if ticks < 10_000 => {
                ticks += 1;
                std::thread::yield_now();
            }
            other => panic!("expected b to write the day's checkpoint, got {other:?}"),
        }
    };
    assert!(written.exists());
    let runs = b
        .store
        .daily_job_runs(DailyJob::AccessCheckpoint, 10)
        .expect("reads");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].done_by, "b");
}

#[test]
fn a_holder_whose_connection_was_cut_cannot_record_and_another_writes_the_day() {
    let url = fresh_database_url();
    let (a, b) = (Instance::open(&url, "a"), Instance::open(&url, "b"));
    assert_eq!(
        a.store
            .daily_job_turn(DailyJob::AccessCheckpoint, 20_000)
            .expect("asks"),
        DailyTurn::Mine
    );
    // A's lock session ends (its network cut, the server restarted it) while A still runs.
    let mut observer = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let terminated: bool = observer
        .query_one(
            "SELECT pg_terminate_backend(pid) FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .expect("one lock holder")
        .get(0);
    assert!(terminated);
    let mut ticks = 0;
    loop {
        match b.tick(NOON) {
            DailyCheckpoint::Written { .. } => break,
            DailyCheckpoint::Elsewhere if ticks < 10_000 => {
                ticks += 1;
                std::thread::yield_now();
            }
            other => panic!("expected b to write the day's checkpoint, got {other:?}"),
        }
    }
    // A, finishing its work now, cannot record the day behind B's back.
    let refused = a
        .store
        .record_daily_job(&crate::storage::DailyJobRun {
            job: DailyJob::AccessCheckpoint,
            day: 20_000,
            done_at: NOON + 5,
            done_by: "a".into(),
            detail: "late".into(),
        })
        .expect_err("a lost its turn");
    assert!(
        matches!(
            refused,
            StorageError::TurnNotHeld(_) | StorageError::Postgres(_)
        ),
        "{refused:?}"
    );
    let runs = a
        .store
        .daily_job_runs(DailyJob::AccessCheckpoint, 10)
        .expect("reads");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].done_by, "b");
    assert!(matches!(
        a.store
            .daily_job_turn(DailyJob::AccessCheckpoint, 20_000)
            .expect("asks"),
        DailyTurn::Done(_)
    ));
}
