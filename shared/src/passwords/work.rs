//! Counting the password verifications one piece of async work performs, so that "a refused
//! login costs the same whatever the reason" is an observable number rather than a timing.
//!
//! [`counting`] runs a future with a task-local counter; the blocking wrappers add to it when they
//! run inside one (and do nothing outside).

use std::cell::Cell;
use std::future::Future;

/// Password verifications performed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Argon2 verifications, the dummy one included: the cost that hides which users exist.
    pub argon2: u32,
    /// Verifications of an imported legacy hash (phpass, bcrypt, MD5).
    pub legacy: u32,
}

tokio::task_local! {
    static WORK: Cell<Work>;
}

/// Runs `future`, counting the verifications it performs.
pub async fn counting<F: Future>(future: F) -> (F::Output, Work) {
    WORK.scope(Cell::new(Work::default()), async move {
        let out = future.await;
        (out, WORK.with(Cell::get))
    })
    .await
}

/// Adds one verification of the given kind to the current count, if any.
pub(super) fn record(argon2: bool) {
    let _ = WORK.try_with(|work| {
        let mut w = work.get();
        if argon2 {
            w.argon2 += 1;
        } else {
            w.legacy += 1;
        }
        work.set(w);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifications_are_counted_inside_a_scope_only() {
        record(true);
        let ((), work) = counting(async {
            record(true);
            record(false);
            record(true);
        })
        .await;
        assert_eq!(
            work,
            Work {
                argon2: 2,
                legacy: 1
            }
        );
    }
}
