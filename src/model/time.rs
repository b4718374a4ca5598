//! How Capillary writes an instant, in the time zone of the org the data belongs to.

use std::sync::LazyLock;

use chrono::{
    DateTime, Offset, Timelike, Utc,
    format::{Item, StrftimeItems},
};
use chrono_tz::Tz;

// Patterns parsed once: an answer prints dozens of instants, and parsing the pattern each time
// cost more than printing.
static WITH_OFFSET: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parsed("%Y-%m-%dT%H:%M:%S%.3f%z"));
static WALL_CLOCK_Z: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parsed("%Y-%m-%dT%H:%M:%S%.3fZ"));
static SECONDS: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parsed("%Y-%m-%d %H:%M:%S"));
static ISO_SECONDS: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parsed("%Y-%m-%dT%H:%M:%S"));

fn parsed(pattern: &'static str) -> Vec<Item<'static>> {
    StrftimeItems::new(pattern).parse().unwrap_or_default()
}

fn print(pattern: &[Item<'static>], instant: DateTime<Tz>) -> String {
    instant.format_with_items(pattern.iter()).to_string()
}

/// `2024-06-20T12:23:15.000+0530`: milliseconds and a colon-less offset (v3 answers, auth errors).
pub fn with_offset(instant: DateTime<Utc>, zone: Tz) -> String {
    print(&WITH_OFFSET, instant.with_timezone(&zone))
}

/// `2024-06-20T00:00:00.000Z`: the org's wall-clock time followed by a literal `Z`, as v3 prints
/// period boundaries.
pub fn wall_clock_z(instant: DateTime<Utc>, zone: Tz) -> String {
    print(&WALL_CLOCK_Z, instant.with_timezone(&zone))
}

/// `2024-06-20 12:23:15.0`: `yyyy-MM-dd HH:mm:ss.S`, the fraction as Java's `Timestamp` prints it
/// (getLedgerExplodeInfo).
pub fn java_timestamp(instant: DateTime<Utc>, zone: Tz) -> String {
    let local = instant.with_timezone(&zone);
    let nanos = local.nanosecond() % 1_000_000_000;
    let fraction = if nanos == 0 { "0".to_owned() } else { format!("{nanos:09}").trim_end_matches('0').to_owned() };
    format!("{}.{fraction}", print(&SECONDS, local))
}

/// `2024-06-20 12:23:15`: whole seconds, no fraction (a manual adjustment's `createdOn`).
pub fn plain_seconds(instant: DateTime<Utc>, zone: Tz) -> String {
    print(&SECONDS, instant.with_timezone(&zone))
}

/// `2024-06-20T12:23:15+05:30` or `2024-06-20T12:23:15Z`: the `*ISO` twin Capillary prints next to
/// a legacy time since 2026 (api-docs/current/DIFF.md §1): the legacy field's wall-clock digits,
/// whole seconds, and the org's offset, UTC written `Z`.
pub fn iso_twin(instant: DateTime<Utc>, zone: Tz) -> String {
    let local = instant.with_timezone(&zone);
    let offset = local.offset().fix().local_minus_utc();
    let suffix = if offset == 0 {
        "Z".to_owned()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs() / 60;
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    };
    format!("{}{suffix}", print(&ISO_SECONDS, local))
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
    }
}
