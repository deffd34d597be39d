//! Group commit: callers that write at the same time share one transaction and one durable
//! commit, so N concurrent sync requests cost one fsync instead of N queued one behind the
//! other.
//!
//! No thread runs in the background and nothing waits on a timer. A caller that finds no
//! group in progress leads one at once: it takes the shared resource (the store's writer
//! connection), then every batch that queued up meanwhile (up to a bound), runs them all
//! and hands each caller its own result. Callers that arrive while a group runs queue up and
//! sleep; when the group ends one of them leads the next. A lone caller therefore runs
//! straight away, as it would without grouping, and pays only for two uncontended mutexes.
//!
//! This module only coordinates; what "run a group" means (one transaction, a savepoint per
//! batch, one commit) belongs to the store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What a batch weighs against a group's budgets.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Weight {
    /// The bytes it writes: bounds a transaction's size.
    pub(super) bytes: usize,
    /// The rows it writes: bounds how long a group holds the resource, so whoever waits
    /// for it (an HR officer's short write) waits for a few milliseconds' work, not for
    /// every request that queued up meanwhile.
    pub(super) items: usize,
}

/// A group's budgets; the first batch of a group always runs, whatever it weighs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    pub(super) batches: usize,
    pub(super) bytes: usize,
    pub(super) items: usize,
}

/// Queues batches of type `B` and hands back one `R` per batch.
pub(super) struct GroupCommit<B, R> {
    state: Mutex<Queue<B, R>>,
    /// Signalled when a group ends: results are ready and the lead is free.
    served: Condvar,
    budget: Budget,
    /// A batch's weight against the budget.
    weight: fn(&B) -> Weight,
    /// The result of a caller whose group was abandoned by a panicking leader.
    abandoned: fn() -> R,
    /// Signalled on every change of the queue, so tests can line callers up.
    #[cfg(test)]
    changed: Condvar,
}

struct Queue<B, R> {
    waiting: VecDeque<(u64, B)>,
    /// Whether some caller is running a group now.
    leading: bool,
    finished: HashMap<u64, R>,
    next_ticket: u64,
}

impl<B, R> std::fmt::Debug for GroupCommit<B, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never waits: a debug print must not block on a group.
        let queue = self.state.try_lock().ok();
        f.debug_struct("GroupCommit")
            .field("waiting", &queue.as_ref().map(|q| q.waiting.len()))
            .field("leading", &queue.as_ref().map(|q| q.leading))
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl<B: Clone, R> GroupCommit<B, R> {
    /// Groups within `budget`, each batch weighed by `weight`.
    pub(super) fn new(budget: Budget, weight: fn(&B) -> Weight, abandoned: fn() -> R) -> Self {
        GroupCommit {
            state: Mutex::new(Queue {
                waiting: VecDeque::new(),
                leading: false,
                finished: HashMap::new(),
                next_ticket: 0,
            }),
            served: Condvar::new(),
            budget: Budget {
                batches: budget.batches.max(1),
                ..budget
            },
            weight,
            abandoned,
            #[cfg(test)]
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<B, R>> {
        // Every change to the queue is completed before the lock is released, and results
        // are moved in whole, so a poisoned queue is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `batch` in a group and returns its result once its group has run.
    ///
    /// A leader calls `acquire` (which may block, e.g. on a connection mutex), then takes the
    /// queued batches, and calls `run` with the resource and the group's batches in queue
    /// order; `run` returns one result per batch it ran, in the same order: all of them, or
    /// (when it gives the resource up early, for someone waiting for it) at least the
    /// first, and the rest go back to the front of the queue for the next group. `acquire`
    /// is called without holding the queue, so code that holds the resource may never wait
    /// for a group.
    pub(super) fn submit<G>(
        &self,
        batch: &B,
        acquire: impl Fn() -> G,
        run: impl Fn(&mut G, &[&B]) -> Vec<R>,
    ) -> R {
        let mut queue = self.lock();
        if !queue.leading && queue.waiting.is_empty() {
            // Nobody ahead: lead with the batch borrowed, no copy.
            queue.leading = true;
            drop(queue);
            #[cfg(test)]
            self.changed.notify_all();
            return self
                .lead(Some(batch), &acquire, &run)
                .expect("a leader's own batch is in its group");
        }
        drop(queue);
        // The copy is made outside the queue's lock; it costs less than the commit waited for.
        let copy = batch.clone();
        let mut queue = self.lock();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back((ticket, copy));
        #[cfg(test)]
        self.changed.notify_all();
        loop {
            if let Some(result) = queue.finished.remove(&ticket) {
                return result;
            }
            if !queue.leading {
                // Our batch is queued and no group runs: lead the next one. It holds the
                // oldest batches, which may not reach ours; then we go round again.
                queue.leading = true;
                drop(queue);
                #[cfg(test)]
                self.changed.notify_all();
                self.lead(None, &acquire, &run);
                queue = self.lock();
                continue;
            }
            queue = self
                .served
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Runs one group: `own` first (it arrived when the queue was empty, so before every
    /// queued batch), then the queued batches in order. Returns `own`'s result.
    fn lead<G>(
        &self,
        own: Option<&B>,
        acquire: &impl Fn() -> G,
        run: &impl Fn(&mut G, &[&B]) -> Vec<R>,
    ) -> Option<R> {
        // Whatever happens from here on, the lead is given back and every caller woken.
        let mut leading = Leading {
            group: self,
            tickets: Vec::new(),
            results: Vec::new(),
        };
        let mut resource = acquire();
        // Taken only now, so batches that arrived while the resource was busy come along.
        let mut taken = self.take(own);
        leading.tickets = taken.iter().map(|(ticket, _)| *ticket).collect();
        let batches: Vec<&B> = own
            .into_iter()
            .chain(taken.iter().map(|(_, b)| b))
            .collect();
        let ran = run(&mut resource, &batches);
        drop(resource);
        // Batches `run` left for the next group go back in front of every newer one, in
        // their order; their callers keep waiting for their results.
        let ran_of_taken = ran.len().saturating_sub(usize::from(own.is_some()));
        if ran.len() < batches.len() && ran_of_taken < taken.len() {
            drop(batches);
            let unrun = taken.split_off(ran_of_taken);
            leading.tickets.truncate(ran_of_taken);
            let mut queue = self.lock();
            for batch in unrun.into_iter().rev() {
                queue.waiting.push_front(batch);
            }
        }
        let mut results = ran.into_iter();
        let own_result = own.and_then(|_| results.next());
        leading.results = results.collect();
        own_result
    }

    /// The oldest queued batches that fit in a group beside `own`.
    fn take(&self, own: Option<&B>) -> Vec<(u64, B)> {
        let mut queue = self.lock();
        let mut count = usize::from(own.is_some());
        let mut weight = own.map_or(Weight::default(), self.weight);
        let mut taken = Vec::new();
        while let Some((_, next)) = queue.waiting.front() {
            let next = (self.weight)(next);
            let first = count == 0;
            let over = weight.bytes + next.bytes > self.budget.bytes
                || weight.items + next.items > self.budget.items;
            if count >= self.budget.batches || (!first && over) {
                break;
            }
            count += 1;
            weight.bytes += next.bytes;
            weight.items += next.items;
            taken.extend(queue.waiting.pop_front());
        }
        taken
    }

    /// Waits until the queue satisfies `ready(leading, waiting)`.
    #[cfg(test)]
    pub(super) fn wait_until(&self, ready: impl Fn(bool, usize) -> bool) {
        let mut queue = self.lock();
        while !ready(queue.leading, queue.waiting.len()) {
            queue = self
                .changed
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Ends a group, on return or unwind: hands the queued callers their results, and those
/// left without one (the leader panicked outside the store's own panic handling) the
/// abandoned result rather than letting them wait forever.
struct Leading<'a, B, R> {
    group: &'a GroupCommit<B, R>,
    tickets: Vec<u64>,
    /// In the order of `tickets`.
    results: Vec<R>,
}

impl<B, R> Drop for Leading<'_, B, R> {
    fn drop(&mut self) {
        let mut queue = self
            .group
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut results = std::mem::take(&mut self.results).into_iter();
        for ticket in &self.tickets {
            let result = results.next().unwrap_or_else(self.group.abandoned);
            queue.finished.insert(*ticket, result);
        }
        queue.leading = false;
        drop(queue);
        self.group.served.notify_all();
        #[cfg(test)]
        self.group.changed.notify_all();
    }
}
