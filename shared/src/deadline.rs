//! The time an invocation has left, for the work that is not the request's own answer: delivering
//! an event, revoking a grant at a provider. Such work is bounded by what remains before the
//! invocation's deadline, so a slow webhook receiver or provider never pushes a function past its
//! timeout (which would lose the answer the work was a side effect of).
//!
//! Lambda gives each invocation a deadline. The serving wrappers (`http::serve` at the HTTP edge,
//! [`crate::runtime::serve_events`]) run each invocation [`within`] it, and the bounded work asks
//! for its [`budget`]: what is left until [`ANSWER_RESERVE`] before the deadline, at most the
//! work's own cap. Outside an invocation (the CLI, the local stack, a test that sets none) there is
//! no deadline and each call keeps its own cap.
//!
//! The deadline is task-local: work spawned onto another task does not see it (nothing here does).

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::task::futures::TaskLocalFuture;
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Option<Instant>;
}

/// Kept back from an invocation's deadline to write its answer.
pub const ANSWER_RESERVE: Duration = Duration::from_secs(1);

/// `work`, run with `deadline` as the invocation's deadline (none: no bound).
pub fn within<F: Future>(
    deadline: Option<Instant>,
    work: F,
) -> TaskLocalFuture<Option<Instant>, F> {
    DEADLINE.scope(deadline, work)
}

/// A deadline Lambda gave as wall-clock time, as an instant; `None` for the epoch (a context
/// without a deadline, such as a test's default one) or a time already past.
pub fn from_system_time(deadline: SystemTime) -> Option<Instant> {
    deadline
        .duration_since(SystemTime::now())
        .ok()
        .filter(|left| !left.is_zero())
        .map(|left| Instant::now() + left)
}

/// The current invocation's deadline, when it has one.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok().flatten()
}

/// How long bounded work may still take: `cap`, or less when the invocation's deadline is nearer;
/// `None` when no time is left for it.
pub fn budget(cap: Duration) -> Option<Duration> {
    budget_at(current(), Instant::now(), cap)
}

/// [`budget`] for an invocation with `deadline`, at `now`: until [`ANSWER_RESERVE`] before the
/// deadline, at most `cap`.
pub fn budget_at(deadline: Option<Instant>, now: Instant, cap: Duration) -> Option<Duration> {
    let left = match deadline {
        None => cap,
        Some(deadline) => deadline
            .checked_sub(ANSWER_RESERVE)
            .and_then(|until| until.checked_duration_since(now))
            .unwrap_or_default()
            .min(cap),
    };
    (!left.is_zero()).then_some(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: Duration = Duration::from_secs(2);

    #[test]
    fn work_gets_its_cap_or_what_is_left_before_the_reserve() {
        let now = Instant::now();
        assert_eq!(budget_at(None, now, CAP), Some(CAP));
        let far = now + Duration::from_secs(20);
        assert_eq!(budget_at(Some(far), now, CAP), Some(CAP));
        let near = now + ANSWER_RESERVE + Duration::from_millis(700);
        assert_eq!(
            budget_at(Some(near), now, CAP),
            Some(Duration::from_millis(700))
        );
        assert_eq!(budget_at(Some(now + ANSWER_RESERVE), now, CAP), None);
        assert_eq!(budget_at(Some(now), now, CAP), None);
        assert_eq!(
            budget_at(Some(now), now + Duration::from_secs(5), CAP),
            None
        );
    }

    #[tokio::test]
    async fn the_deadline_is_seen_inside_its_scope_only() {
        assert_eq!(current(), None);
        let deadline = Instant::now() + Duration::from_millis(1500);
        let seen = within(Some(deadline), async {
            (current(), budget(Duration::from_secs(60)))
        })
        .await;
        assert_eq!(seen.0, Some(deadline));
        let left = seen.1.expect("time is left");
        assert!(left <= Duration::from_millis(500), "{left:?}");
        assert_eq!(within(None, async { current() }).await, None);
        assert_eq!(budget(CAP), Some(CAP));
    }

    #[test]
    fn a_lambda_deadline_in_the_past_or_unset_is_none() {
        assert_eq!(from_system_time(SystemTime::UNIX_EPOCH), None);
        let soon = SystemTime::now() + Duration::from_secs(30);
        let instant = from_system_time(soon).expect("a future deadline");
        assert!(instant > Instant::now());
    }
}
