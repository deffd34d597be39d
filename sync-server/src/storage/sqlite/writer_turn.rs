//! Who takes the writer next. An HR request that owes the writer a short write (its
//! access-log entries, its token's last use) says so while it waits, and an ingest group
//! about to take the writer lets it go first: the request then waits for at most the group
//! under way, never for the groups queued behind it. A group waits for such requests at
//! most [`MAX_YIELD`], so a stream of them cannot starve ingest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest an ingest group stands back for waiting HR writes: a few of their commits.
pub(super) const MAX_YIELD: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub(super) struct WriterTurn {
    /// Short writes waiting for the writer now.
    waiting: AtomicUsize,
    lock: Mutex<()>,
    /// Signalled when a short write got the writer.
    taken: Condvar,
}

impl WriterTurn {
    /// Runs `take` (which takes the writer) as a short write that goes before the next
    /// ingest group.
    pub(super) fn first<T>(&self, take: impl FnOnce() -> T) -> T {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let taken = take();
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        // Under the lock, so a group between its check and its wait cannot miss it.
        let _turn = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.taken.notify_all();
        taken
    }

    /// Waits (at most [`MAX_YIELD`]) until no short write waits for the writer; an ingest
    /// group calls it before it takes the writer.
    pub(super) fn after_short_writes(&self) {
        if self.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        let deadline = Instant::now() + MAX_YIELD;
        let mut turn = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while self.waiting.load(Ordering::Acquire) > 0 {
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
    fn a_group_goes_at_once_when_no_short_write_waits() {
        let turn = WriterTurn::default();
        turn.after_short_writes();
        assert_eq!(turn.first(|| 7), 7);
        turn.after_short_writes();
    }
}
