//! The sweep's event shape, from a fixture of a real EventBridge scheduled event.

use token_refresh::ScheduledEvent;

#[test]
fn a_real_scheduled_event_parses() {
    let event: ScheduledEvent = serde_json::from_str(include_str!("fixtures/scheduled_event.json"))
        .expect("the fixture parses");
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(event.source, "aws.events");
    assert_eq!(event.time, "2026-11-22T12:05:00Z");
}
