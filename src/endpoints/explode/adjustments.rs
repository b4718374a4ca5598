//! The 2026 page's ManualPointsAdjustment and VoucherRedemption blocks, read from the event's
//! `details` (fixtures/README.md lists the keys) with times as RFC 3339, and written with their
//! legacy times and ISO twins in the org's zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Number, Value};

use super::wire::{ManualPointsAdjustmentDetails, PointsDeduction, VoucherRedemptionDetails};
use crate::{
    model::{Decimal, time},
    store::events::EventRow,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Adjustment {
    total_points_deducted: String,
    created_on: Option<DateTime<Utc>>,
    reason: Option<String>,
    #[serde(default)]
    points_deduction_break_up_details: Vec<Deduction>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Deduction {
    loyalty_id: Option<i64>,
    program_id: Option<i64>,
    program_name: Option<String>,
    promotion_id: Option<i64>,
    promotion_name: Option<String>,
    point_awarded_ref_type: Option<String>,
    point_awarded_ref_id: Option<i64>,
    deduction_type: Option<String>,
    points_deducted: String,
    points_deducted_currency_value: String,
    points_deducted_on: Option<DateTime<Utc>>,
    points_deducted_by: Option<String>,
    points_deducted_by_id: Option<i64>,
    source_type: Option<String>,
    awarded_till_id: Option<i64>,
    awarded_till_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Voucher {
    voucher_series_id: Option<i64>,
    redeemed_voucher_code: Option<String>,
    redeem_date: Option<DateTime<Utc>>,
}

/// A legacy time and its ISO twin.
fn stamp(instant: Option<DateTime<Utc>>, zone: Tz, legacy: fn(DateTime<Utc>, Tz) -> String) -> (Option<String>, Option<String>) {
    (instant.map(|at| legacy(at, zone)), instant.map(|at| time::iso_twin(at, zone)))
}

/// An amount as a number and as three-decimal text; text that is no amount stays as written.
fn amount(text: &str) -> (Number, String) {
    match Decimal::parse(text) {
        Some(value) => (value.as_written(), value.three_places()),
        None => (Number::from(0), text.to_owned()),
    }
}

pub fn manual_points_adjustment(row: &EventRow, details: Value, zone: Tz) -> Option<ManualPointsAdjustmentDetails> {
    let adjustment: Adjustment = serde_json::from_value(details).ok()?;
    let (created_on, created_on_iso) = stamp(adjustment.created_on, zone, time::plain_seconds);
    let deductions = adjustment
        .points_deduction_break_up_details
        .into_iter()
        .map(|deduction| {
            let (points, points_text) = amount(&deduction.points_deducted);
            let (value, value_text) = amount(&deduction.points_deducted_currency_value);
            let (deducted_on, deducted_on_iso) = stamp(deduction.points_deducted_on, zone, time::java_timestamp);
            let (till_date, till_date_iso) = stamp(deduction.awarded_till_date, zone, time::java_timestamp);
            PointsDeduction {
                customer_id: row.customer_id,
                loyalty_id: deduction.loyalty_id,
                program_id: deduction.program_id,
                program_name: deduction.program_name,
                promotion_id: deduction.promotion_id,
                promotion_name: deduction.promotion_name,
                point_awarded_ref_type: deduction.point_awarded_ref_type,
                point_awarded_ref_id: deduction.point_awarded_ref_id,
                deduction_type: deduction.deduction_type,
                points_deducted: points,
                points_deducted_str: points_text,
                points_deducted_currency_value: value,
                points_deducted_currency_value_str: value_text,
                points_deducted_on: deducted_on,
                points_deducted_on_iso: deducted_on_iso,
                points_deducted_by: deduction.points_deducted_by,
                points_deducted_by_id: deduction.points_deducted_by_id,
                source_type: deduction.source_type,
                awarded_till_id: deduction.awarded_till_id,
                awarded_till_date: till_date,
                awarded_till_date_iso: till_date_iso,
            }
        })
        .collect();
    Some(ManualPointsAdjustmentDetails {
        org_id: row.org_id,
        customer_id: row.customer_id,
        total_points_deducted: amount(&adjustment.total_points_deducted).1,
        created_on,
        created_on_iso,
        reason: adjustment.reason,
        points_deduction_break_up_details: deductions,
    })
}

/// The voucher issued id is the event's reference id.
pub fn voucher_redemption(row: &EventRow, details: Value, zone: Tz) -> Option<VoucherRedemptionDetails> {
    let voucher: Voucher = serde_json::from_value(details).ok()?;
    Some(VoucherRedemptionDetails {
        voucher_issued_id: row.event_reference_id.as_deref().and_then(|id| id.parse().ok()),
        voucher_series_id: voucher.voucher_series_id,
        redeemed_voucher_code: voucher.redeemed_voucher_code,
        redeem_date: voucher.redeem_date.map(|at| time::java_timestamp(at, zone)),
    })
}
