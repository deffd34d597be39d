//! What only the PostgreSQL accounts can show: the guard rails SQLite gets from its single
//! writer hold between relay instances writing at once.

use crate::storage::model::{
    AccountAction, AccountChange, AccountChangeOutcome, Credential, CredentialKind, Role,
};
use crate::storage::postgres::PgStore;
use crate::storage::postgres::test_cluster::fresh_database_url;
use crate::storage::suite::fixtures::add_user;
use crate::storage::traits::HrAccountStore;

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connects")
}

fn change(user_id: u64, action: AccountAction, by_user: Option<u64>) -> AccountChange {
    AccountChange {
        user_id,
        action,
        reason: None,
        by_user,
        by_name: "operator".into(),
        at: 5,
    }
}

/// Polls (bounded) until a session of the database waits on a lock.
fn someone_waits_on_a_lock(url: &str) -> bool {
    let mut observer = connect(url);
    for _ in 0..2_000 {
        let waiting: i64 = observer
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .expect("asks")
            .get(0);
        if waiting > 0 {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    false
}

/// Two admins, each through their own instance, disable each other at the same moment,
/// round after round: one succeeds and the other is told it would leave no admin, so one
/// admin is always left enabled.
#[test]
fn two_admins_on_two_instances_disabling_each_other_at_once_leave_one_enabled() {
    let url = fresh_database_url();
    let instances = [
        PgStore::open(&url).expect("opens"),
        PgStore::open(&url).expect("a second instance"),
    ];
    let anna = add_user(&instances[0], "anna", vec![Role::Admin], None);
    let bo = add_user(&instances[0], "bo", vec![Role::Admin], None);
    for round in 0..10 {
        let start = std::sync::Barrier::new(2);
        let mut outcomes: Vec<AccountChangeOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = [(&instances[0], anna, bo), (&instances[1], bo, anna)]
                .into_iter()
                .map(|(store, by, target)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        store
                            .change_hr_account(&change(target, AccountAction::Disable, Some(by)))
                            .expect("answers")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            [AccountChangeOutcome::Done, AccountChangeOutcome::LastAdmin],
            "round {round}"
        );
        let disabled: Vec<u64> = [anna, bo]
            .into_iter()
            .filter(|id| {
                instances[1]
                    .hr_user(*id)
                    .expect("reads")
                    .expect("found")
                    .0
                    .disabled
            })
            .collect();
        assert_eq!(disabled.len(), 1, "round {round}");
        assert_eq!(
            instances[1]
                .change_hr_account(&change(disabled[0], AccountAction::Enable, None))
                .expect("enables"),
            AccountChangeOutcome::Done
        );
    }
}

/// A login through one instance writes its session while another instance is disabling
/// the user (its update made, its commit not yet): the write waits for the disable and
/// then writes nothing, so the session does not open the account once it is enabled
/// again. (Without the user row's lock the session would be written at once and outlive
/// the disable, whose delete came before it.)
#[test]
fn a_session_written_while_another_instance_disables_its_user_is_not_kept() {
    let url = fresh_database_url();
    let disabling = PgStore::open(&url).expect("opens");
    let logging_in = PgStore::open(&url).expect("a second instance");
    let arvid = add_user(&disabling, "arvid", vec![Role::Archivist], None);
    let arvid_column = i64::try_from(arvid).expect("small id");
    let (updated, updated_rx) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        // Dropped if this thread panics, so the held transaction ends and the scope too.
        let release = release;
        let disabling = &disabling;
        let disable = scope.spawn(move || {
            // The statements of a disable (`change_hr_account`), held open before commit.
            disabling.write(|tx| {
                tx.execute(
                    "UPDATE hr_users SET disabled_at = 5 WHERE id = $1 AND disabled_at IS NULL",
                    &[&arvid_column],
                )?;
                tx.execute(
                    "DELETE FROM hr_credentials WHERE user_id = $1",
                    &[&arvid_column],
                )?;
                updated.send(()).expect("sends");
                release_rx.recv().expect("released");
                Ok(())
            })
        });
        updated_rx.recv().expect("the disable is under way");
        let login = scope.spawn(|| {
            logging_in.put_hr_credential(
                &[9; 32],
                &Credential {
                    kind: CredentialKind::Session,
                    user_id: arvid,
                    csrf_hash: Some([1; 32]),
                    expires_at: i64::MAX,
                    last_used_at: 6,
                },
                None,
                6,
            )
        });
        assert!(
            someone_waits_on_a_lock(&url),
            "the session's write did not wait for the disable"
        );
        release.send(()).expect("releases");
        disable.join().expect("no panic").expect("disables");
        login.join().expect("no panic").expect("answers");
    });
    let stored: i64 = connect(&url)
        .query_one("SELECT count(*) FROM hr_credentials", &[])
        .expect("counts")
        .get(0);
    assert_eq!(stored, 0, "no session was written for a disabled user");
    assert_eq!(
        logging_in
            .change_hr_account(&change(arvid, AccountAction::Enable, None))
            .expect("enables"),
        AccountChangeOutcome::Done
    );
    assert!(
        logging_in
            .hr_credential(&[9; 32], 7)
            .expect("reads")
            .is_none()
    );
}
