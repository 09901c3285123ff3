//! Store calls counted, not timed: an interceptor on the DynamoDB client the tests build records
//! each operation's calls (one per SDK execution, its retries included) and when each began and
//! ended, in the order of events rather than on a clock. From that, the sequential depth: the
//! longest chain of calls each of which began after the one before it ended. Calls in flight
//! together count once, so a `BatchGetItem` or two concurrent `GetItem`s are one wave, and a read
//! that waits for another's answer is a second.

use std::sync::{Arc, Mutex, MutexGuard};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// The calls one client made since it was built or last [`taken`](StoreCalls::take). Clones share
/// one record.
#[derive(Clone, Debug, Default)]
pub struct StoreCalls(Arc<Mutex<Record>>);

#[derive(Debug, Default)]
struct Record {
    /// The next event's number: begins and ends share one sequence.
    next_event: u64,
    calls: Vec<Call>,
}

#[derive(Debug)]
struct Call {
    operation: String,
    began: u64,
    /// `None` while in flight.
    ended: Option<u64>,
}

/// Which recorded call an execution is, kept in the execution's own configuration.
#[derive(Debug, Clone, Copy)]
struct CallIndex(usize);

impl Storable for CallIndex {
    type Storer = StoreReplace<Self>;
}

/// What a stretch of work asked of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The operations (`GetItem`, `BatchGetItem`, ...), in the order they began.
    pub calls: Vec<String>,
    /// The longest chain of calls each begun after the previous one ended.
    pub depth: usize,
}

impl Tally {
    /// How many calls of `operation` there were.
    pub fn count(&self, operation: &str) -> usize {
        self.calls.iter().filter(|c| *c == operation).count()
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls in {} sequential waves: {}",
            self.calls.len(),
            self.depth,
            self.calls.join(", ")
        )
    }
}

impl StoreCalls {
    fn record(&self) -> MutexGuard<'_, Record> {
        // A test that panicked while holding the lock has failed already; the record is still
        // readable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the calls so far (the set-up's), so that the next [`take`](StoreCalls::take) counts
    /// only what follows.
    pub fn reset(&self) {
        self.record().calls.clear();
    }

    /// The calls since the last reset or take, and forgets them. Calls still in flight count as
    /// ending now.
    pub fn take(&self) -> Tally {
        let mut record = self.record();
        let end = record.next_event;
        let calls = std::mem::take(&mut record.calls);
        let mut depths: Vec<usize> = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let before = calls[..i]
                .iter()
                .zip(&depths)
                .filter(|(earlier, _)| earlier.ended.unwrap_or(end) < call.began)
                .map(|(_, depth)| *depth)
                .max()
                .unwrap_or(0);
            depths.push(before + 1);
        }
        Tally {
            calls: calls.into_iter().map(|c| c.operation).collect(),
            depth: depths.into_iter().max().unwrap_or(0),
        }
    }
}

impl Intercept for StoreCalls {
    fn name(&self) -> &'static str {
        "StoreCalls"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's name is in its own configuration, applied after this hook: named in
        // `read_before_serialization`.
        let operation = "unknown".to_string();
        let mut record = self.record();
        let began = record.next_event;
        record.next_event += 1;
        record.calls.push(Call {
            operation,
            began,
            ended: None,
        });
        let index = record.calls.len() - 1;
        cfg.interceptor_state().store_put(CallIndex(index));
        Ok(())
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(metadata), Some(CallIndex(index))) =
            (cfg.load::<Metadata>(), cfg.load::<CallIndex>().copied())
            && let Some(call) = self.record().calls.get_mut(index)
        {
            call.operation = metadata.name().to_string();
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut record = self.record();
        let ended = record.next_event;
        record.next_event += 1;
        if let Some(CallIndex(index)) = cfg.load::<CallIndex>().copied()
            && let Some(call) = record.calls.get_mut(index)
        {
            call.ended = Some(ended);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(operation: &str, began: u64, ended: u64) -> Call {
        Call {
            operation: operation.into(),
            began,
            ended: Some(ended),
        }
    }

    #[test]
    fn calls_in_flight_together_are_one_wave() {
        let calls = StoreCalls::default();
        calls.record().calls = vec![
            call("GetItem", 0, 2),
            call("GetItem", 1, 3),
            call("UpdateItem", 4, 6),
            call("UpdateItem", 5, 7),
        ];
        calls.record().next_event = 8;
        let tally = calls.take();
        assert_eq!(tally.depth, 2, "{tally}");
        assert_eq!(tally.count("GetItem"), 2);
        assert_eq!(calls.take().calls.len(), 0, "taken calls are forgotten");
    }

    #[test]
    fn a_call_after_one_of_a_wave_is_one_deeper_than_it() {
        let calls = StoreCalls::default();
        // B overlaps A; C begins after A ended while B is in flight; D after C.
        calls.record().calls = vec![
            call("A", 0, 2),
            call("B", 1, 5),
            call("C", 3, 4),
            call("D", 6, 7),
        ];
        assert_eq!(calls.take().depth, 3);
    }
}
