//! Optimistic retries, written once: an operation that read a record, changed it and lost the
//! conditional write to a concurrent writer (a stale version, a key created in between) starts
//! over from a fresh read, a bounded number of times.
//!
//! The limit policy: the number of attempts grows with how many writers can race for the same
//! record at once ([`Contention`]). Past the limit, the last attempt's error is the answer (a
//! caller under heavier contention than its class says sees it as a conflict, never as a hang).

use std::time::Duration;

/// How many writers can race for the records an operation writes, which sets its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// One actor's record, rarely written by two at once: an admin edit, an API token's
    /// settings, a sign-in's bookkeeping, a WordPress login's migration. 3 attempts.
    Low,
    /// A record that concurrent requests of one kind write: a token record replaced by a new
    /// authorization, a login-attempt counter whose window turns over. 5 attempts.
    Shared,
    /// A record a burst of identical requests races to create: sync-user (a site posting one
    /// user 20 times at once). 8 attempts, pausing 5 ms, then twice as long after each loss
    /// (about 0.6 s in all), so the winner's transaction is seen by the next read however busy
    /// the store is (DynamoDB shows it at once; the emulator, under load, only after a while).
    Burst,
}

impl Contention {
    /// How many times the operation runs at most.
    pub const fn attempts(self) -> usize {
        match self {
            Contention::Low => 3,
            Contention::Shared => 5,
            Contention::Burst => 8,
        }
    }

    /// The pause after losing attempt `number` (from 1).
    fn pause(self, number: usize) -> Duration {
        match self {
            Contention::Burst => Duration::from_millis(5 << number.saturating_sub(1).min(7)),
            Contention::Low | Contention::Shared => Duration::ZERO,
        }
    }
}

/// Which attempt of an operation is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// From 1.
    pub number: usize,
    /// No attempt follows this one.
    pub last: bool,
}

/// Runs `operation` until it answers other than a lost race (`lost` says which errors are one)
/// or the attempts of `contention` are spent, and answers its last result.
pub async fn retry<T, E, F, Fut>(
    contention: Contention,
    lost: impl Fn(&E) -> bool,
    mut operation: F,
) -> Result<T, E>
where
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let attempts = contention.attempts();
    let mut number = 1;
    loop {
        let last = number >= attempts;
        match operation(Attempt { number, last }).await {
            Err(e) if !last && lost(&e) => {
                let pause = contention.pause(number);
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                number += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lost_race_runs_again_up_to_the_limit_then_answers_the_last_error() {
        for contention in [Contention::Low, Contention::Shared, Contention::Burst] {
            let mut seen = Vec::new();
            let result: Result<(), &str> = retry(
                contention,
                |e| *e == "stale",
                |attempt| {
                    seen.push(attempt);
                    async { Err("stale") }
                },
            )
            .await;
            assert_eq!(result, Err("stale"));
            assert_eq!(seen.len(), contention.attempts());
            assert!(seen.last().is_some_and(|a| a.last));
            assert!(seen.iter().rev().skip(1).all(|a| !a.last));
        }
    }

    #[tokio::test]
    async fn any_other_answer_ends_at_once() {
        let mut runs = 0;
        let result: Result<u32, &str> = retry(
            Contention::Shared,
            |e| *e == "stale",
            |attempt| {
                runs += 1;
                async move {
                    match attempt.number {
                        1 => Err("stale"),
                        _ => Err("broken"),
                    }
                }
            },
        )
        .await;
        assert_eq!((result, runs), (Err("broken"), 2));
        let ok: Result<u32, &str> = retry(Contention::Low, |_| true, |_| async { Ok(7) }).await;
        assert_eq!(ok, Ok(7));
    }

    #[test]
    fn a_burst_backs_off_doubling_and_the_others_retry_at_once() {
        let pauses: Vec<u64> = (1..Contention::Burst.attempts())
            .map(|n| Contention::Burst.pause(n).as_millis() as u64)
            .collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320]);
        assert!(Contention::Low.pause(1).is_zero());
        assert!(Contention::Shared.pause(4).is_zero());
    }
}
