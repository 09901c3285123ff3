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
    /// Argon2 verifications, the dummy one included.
    pub argon2: u32,
    /// bcrypt verifications (plain or WordPress 6.8's `$wp$`), the dummy one included.
    pub bcrypt: u32,
    /// Verifications of the cheap legacy formats (phpass, MD5).
    pub legacy: u32,
}

/// The kind of a verification, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Argon2,
    Bcrypt,
    Legacy,
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

/// Adds one verification of `kind` to the current count, if any.
pub(super) fn record(kind: Kind) {
    let _ = WORK.try_with(|work| {
        let mut w = work.get();
        match kind {
            Kind::Argon2 => w.argon2 += 1,
            Kind::Bcrypt => w.bcrypt += 1,
            Kind::Legacy => w.legacy += 1,
        }
        work.set(w);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifications_are_counted_inside_a_scope_only() {
        record(Kind::Argon2);
        let ((), work) = counting(async {
            record(Kind::Argon2);
            record(Kind::Legacy);
            record(Kind::Bcrypt);
            record(Kind::Argon2);
        })
        .await;
        assert_eq!(
            work,
            Work {
                argon2: 2,
                bcrypt: 1,
                legacy: 1
            }
        );
    }
}
