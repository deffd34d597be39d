//! Who takes the writer next. An HR request that owes the writer a short write (its
//! access-log entries, its token's last use) says so while it waits, and an ingest group
//! about to take the writer lets it go first; a group under way commits at its next
//! request's end and leaves the rest for the next group ([`WriterTurn::short_write_waits`]):
//! the request then waits for at most one sync request's inserts, never for a whole group or
//! the groups queued behind it. A group waits for such requests at
//! most [`MAX_YIELD`], so a stream of them cannot starve ingest.
//!
//! Background work (a retention run's batches) comes last: before each batch it stands back
//! while a short write or an ingest group waits for the writer, and a batch under way ends
//! after a few more removals when one comes ([`WriterTurn::writes_wait`]), so a tablet's push
//! waits for a few removals rather than for batch after batch (a released lock goes
//! to whoever asks first, and the run asks again at once). It too stands back at most
//! [`MAX_YIELD`] a batch, so a steady stream of pushes cannot stop the run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest an ingest group stands back for waiting HR writes: a few of their commits.
pub(super) const MAX_YIELD: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub(super) struct WriterTurn {
    /// Short writes waiting for the writer now.
    waiting: AtomicUsize,
    /// Ingest groups waiting for the writer now.
    groups_waiting: AtomicUsize,
    lock: Mutex<()>,
    /// Signalled when a short write got the writer.
    taken: Condvar,
}

impl WriterTurn {
    /// Runs `take` (which takes the writer) as a short write that goes before the next
    /// ingest group.
    pub(super) fn first<T>(&self, take: impl FnOnce() -> T) -> T {
        self.counted(&self.waiting, take)
    }

    /// Runs `take` counted in `waiting` until it returns (or panics: the count must not
    /// stay up, or every later group would stand back its full bound), then tells those
    /// standing back.
    fn counted<T>(&self, waiting: &AtomicUsize, take: impl FnOnce() -> T) -> T {
        struct Counted<'a>(&'a WriterTurn, &'a AtomicUsize);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.1.fetch_sub(1, Ordering::AcqRel);
                // Under the lock, so a group between its check and its wait cannot miss it.
                let _turn = self.0.lock.lock().unwrap_or_else(PoisonError::into_inner);
                self.0.taken.notify_all();
            }
        }
        waiting.fetch_add(1, Ordering::AcqRel);
        let _counted = Counted(self, waiting);
        take()
    }

    /// Runs `take` (which takes the writer) as an ingest group's, which background work
    /// lets go first.
    pub(super) fn group<T>(&self, take: impl FnOnce() -> T) -> T {
        self.counted(&self.groups_waiting, take)
    }

    /// Waits (at most [`MAX_YIELD`]) until neither a short write nor an ingest group waits
    /// for the writer; background work calls it before each batch takes the writer.
    pub(super) fn after_waiting_writes(&self) {
        self.stand_back(|| self.writes_wait());
    }

    /// Whether a short write waits for the writer now: an ingest group under way then commits
    /// what it has written and gives the writer up before its next request.
    pub(super) fn short_write_waits(&self) -> bool {
        self.waiting.load(Ordering::Acquire) > 0
    }

    /// Whether a short write or an ingest group waits for the writer now: a background batch
    /// under way then commits what it has done and gives the writer up.
    pub(super) fn writes_wait(&self) -> bool {
        self.short_write_waits() || self.groups_waiting.load(Ordering::Acquire) > 0
    }

    /// Waits (at most [`MAX_YIELD`]) until no short write waits for the writer; an ingest
    /// group calls it before it takes the writer.
    pub(super) fn after_short_writes(&self) {
        self.stand_back(|| self.short_write_waits());
    }

    /// Waits (at most [`MAX_YIELD`]) until `waiting` says no one waits.
    fn stand_back(&self, waiting: impl Fn() -> bool) {
        if !waiting() {
            return;
        }
        let deadline = Instant::now() + MAX_YIELD;
        let mut turn = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while waiting() {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            turn = self
                .taken
                .wait_timeout(turn, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_stands_back_while_a_short_write_waits_and_goes_once_it_has_the_writer() {
        let turn = WriterTurn::default();
        let writer = Mutex::new(());
        let held = writer.lock().expect("the writer");
        let (waiting_tx, waiting) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let short = scope.spawn(|| {
                turn.first(|| {
                    waiting_tx.send(()).expect("told");
                    drop(writer.lock().expect("the writer"));
                })
            });
            waiting.recv().expect("the short write waits");
            assert_eq!(turn.waiting.load(Ordering::Acquire), 1);
            drop(held);
            // Returns once the short write had the writer (or after its bound).
            turn.after_short_writes();
            short.join().expect("joins");
        });
        assert_eq!(turn.waiting.load(Ordering::Acquire), 0);
    }

    #[test]
    fn background_work_stands_back_while_a_group_waits_and_goes_once_it_has_the_writer() {
        let turn = &WriterTurn::default();
        let writer = &Mutex::new(());
        let held = writer.lock().expect("the writer");
        let (waiting_tx, waiting) = std::sync::mpsc::channel();
        let (had_tx, had) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let group = scope.spawn(move || {
                let guard = turn.group(|| {
                    waiting_tx.send(()).expect("told");
                    writer.lock().expect("the writer")
                });
                // Held until the background side has stopped standing back.
                had.recv().expect("told");
                drop(guard);
            });
            waiting.recv().expect("the group waits");
            assert_eq!(turn.groups_waiting.load(Ordering::Acquire), 1);
            drop(held);
            turn.after_waiting_writes();
            // The group had the writer before background work went on: it holds it still.
            assert!(writer.try_lock().is_err());
            had_tx.send(()).expect("told");
            group.join().expect("joins");
        });
        assert_eq!(turn.groups_waiting.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_write_that_panics_while_it_waits_is_no_longer_counted() {
        let turn = WriterTurn::default();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            turn.group(|| panic!("the writer could not be had"))
        }));
        assert!(panicked.is_err());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            turn.first(|| panic!("the writer could not be had"))
        }));
        assert!(panicked.is_err());
        assert_eq!(turn.waiting.load(Ordering::Acquire), 0);
        assert_eq!(turn.groups_waiting.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_group_goes_at_once_when_no_short_write_waits() {
        let turn = WriterTurn::default();
        turn.after_short_writes();
        assert_eq!(turn.first(|| 7), 7);
        turn.after_short_writes();
    }
}
