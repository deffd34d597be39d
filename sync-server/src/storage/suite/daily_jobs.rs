//! Daily jobs: a day's run taken as this instance's turn, recorded once, found done by
//! later turns that day; a turn given up is taken again; no run is recorded without the
//! turn.

use crate::storage::{DailyJob, DailyJobRun, DailyTurn, RelayStore, StorageError};

const JOB: DailyJob = DailyJob::AccessCheckpoint;

fn run(day: i64, detail: &str) -> DailyJobRun {
    DailyJobRun {
        job: JOB,
        day,
        done_at: day * 86_400_000 + 3_600_000,
        done_by: "relay-1:/var/lib/kiosk".into(),
        detail: detail.into(),
    }
}

pub(crate) fn a_days_run_is_recorded_once_and_later_turns_that_day_find_it_done(
    store: &dyn RelayStore,
) {
    assert_eq!(
        store.daily_job_turn(JOB, 20_000).expect("asks"),
        DailyTurn::Mine
    );
    store
        .record_daily_job(&run(20_000, "first"))
        .expect("recorded");
    assert_eq!(
        store.daily_job_turn(JOB, 20_000).expect("asks"),
        DailyTurn::Done(run(20_000, "first"))
    );
    assert_eq!(
        store.daily_job_turn(JOB, 20_001).expect("asks"),
        DailyTurn::Mine,
        "the next day is to be run"
    );
    store
        .record_daily_job(&run(20_001, "second"))
        .expect("recorded");
    assert_eq!(
        store.daily_job_runs(JOB, 10).expect("reads"),
        vec![run(20_001, "second"), run(20_000, "first")],
        "newest day first"
    );
    assert_eq!(
        store.daily_job_runs(JOB, 1).expect("reads"),
        vec![run(20_001, "second")]
    );
}

pub(crate) fn a_turn_given_up_is_taken_again_and_no_run_is_recorded_without_one(
    store: &dyn RelayStore,
) {
    assert!(matches!(
        store.record_daily_job(&run(20_000, "no turn")),
        Err(StorageError::TurnNotHeld(_))
    ));
    assert_eq!(
        store.daily_job_turn(JOB, 20_000).expect("asks"),
        DailyTurn::Mine
    );
    store.give_up_daily_job(JOB);
    assert!(matches!(
        store.record_daily_job(&run(20_000, "given up")),
        Err(StorageError::TurnNotHeld(_))
    ));
    assert_eq!(
        store.daily_job_runs(JOB, 10).expect("reads"),
        Vec::new(),
        "nothing was recorded"
    );
    assert_eq!(
        store.daily_job_turn(JOB, 20_000).expect("asks"),
        DailyTurn::Mine,
        "the day is still to be run"
    );
    store
        .record_daily_job(&run(20_000, "done"))
        .expect("recorded");
    assert!(
        matches!(
            store.record_daily_job(&run(20_000, "again")),
            Err(StorageError::TurnNotHeld(_))
        ),
        "recording ended the turn"
    );
    assert_eq!(
        store.daily_job_runs(JOB, 10).expect("reads"),
        vec![run(20_000, "done")]
    );
}
