//! A bounded pool of Argon2 worker threads, each owning one reused [`Memory`].
//!
//! Argon2id under [`super::Policy::CURRENT`] works through 19 MiB. Allocating that for every
//! verification faults in ~4,900 fresh pages per call (kernel time that doubles a login's cost),
//! and with one blocking thread per concurrent login the freed arenas pile up: memory grows with the
//! burst and stays. Here at most [`Pool::max_workers`] (the number of cores) hashes run at once, each
//! on a worker thread that allocated its memory once; further jobs wait in a FIFO queue. Workers are
//! started on demand, so a process that logs in one user at a time has one worker and one block;
//! after a burst, the workers beyond the first end once idle for [`LINGER`], freeing their blocks.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError, mpsc};
use std::thread;
use std::time::Duration;

use super::PasswordError;
use super::memory::Memory;

/// A piece of Argon2 work, run on a worker with the worker's memory; what it returns hands the
/// answer to the caller (after the worker has counted itself idle again).
type Job = Box<dyn FnOnce(&mut Memory) -> Deliver + Send + 'static>;
type Deliver = Box<dyn FnOnce() + Send + 'static>;

/// The process's Argon2 workers and their queue.
pub(super) struct Pool {
    state: Mutex<State>,
    ready: Condvar,
    max_workers: usize,
    linger: Duration,
}

/// How long a worker beyond the first waits for work before it ends and frees its memory, so that
/// after a burst the process goes back to one worker and one block.
const LINGER: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    workers: usize,
    idle: usize,
}

impl Pool {
    /// The pool of this process, at most one worker per core.
    pub(super) fn global() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| {
            Pool::new(
                thread::available_parallelism().map_or(1, usize::from),
                LINGER,
            )
        })
    }

    fn new(max_workers: usize, linger: Duration) -> Pool {
        Pool {
            state: Mutex::default(),
            ready: Condvar::new(),
            max_workers: max_workers.max(1),
            linger,
        }
    }

    /// How many Argon2 computations may run at once.
    pub(super) fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// Runs `work` on a worker and blocks the calling thread until it is done.
    ///
    /// For synchronous callers (the CLI, tests); from async code use [`Pool::run_async`].
    pub(super) fn run<T, F>(&'static self, work: F) -> Result<T, PasswordError>
    where
        F: FnOnce(&mut Memory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, outcome) = mpsc::sync_channel(1);
        self.submit(Box::new(move |memory| {
            let out = work(memory);
            Box::new(move || {
                let _ = answer.send(out);
            })
        }));
        outcome.recv().map_err(|_| PasswordError::Worker)
    }

    /// Runs `work` on a worker without blocking the executor; the current tracing span follows it.
    pub(super) async fn run_async<T, F>(&'static self, work: F) -> Result<T, PasswordError>
    where
        F: FnOnce(&mut Memory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, outcome) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.submit(Box::new(move |memory| {
            let out = span.in_scope(|| work(memory));
            Box::new(move || {
                let _ = answer.send(out);
            })
        }));
        outcome.await.map_err(|_| PasswordError::Worker)
    }

    /// Queues a job, starting a worker when every running one is busy and the pool is not full.
    fn submit(&'static self, job: Job) {
        let mut state = self.lock();
        state.jobs.push_back(job);
        if state.jobs.len() > state.idle && state.workers < self.max_workers {
            let spawned = thread::Builder::new()
                .name(format!("argon2-{}", state.workers))
                .spawn(move || self.work());
            match spawned {
                Ok(_) => state.workers += 1,
                Err(e) => {
                    tracing::error!(error = %e, "could not start an Argon2 worker thread");
                    if state.workers == 0 {
                        // No one would ever run it: dropping it answers the caller with an error.
                        state.jobs.clear();
                    }
                }
            }
        }
        drop(state);
        self.ready.notify_one();
    }

    /// A worker's life: take the oldest job, run it with this worker's memory, repeat.
    ///
    /// The worker counts itself idle before it hands over an answer, so that the caller's next job
    /// finds it idle and does not start a second worker needlessly.
    fn work(&self) {
        let mut memory = Memory::default();
        let mut state = self.lock();
        state.idle += 1;
        loop {
            let job = loop {
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                let timed_out;
                (state, timed_out) = self
                    .ready
                    .wait_timeout(state, self.linger)
                    .map(|(state, wait)| (state, wait.timed_out()))
                    .unwrap_or_else(|poisoned| {
                        let (state, wait) = poisoned.into_inner();
                        (state, wait.timed_out())
                    });
                if timed_out && state.jobs.is_empty() && state.workers > 1 {
                    state.workers -= 1;
                    state.idle -= 1;
                    return;
                }
            };
            state.idle -= 1;
            drop(state);
            // A panicking job drops its answer channel (its caller gets `PasswordError::Worker`);
            // the worker and its memory stay.
            let deliver = panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
            self.lock().idle += 1;
            if let Ok(deliver) = deliver {
                deliver();
            }
            state = self.lock();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Jobs never run under the lock, so a poisoned lock still guards a consistent queue.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    fn leaked(max_workers: usize) -> &'static Pool {
        Box::leak(Box::new(Pool::new(max_workers, LINGER)))
    }

    #[test]
    fn no_more_jobs_run_at_once_than_there_are_workers_and_all_complete() {
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let pool = leaked(2);
        let callers: Vec<_> = (0..12)
            .map(|i| {
                thread::spawn(move || {
                    pool.run(move |_| {
                        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                        MOST.fetch_max(now, Ordering::SeqCst);
                        // Long enough for the other callers to queue up behind this one.
                        thread::sleep(Duration::from_millis(5));
                        RUNNING.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
            })
            .collect();
        let answers: Vec<usize> = callers
            .into_iter()
            .map(|c| c.join().unwrap().unwrap())
            .collect();
        assert_eq!(answers, (0..12).collect::<Vec<_>>());
        assert!(MOST.load(Ordering::SeqCst) <= 2, "{MOST:?} jobs at once");
        assert!(pool.lock().workers <= 2);
    }

    #[test]
    fn sequential_jobs_are_served_by_one_worker() {
        let pool = leaked(4);
        for _ in 0..10 {
            pool.run(|_| ()).unwrap();
        }
        assert_eq!(pool.lock().workers, 1);
    }

    #[test]
    fn after_a_burst_the_extra_workers_end_and_one_stays() {
        let pool: &'static Pool = Box::leak(Box::new(Pool::new(3, Duration::from_millis(20))));
        let callers: Vec<_> = (0..6)
            .map(|_| thread::spawn(move || pool.run(|_| thread::sleep(Duration::from_millis(5)))))
            .collect();
        for caller in callers {
            caller.join().unwrap().unwrap();
        }
        // Not a timing assertion: wait (up to a generous bound) for the idle workers to end.
        let deadline = Instant::now() + Duration::from_secs(30);
        while pool.lock().workers > 1 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        let state = pool.lock();
        assert_eq!((state.workers, state.idle), (1, 1));
        drop(state);
        assert_eq!(pool.run(|_| 1).unwrap(), 1);
    }

    #[test]
    fn a_job_that_panics_answers_with_an_error_and_the_worker_lives_on() {
        let pool = leaked(1);
        let outcome: Result<(), _> = pool.run(|_| panic!("boom"));
        assert!(matches!(outcome, Err(PasswordError::Worker)));
        assert_eq!(pool.run(|_| 7).unwrap(), 7);
        assert_eq!(pool.lock().workers, 1);
    }

    #[tokio::test]
    async fn async_callers_wait_without_blocking_and_get_their_answer() {
        let pool = leaked(1);
        let answers =
            futures::future::join_all((0..5).map(|i| pool.run_async(move |_| i * 2))).await;
        let answers: Vec<i32> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, vec![0, 2, 4, 6, 8]);
    }
}
