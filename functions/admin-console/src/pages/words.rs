//! Times in words, as a person reads them: "in 42 minutes", "3 hours ago", and a date in UTC.

use authbridge::clock::Epoch;

/// `time` relative to `now`: "in 42 minutes", "3 hours ago", "just now".
pub fn relative(time: Epoch, now: Epoch) -> String {
    let delta = time - now;
    let span = delta.unsigned_abs();
    if span < 60 {
        return "just now".into();
    }
    let (count, unit) = match span {
        s if s < 3600 => (s / 60, "minute"),
        s if s < 2 * 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if delta > 0 {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

/// `time` as a UTC date and time, `2025-03-01 14:05 UTC`.
pub fn at(time: Epoch) -> String {
    let days = time.div_euclid(86_400);
    let seconds = time.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        (seconds % 3600) / 60
    )
}

/// Days since 1970-01-01 as a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_words() {
        assert_eq!(relative(1000 + 42 * 60 + 5, 1000), "in 42 minutes");
        assert_eq!(relative(1000 - 3 * 3600, 1000), "3 hours ago");
        assert_eq!(relative(1000 + 60, 1000), "in 1 minute");
        assert_eq!(relative(1010, 1000), "just now");
        assert_eq!(relative(1000 + 3 * 86_400, 1000), "in 3 days");
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        assert_eq!(at(1_709_301_900), "2024-03-01 14:05 UTC");
    }
}
