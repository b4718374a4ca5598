//! The DAS parameters that need more than a type: entry-type lists and day ranges.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{
    http::{
        error::{ApiError, ApiResult},
        extract::Params,
    },
    model::{LedgerEntryType, TextEnum},
};

/// The entry types of a required comma-separated list, each once.
pub fn entry_types(params: &Params, name: &str) -> ApiResult<Vec<LedgerEntryType>> {
    let mut types = params.required_list::<LedgerEntryType>(name)?;
    types.sort_by_key(|kind| kind.as_str());
    types.dedup();
    Ok(types)
}

/// An inclusive range of days from two `YYYY-MM-DD` parameters.
#[derive(Debug, Clone, Copy)]
pub struct DayRange {
    first: NaiveDate,
    last: NaiveDate,
}

impl DayRange {
    pub fn from_params(params: &Params, start: &str, end: &str) -> ApiResult<DayRange> {
        let first = day(params, start)?;
        let last = day(params, end)?;
        if first > last {
            return Err(ApiError::bad_parameter(start, format!("Parameter '{start}' ({first}) is after '{end}' ({last})")));
        }
        Ok(DayRange { first, last })
    }

    /// `[start of the first day, start of the day after the last)` in `zone`, as UTC instants.
    pub fn bounds(self, zone: Tz) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        (start_of_day(zone, self.first), self.last.succ_opt().map(|next| start_of_day(zone, next)))
    }
}

/// A required day; years outside 0001–9999 are refused, as `YYYY` cannot write them and the
/// database could not store every one of them.
fn day(params: &Params, name: &str) -> ApiResult<NaiveDate> {
    let day = params.required::<NaiveDate>(name)?;
    if !(1..=9999).contains(&day.year()) {
        return Err(ApiError::bad_parameter(
            name,
            format!("Parameter '{name}' must be a date in the format YYYY-MM-DD between 0001-01-01 and 9999-12-31, got '{day}'"),
        ));
    }
    Ok(day)
}

/// The first instant of `day` in `zone`: local midnight, or where a daylight-saving change skips
/// midnight, the first local minute that exists.
fn start_of_day(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    (0..=24 * 60)
        .find_map(|minute| zone.from_local_datetime(&(midnight + TimeDelta::minutes(minute))).earliest())
        .map(|start| start.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2025, 6, 3).unwrap();
        assert_eq!(start_of_day(chrono_tz::Asia::Kolkata, day).to_rfc3339(), "2025-06-02T18:30:00+00:00");
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2024-09-08.
        let day = NaiveDate::from_ymd_opt(2024, 9, 8).unwrap();
        assert_eq!(start_of_day(chrono_tz::America::Santiago, day).to_rfc3339(), "2024-09-08T04:00:00+00:00");
    }
}
