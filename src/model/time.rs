//! How Capillary writes an instant, in the time zone of the org the data belongs to.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

// Every form is chrono's RFC 3339 writer (digits written directly) plus a cut or two: an answer
// prints dozens of instants, and chrono's pattern formatter cost more than the rest of the
// rendering.

/// The wall-clock digits in RFC 3339 form followed by `Z`: `2024-06-20T12:23:15Z` (`Secs`) or
/// `2024-06-20T12:23:15.000Z` (`Millis`).
fn wall_clock(local: NaiveDateTime, precision: SecondsFormat) -> String {
    local.and_utc().to_rfc3339_opts(precision, true)
}

/// `2024-06-20T12:23:15.000+0530`: milliseconds and a colon-less offset (v3 answers, auth errors).
pub fn with_offset(instant: DateTime<Utc>, zone: Tz) -> String {
    let mut text = instant.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Millis, false);
    // `+05:30` → `+0530`
    text.remove(text.len() - 3);
    text
}

/// `2024-06-20T00:00:00.000Z`: the org's wall-clock time followed by a literal `Z`, as v3 prints
/// period boundaries.
pub fn wall_clock_z(instant: DateTime<Utc>, zone: Tz) -> String {
    wall_clock(instant.with_timezone(&zone).naive_local(), SecondsFormat::Millis)
}

/// `2024-06-20 12:23:15.0`: `yyyy-MM-dd HH:mm:ss.S`, the fraction as Java's `Timestamp` prints it
/// (getLedgerExplodeInfo).
pub fn java_timestamp(instant: DateTime<Utc>, zone: Tz) -> String {
    let mut text = plain_seconds(instant, zone);
    let nanos = instant.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        text.push_str(".0");
    } else {
        let digits = format!(".{nanos:09}");
        text.push_str(digits.trim_end_matches('0'));
    }
    text
}

/// `2024-06-20 12:23:15`: whole seconds, no fraction (a manual adjustment's `createdOn`).
pub fn plain_seconds(instant: DateTime<Utc>, zone: Tz) -> String {
    let mut text = wall_clock(instant.with_timezone(&zone).naive_local(), SecondsFormat::Secs);
    // `2024-06-20T12:23:15Z` → `2024-06-20 12:23:15`
    text.pop();
    text.replace_range(10..11, " ");
    text
}

/// `2024-06-20T12:23:15+05:30` or `2024-06-20T12:23:15Z`: the `*ISO` twin Capillary prints next to
/// a legacy time since 2026 (api-docs/current/DIFF.md §1): the legacy field's wall-clock digits,
/// whole seconds, and the org's offset, UTC written `Z`.
pub fn iso_twin(instant: DateTime<Utc>, zone: Tz) -> String {
    instant.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn each_form_writes_the_orgs_wall_clock() {
        let kolkata = chrono_tz::Asia::Kolkata;
        assert_eq!(with_offset(at("2024-06-20T06:53:15Z"), kolkata), "2024-06-20T12:23:15.000+0530");
        assert_eq!(wall_clock_z(at("2024-06-19T18:30:00Z"), kolkata), "2024-06-20T00:00:00.000Z");
        assert_eq!(java_timestamp(at("2024-06-20T06:53:15Z"), kolkata), "2024-06-20 12:23:15.0");
        assert_eq!(java_timestamp(at("2024-06-20T06:53:15.120Z"), kolkata), "2024-06-20 12:23:15.12");
        assert_eq!(iso_twin(at("2024-06-20T06:53:15.120Z"), kolkata), "2024-06-20T12:23:15+05:30");
        assert_eq!(iso_twin(at("2026-02-10T20:25:58Z"), chrono_tz::UTC), "2026-02-10T20:25:58Z");
        assert_eq!(iso_twin(at("2026-02-10T20:25:58Z"), chrono_tz::America::New_York), "2026-02-10T15:25:58-05:00");
        assert_eq!(plain_seconds(at("2024-06-20T06:53:15.120Z"), kolkata), "2024-06-20 12:23:15");
        assert_eq!(with_offset(at("2026-02-10T20:25:58.5Z"), chrono_tz::America::New_York), "2026-02-10T15:25:58.500-0500");
        assert_eq!(with_offset(at("2026-02-10T20:25:58Z"), chrono_tz::UTC), "2026-02-10T20:25:58.000+0000");
        assert_eq!(java_timestamp(at("2024-06-20T06:53:15.000001Z"), kolkata), "2024-06-20 12:23:15.000001");
    }
}
