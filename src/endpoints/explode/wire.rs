//! The response objects of getLedgerExplodeInfo, named and ordered as Capillary prints them.
//! Absent data is left out rather than sent as null, as in the documents' samples; a field that
//! is asked for but empty is `Some(None)` (sent as null).

use serde::Serialize;
use serde_json::{Number, Value};
use serde_with::skip_serializing_none;

use crate::model::CompletionSource;

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerExplodeInfo {
    pub events: Vec<Event>,
    pub warnings: Vec<Warning>,
}

/// A warning in the success body: an error item's fields, in the order the current page's
/// samples print them.
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Warning {
    pub code: i64,
    pub message: String,
    pub status: bool,
}

impl Warning {
    pub fn of(code: crate::http::error::ErrorCode, detail: &str) -> Warning {
        Warning { status: false, code: code.number, message: format!("{}{detail}", code.message) }
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_log_id: i64,
    pub event_name: String,
    pub event_details: EventDetails,
    pub target_completed_details: Option<TargetCompletedDetails>,
    pub bill_details: Option<BillDetails>,
    #[schema(value_type = Option<Vec<CustomField>>)]
    pub custom_fields: Option<Vec<Value>>,
    pub extended_fields: Option<Vec<Value>>,
    pub payment_modes: Option<Vec<String>>,
    /// `Some(None)`: asked for, but no line item has delayed accrual.
    pub max_conversion_date: Option<Option<String>>,
    pub point_in_time_slabs: Option<Vec<PointInTimeSlab>>,
    pub points_earned: Option<PointsEarned>,
    pub points_earned_breakup: Option<PointsEarnedBreakup>,
    pub alternate_currency_value_earned: Option<Vec<AlternateCurrencyPoints>>,
    pub alternate_currency_value_earned_breakup: Option<Vec<AlternateCurrencyBreakup>>,
    #[schema(value_type = Option<super::metadata::BehavioralEventMetadata>)]
    pub behavioral_event_metadata: Option<Value>,
    pub transferred_from: Option<TransferParty>,
    pub transferred_to: Option<TransferParty>,
    pub notes: Option<String>,
    pub points_breakup: Option<Vec<ProgramPoints>>,
    #[schema(value_type = Option<super::metadata::ImportMeta>)]
    pub import_meta: Option<Value>,
    pub event_reference_id: Option<String>,
    pub unique_id: Option<String>,
    pub manual_points_adjustment_details: Option<ManualPointsAdjustmentDetails>,
    pub voucher_redemption_details: Option<VoucherRedemptionDetails>,
    /// v2.1 only.
    pub org_id: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    pub event_display_name: Option<Value>,
    pub event_time: Option<String>,
    #[serde(rename = "eventTimeISO")]
    pub event_time_iso: Option<String>,
    pub till_id: Option<i64>,
    pub display_name: Option<Value>,
    pub reason: Option<Value>,
    pub comments: Option<Value>,
    pub assoc_id: Option<Value>,
    pub request_id: Option<Value>,
    pub redemption_details: Option<RedemptionDetails>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedemptionDetails {
    pub points_redeemed: String,
    pub redemption_purpose: Option<String>,
    pub transaction_number: Option<String>,
    pub billing_time: Option<String>,
    #[serde(rename = "billingTimeISO")]
    pub billing_time_iso: Option<String>,
    pub external_reference_number: Option<String>,
    pub redemption_id: Option<String>,
    pub notes: Option<String>,
    pub group_redemption: bool,
}

/// Points by kind. Each list is left out where the event kind does not report it.
#[skip_serializing_none]
#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct PointsEarned {
    pub regular: Option<Vec<RegularPoints>>,
    pub promo: Option<Vec<PromoPoints>>,
    pub promised: Option<Vec<PromisedPoints>>,
}

/// One alternate currency's awards, apart from the points (the current page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlternateCurrencyPoints {
    #[serde(flatten)]
    pub points: PointsEarned,
    pub alternate_currency_name: String,
    pub alternate_currency_identifier: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlternateCurrencyBreakup {
    #[serde(flatten)]
    pub breakup: PointsEarnedBreakup,
    pub alternate_currency_name: String,
    pub alternate_currency_identifier: String,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegularPoints {
    #[schema(value_type = f64)]
    pub value: Number,
    pub expires_on: Option<String>,
    #[serde(rename = "expiresOnISO")]
    pub expires_on_iso: Option<String>,
    pub program_id: i64,
    pub program_name: String,
    #[schema(value_type = Option<f64>)]
    pub return_points: Option<Number>,
    pub expiry_type: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromoPoints {
    pub promotion_id: Option<i64>,
    pub promotion_name: Option<String>,
    pub program_id: i64,
    pub program_name: String,
    #[schema(value_type = f64)]
    pub value: Number,
    pub expires_on: Option<String>,
    #[serde(rename = "expiresOnISO")]
    pub expires_on_iso: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub returned_points: Option<Number>,
    pub expiry_type: Option<String>,
    pub promotion_start_date: Option<String>,
    pub promotion_end_date: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromisedPoints {
    #[schema(value_type = f64)]
    pub value: Number,
    pub conversion_date: Option<String>,
    pub program_id: i64,
    pub program_name: String,
    pub promotion_id: Option<i64>,
    pub promotion_name: Option<String>,
}

/// Awards with how they were made: regular holds regular and promotional points (the latter with
/// their promotion), promised the delayed accrual.
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointsEarnedBreakup {
    pub regular: Vec<BreakupEntry>,
    pub promised: Vec<BreakupEntry>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakupEntry {
    #[schema(value_type = f64)]
    pub value: Number,
    pub expires_on: Option<String>,
    #[serde(rename = "expiresOnISO")]
    pub expires_on_iso: Option<String>,
    pub conversion_date: Option<String>,
    pub awarded_on: Option<String>,
    #[serde(rename = "awardedOnISO")]
    pub awarded_on_iso: Option<String>,
    pub source_value: Option<Value>,
    pub award_action_details: Option<Value>,
    pub program_id: i64,
    pub program_name: String,
    pub allocation_strategy_id: Option<i64>,
    pub allocation_strategy_name: Option<String>,
    pub points_category_id: Option<i64>,
    pub points_category_name: Option<String>,
    pub expiry_strategy_id: Option<i64>,
    pub expiry_strategy_name: Option<String>,
    pub promotion_details: Option<PromotionDetails>,
    #[schema(value_type = Option<f64>)]
    pub return_points: Option<Number>,
    pub expiry_type: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotionDetails {
    pub promotion_id: i64,
    pub promotion_name: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetCompletedDetails {
    #[serde(rename = "targetGroupID")]
    pub target_group_id: i64,
    pub target_group_name: String,
    pub target_id: Option<i64>,
    pub target_name: Option<String>,
    pub target_description: Option<String>,
    #[serde(rename = "targetPeriodID")]
    pub target_period_id: Option<i64>,
    pub target_period_name: Option<String>,
    pub target_value: Option<String>,
    pub achieved_value: Option<String>,
    pub trigger_value: Option<String>,
    pub source_id: i64,
    pub source_type: CompletionSource,
    pub points_earned: PointsEarned,
    pub points_earned_breakup: Option<PointsEarnedBreakup>,
    pub mile_stone_name: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BillDetails {
    #[serde(rename = "type")]
    pub bill_type: Option<String>,
    pub bill_number: String,
    #[schema(value_type = Option<f64>)]
    pub gross_amount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub bill_amount: Option<Number>,
    pub note: Option<String>,
    pub source: Option<String>,
    pub return_date: Option<String>,
    #[serde(rename = "returnDateISO")]
    pub return_date_iso: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub return_amount: Option<Number>,
    pub bill_date: Option<String>,
    #[serde(rename = "billDateISO")]
    pub bill_date_iso: Option<String>,
    pub return_type: Option<String>,
    pub return_bill_id: Option<i64>,
    /// Left out when only the breakup was asked for (`getPointsEarnedBreakup` without
    /// `getBillDetails`), as the current page's sample shows.
    pub points_earned: Option<PointsEarned>,
    pub points_earned_breakup: Option<PointsEarnedBreakup>,
    pub alternate_currency_value_earned: Option<Vec<AlternateCurrencyPoints>>,
    pub alternate_currency_value_earned_breakup: Option<Vec<AlternateCurrencyBreakup>>,
    pub line_items: Vec<LineItem>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub id: i64,
    pub item_code: String,
    pub source: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub gross_amount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub rate: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub qty: Option<Number>,
    pub serial_number: Option<i32>,
    #[schema(value_type = Option<f64>)]
    pub return_amount: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub return_rate: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub return_qty: Option<Number>,
    #[schema(value_type = Option<f64>)]
    pub return_value: Option<Number>,
    /// Left out for an item that earned nothing (the current page's bill sample).
    pub points_earned: Option<PointsEarned>,
    pub points_earned_breakup: Option<PointsEarnedBreakup>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointInTimeSlab {
    pub point_in_time_slab_number: i32,
    pub point_in_time_slab_name: String,
    pub program_id: i64,
    pub is_default_program: bool,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferParty {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub transfer_type: String,
    pub points_transfer_details: Vec<ProgramPoints>,
}

/// Points per program, all as strings, as Capillary prints them for redemptions and transfers.
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgramPoints {
    pub points: String,
    pub program_id: String,
    pub program_name: String,
}

/// A ManualPointsAdjustment's deduction (2026 page).
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManualPointsAdjustmentDetails {
    pub org_id: i64,
    pub customer_id: Option<i64>,
    pub total_points_deducted: String,
    pub created_on: Option<String>,
    #[serde(rename = "createdOnISO")]
    pub created_on_iso: Option<String>,
    pub reason: Option<String>,
    pub points_deduction_break_up_details: Vec<PointsDeduction>,
}

/// One award a manual adjustment took points from.
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsDeduction {
    pub customer_id: Option<i64>,
    pub loyalty_id: Option<i64>,
    pub program_id: Option<i64>,
    pub program_name: Option<String>,
    pub promotion_id: Option<i64>,
    pub promotion_name: Option<String>,
    pub point_awarded_ref_type: Option<String>,
    pub point_awarded_ref_id: Option<i64>,
    pub deduction_type: Option<String>,
    #[schema(value_type = f64)]
    pub points_deducted: Number,
    pub points_deducted_str: String,
    #[schema(value_type = f64)]
    pub points_deducted_currency_value: Number,
    pub points_deducted_currency_value_str: String,
    pub points_deducted_on: Option<String>,
    #[serde(rename = "pointsDeductedOnISO")]
    pub points_deducted_on_iso: Option<String>,
    pub points_deducted_by: Option<String>,
    pub points_deducted_by_id: Option<i64>,
    pub source_type: Option<String>,
    pub awarded_till_id: Option<i64>,
    pub awarded_till_date: Option<String>,
    #[serde(rename = "awardedTillDateISO")]
    pub awarded_till_date_iso: Option<String>,
}

/// A VoucherRedemption's voucher (2026 page); `redeemDate` has no ISO twin in any sample.
#[skip_serializing_none]
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoucherRedemptionDetails {
    pub voucher_issued_id: Option<i64>,
    pub voucher_series_id: Option<i64>,
    pub redeemed_voucher_code: Option<String>,
    pub redeem_date: Option<String>,
}

/// A custom field as the fixtures hold it and Capillary prints it (the document's description;
/// the answer carries the stored object).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CustomField {
    name: String,
    value: Value,
}
