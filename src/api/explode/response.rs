//! The response objects of getLedgerExplodeInfo, named and ordered as Capillary prints them, and
//! how an event's rows become one. Absent data is left out rather than sent as null, as in the
//! documents' samples.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::request::Blocks;
use crate::repo::events::{AwardRow, BillRow, CompletionRow, EventRow, LineItemRow, ProgramPointsRow, RedemptionRow, SlabRow, TransferRow};

#[derive(Debug, Serialize)]
pub struct LedgerExplodeInfo {
    pub events: Vec<Event>,
    pub warnings: Vec<Warning>,
}

/// A warning in the success body; the same shape as an error item.
#[derive(Debug, Serialize)]
pub struct Warning {
    pub status: bool,
    pub code: i64,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    event_log_id: i64,
    event_name: String,
    event_details: EventDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_completed_details: Option<TargetCompletedDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bill_details: Option<BillDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_fields: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_modes: Option<Vec<String>>,
    /// `Some(None)`: asked for, but no line item has delayed accrual.
    #[serde(skip_serializing_if = "Option::is_none")]
    max_conversion_date: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point_in_time_slabs: Option<Vec<PointInTimeSlab>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned: Option<PointsEarned>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned_breakup: Option<PointsEarnedBreakup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    behavioral_event_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transferred_from: Option<TransferParty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transferred_to: Option<TransferParty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_breakup: Option<Vec<ProgramPoints>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_meta: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_reference_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unique_id: Option<String>,
    /// v2.1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    org_id: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    event_display_name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    till_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comments: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assoc_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redemption_details: Option<RedemptionDetails>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RedemptionDetails {
    points_redeemed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    redemption_purpose: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redemption_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_reference_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    group_redemption: bool,
}

/// Points by kind. Each list is left out where the event kind does not report it.
#[derive(Debug, Serialize, Default)]
struct PointsEarned {
    #[serde(skip_serializing_if = "Option::is_none")]
    regular: Option<Vec<RegularPoints>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promo: Option<Vec<PromoPoints>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promised: Option<Vec<PromisedPoints>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AlternateCurrency {
    alternate_currency_identifier: String,
    alternate_currency_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RegularPoints {
    value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_on: Option<String>,
    program_id: i64,
    program_name: String,
    #[serde(flatten)]
    alternate_currency: Option<AlternateCurrency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_points: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_type: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PromoPoints {
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_name: Option<String>,
    program_id: i64,
    program_name: String,
    #[serde(flatten)]
    alternate_currency: Option<AlternateCurrency>,
    value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    returned_points: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_end_date: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PromisedPoints {
    value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion_date: Option<String>,
    program_id: i64,
    program_name: String,
    #[serde(flatten)]
    alternate_currency: Option<AlternateCurrency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_name: Option<String>,
}

/// Awards with how they were made: regular holds regular and promotional points (the latter with
/// their promotion), promised the delayed accrual.
#[derive(Debug, Serialize)]
struct PointsEarnedBreakup {
    regular: Vec<BreakupEntry>,
    promised: Vec<BreakupEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BreakupEntry {
    value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    awarded_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    award_action_details: Option<Value>,
    program_id: i64,
    program_name: String,
    #[serde(flatten)]
    alternate_currency: Option<AlternateCurrency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocation_strategy_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocation_strategy_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_category_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_category_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_strategy_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_strategy_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_details: Option<PromotionDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_points: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_type: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PromotionDetails {
    promotion_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetCompletedDetails {
    #[serde(rename = "targetGroupID")]
    target_group_id: i64,
    target_group_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_description: Option<String>,
    #[serde(rename = "targetPeriodID", skip_serializing_if = "Option::is_none")]
    target_period_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_period_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    achieved_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger_value: Option<String>,
    source_id: i64,
    source_type: String,
    points_earned: PointsEarned,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned_breakup: Option<PointsEarnedBreakup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mile_stone_name: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BillDetails {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    bill_type: Option<String>,
    bill_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    gross_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bill_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bill_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_bill_id: Option<i64>,
    points_earned: PointsEarned,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned_breakup: Option<PointsEarnedBreakup>,
    line_items: Vec<LineItem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LineItem {
    id: i64,
    item_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gross_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qty: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_rate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_qty: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_value: Option<Decimal>,
    points_earned: PointsEarned,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned_breakup: Option<PointsEarnedBreakup>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PointInTimeSlab {
    point_in_time_slab_number: i32,
    point_in_time_slab_name: String,
    program_id: i64,
    is_default_program: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferParty {
    user_id: String,
    first_name: String,
    last_name: String,
    transfer_type: String,
    points_transfer_details: Vec<ProgramPoints>,
}

/// Points per program, all as strings, as Capillary prints them for redemptions and transfers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgramPoints {
    points: String,
    program_id: String,
    program_name: String,
}

/// A decimal with the digits it was stored with: a whole number stays one (`100`), a fraction
/// keeps its point (`100.0`, `1541.053`).
#[derive(Debug, Clone, PartialEq)]
struct Decimal(String);

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Ok(whole) = self.0.parse::<i64>() {
            serializer.serialize_i64(whole)
        } else if let Ok(fraction) = self.0.parse::<f64>() {
            serializer.serialize_f64(fraction)
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

fn decimal(text: &Option<String>) -> Option<Decimal> {
    text.clone().map(Decimal)
}

/// `yyyy-MM-dd HH:mm:ss.S` in the org's time zone, the fraction as Java's Timestamp prints it.
pub fn capillary_time(instant: DateTime<Utc>, zone: Tz) -> String {
    let local = instant.with_timezone(&zone);
    let nanos = local.nanosecond() % 1_000_000_000;
    let fraction = if nanos == 0 { "0".to_owned() } else { format!("{nanos:09}").trim_end_matches('0').to_owned() };
    format!("{}.{fraction}", local.format("%Y-%m-%d %H:%M:%S"))
}

/// The kinds whose shape the documents show; every other event name is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TransactionAdd,
    ReturnBill,
    GenericEvent,
    Goodwill,
    TargetCompleted,
    PointsTransfer,
    PointsRedemption,
    PromotionImport,
    Other,
}

impl Kind {
    fn of(event_name: &str) -> Kind {
        match event_name {
            "TransactionAdd" => Kind::TransactionAdd,
            "ReturnBill" => Kind::ReturnBill,
            "GenericEvent" => Kind::GenericEvent,
            "AllocateGoodwillPoints" => Kind::Goodwill,
            "TargetCompleted" => Kind::TargetCompleted,
            "PointsTransfer" => Kind::PointsTransfer,
            "PointsRedemption" => Kind::PointsRedemption,
            "CustomerPromotionImport" => Kind::PromotionImport,
            _ => Kind::Other,
        }
    }

    fn has_bill(self) -> bool {
        matches!(self, Kind::TransactionAdd | Kind::ReturnBill)
    }

    /// Points reported at the top of the event; bills report theirs in billDetails, targets in
    /// targetCompletedDetails, and redemptions and transfers move points rather than earn them.
    fn has_top_level_points(self) -> bool {
        !matches!(self, Kind::TransactionAdd | Kind::ReturnBill | Kind::TargetCompleted | Kind::PointsTransfer | Kind::PointsRedemption)
    }
}

/// Everything loaded for a page of events, by event.
#[derive(Debug, Default)]
pub struct EventData {
    pub awards: HashMap<i64, Vec<AwardRow>>,
    pub bills: HashMap<i64, BillRow>,
    pub line_items: HashMap<i64, Vec<LineItemRow>>,
    pub payment_modes: HashMap<i64, Vec<String>>,
    pub slabs: HashMap<i64, Vec<SlabRow>>,
    pub completions: HashMap<i64, CompletionRow>,
    pub redemptions: HashMap<i64, RedemptionRow>,
    pub program_points: HashMap<i64, Vec<ProgramPointsRow>>,
    pub transfers: HashMap<i64, TransferRow>,
}

/// How to render one event.
pub struct Rendering<'a> {
    pub blocks: Blocks,
    pub zone: Tz,
    /// v2.1: every event carries its org.
    pub with_org_id: bool,
    pub data: &'a EventData,
}

impl Rendering<'_> {
    pub fn event(&self, row: &EventRow) -> Event {
        let kind = Kind::of(&row.event_name);
        let id = row.event_log_id;
        let awards: &[AwardRow] = self.data.awards.get(&id).map(Vec::as_slice).unwrap_or_default();
        let detail = |key: &str| row.details.get(key).filter(|value| !value.is_null()).cloned();
        let blocks = self.blocks;

        let bill = if kind.has_bill() && blocks.bill_details { self.data.bills.get(&id).map(|bill| self.bill(bill, awards)) } else { None };
        let fields_list = |key: &str| match detail(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let top_level_points = kind.has_top_level_points().then(|| self.points_earned(awards.iter(), Lists::All));
        let top_level_breakup = (kind.has_top_level_points() && blocks.points_earned_breakup).then(|| self.breakup(awards.iter()));
        let transfer = (kind == Kind::PointsTransfer).then(|| self.data.transfers.get(&id)).flatten();

        Event {
            event_log_id: id,
            event_name: row.event_name.clone(),
            event_details: self.event_details(row, kind),
            target_completed_details: (kind == Kind::TargetCompleted)
                .then(|| self.data.completions.get(&id).map(|completion| self.target_completed(completion, awards)))
                .flatten(),
            bill_details: bill,
            custom_fields: blocks.custom_fields.then(|| fields_list("customFields")),
            extended_fields: blocks.extended_fields.then(|| fields_list("extendedFields")),
            payment_modes: (kind.has_bill() && blocks.payment_modes).then(|| self.data.payment_modes.get(&id).cloned().unwrap_or_default()),
            max_conversion_date: (kind == Kind::TransactionAdd && blocks.max_conversion_details).then(|| {
                awards
                    .iter()
                    .filter(|award| award.award_type == "promised")
                    .filter_map(|award| award.conversion_date)
                    .max()
                    .map(|date| self.time(date))
            }),
            point_in_time_slabs: (kind == Kind::TransactionAdd && blocks.bill_details).then(|| self.slabs(id)),
            points_earned: top_level_points,
            points_earned_breakup: top_level_breakup,
            behavioral_event_metadata: (kind == Kind::GenericEvent)
                .then(|| detail("behavioralEventMetadata").map(behavioral_event_metadata))
                .flatten(),
            transferred_from: transfer.map(|transfer| self.transfer_party(transfer, "FROM")),
            transferred_to: transfer.map(|transfer| self.transfer_party(transfer, "TO")),
            notes: transfer.and_then(|transfer| transfer.notes.clone()),
            points_breakup: (kind == Kind::PointsRedemption).then(|| self.program_points(id, None)),
            import_meta: (kind == Kind::PromotionImport).then(|| detail("importMeta").map(|meta| self.import_meta(meta))).flatten(),
            event_reference_id: row.event_reference_id.clone(),
            unique_id: row.unique_id.clone(),
            org_id: self.with_org_id.then_some(row.org_id),
        }
    }

    fn time(&self, instant: DateTime<Utc>) -> String {
        capillary_time(instant, self.zone)
    }

    fn event_details(&self, row: &EventRow, kind: Kind) -> EventDetails {
        let detail = |key: &str| row.details.get(key).filter(|value| !value.is_null()).cloned();
        let goodwill = kind == Kind::Goodwill;
        // Behavioural and imported events carry their display name instead of a time; an import
        // has no till, which Capillary reports as -1.
        let timeless = matches!(kind, Kind::GenericEvent | Kind::PromotionImport);
        let till_id = match (row.till_id, kind) {
            (None, Kind::PromotionImport) => Some(-1),
            (till, _) => till,
        };
        EventDetails {
            event_display_name: detail("eventDisplayName"),
            event_time: (!timeless).then(|| self.time(row.event_time)),
            till_id,
            display_name: detail("displayName"),
            reason: goodwill.then(|| detail("reason")).flatten(),
            comments: goodwill.then(|| detail("comments")).flatten(),
            assoc_id: goodwill.then(|| detail("assocId")).flatten(),
            request_id: if goodwill { row.request_id.as_deref().map(number_or_text) } else { None },
            redemption_details: (kind == Kind::PointsRedemption)
                .then(|| self.data.redemptions.get(&row.event_log_id).map(|redemption| self.redemption(redemption)))
                .flatten(),
        }
    }

    fn redemption(&self, row: &RedemptionRow) -> RedemptionDetails {
        RedemptionDetails {
            points_redeemed: row.points_redeemed.clone(),
            redemption_purpose: row.redemption_purpose.clone(),
            transaction_number: row.transaction_number.clone(),
            redemption_id: row.redemption_id.clone(),
            billing_time: row.billing_time.map(|time| self.time(time)),
            external_reference_number: row.external_reference_number.clone(),
            notes: row.notes.clone(),
            group_redemption: row.group_redemption,
        }
    }

    fn points_earned<'r>(&self, awards: impl Iterator<Item = &'r AwardRow> + Clone, lists: Lists) -> PointsEarned {
        let of_type = |award_type: &'static str| awards.clone().filter(move |award| award.award_type == award_type);
        let regular: Vec<RegularPoints> = of_type("regular")
            .map(|award| RegularPoints {
                value: Decimal(award.value.clone()),
                expires_on: award.expires_on.map(|time| self.time(time)),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
                alternate_currency: alternate_currency(award),
                return_points: decimal(&award.return_points),
                expiry_type: award.expiry_type.clone(),
            })
            .collect();
        let promo: Vec<PromoPoints> = of_type("promo")
            .map(|award| PromoPoints {
                promotion_id: award.promotion_id,
                promotion_name: award.promotion_name.clone(),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
                alternate_currency: alternate_currency(award),
                value: Decimal(award.value.clone()),
                expires_on: award.expires_on.map(|time| self.time(time)),
                returned_points: decimal(&award.return_points),
                expiry_type: award.expiry_type.clone(),
                promotion_start_date: award.promotion_start_date.map(|time| self.time(time)),
                promotion_end_date: award.promotion_end_date.map(|time| self.time(time)),
            })
            .collect();
        let promised: Vec<PromisedPoints> = of_type("promised")
            .map(|award| PromisedPoints {
                value: Decimal(award.value.clone()),
                conversion_date: award.conversion_date.map(|time| self.time(time)),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
                alternate_currency: alternate_currency(award),
                promotion_id: award.promotion_id,
                promotion_name: award.promotion_name.clone(),
            })
            .collect();
        match lists {
            Lists::All => PointsEarned { regular: Some(regular), promo: Some(promo), promised: Some(promised) },
            // A target's completion always reports its promised points, and the others only
            // when it earned some (as the documents' TargetCompleted samples show).
            Lists::PromisedAndEarned => PointsEarned {
                regular: (!regular.is_empty()).then_some(regular),
                promo: (!promo.is_empty()).then_some(promo),
                promised: Some(promised),
            },
        }
    }

    fn breakup<'r>(&self, awards: impl Iterator<Item = &'r AwardRow>) -> PointsEarnedBreakup {
        let (promised, regular): (Vec<&AwardRow>, Vec<&AwardRow>) = awards.partition(|award| award.award_type == "promised");
        let entry = |award: &AwardRow| BreakupEntry {
            value: Decimal(award.awarded_value.clone()),
            expires_on: award.expires_on.map(|time| self.time(time)),
            conversion_date: award.conversion_date.map(|time| self.time(time)),
            awarded_on: award.awarded_on.map(|time| self.time(time)),
            source_value: award.source_value.clone(),
            award_action_details: award.award_action_details.clone(),
            program_id: award.program_id,
            program_name: award.program_name.clone(),
            alternate_currency: alternate_currency(award),
            allocation_strategy_id: award.allocation_strategy_id,
            allocation_strategy_name: award.allocation_strategy_name.clone(),
            points_category_id: award.points_category_id,
            points_category_name: award.points_category_name.clone(),
            expiry_strategy_id: award.expiry_strategy_id,
            expiry_strategy_name: award.expiry_strategy_name.clone(),
            promotion_details: award
                .promotion_id
                .map(|promotion_id| PromotionDetails { promotion_id, promotion_name: award.promotion_name.clone() }),
            return_points: decimal(&award.return_points),
            expiry_type: award.expiry_type.clone(),
        };
        PointsEarnedBreakup { regular: regular.into_iter().map(entry).collect(), promised: promised.into_iter().map(entry).collect() }
    }

    fn bill(&self, bill: &BillRow, awards: &[AwardRow]) -> BillDetails {
        let id = bill.event_log_id;
        let bill_level = awards.iter().filter(|award| award.line_item_id.is_none());
        let with_breakup = self.blocks.points_earned_breakup;
        let line_items = self.data.line_items.get(&id).map(Vec::as_slice).unwrap_or_default();
        BillDetails {
            bill_type: bill.bill_type.clone(),
            bill_number: bill.bill_number.clone(),
            gross_amount: decimal(&bill.gross_amount),
            discount: decimal(&bill.discount),
            bill_amount: decimal(&bill.bill_amount),
            note: bill.note.clone(),
            source: bill.source.clone(),
            return_date: bill.return_date.map(|time| self.time(time)),
            return_amount: decimal(&bill.return_amount),
            bill_date: bill.bill_date.map(|time| self.time(time)),
            return_type: bill.return_type.clone(),
            return_bill_id: bill.return_bill_id,
            points_earned: self.points_earned(bill_level.clone(), Lists::All),
            points_earned_breakup: with_breakup.then(|| self.breakup(bill_level)),
            line_items: line_items
                .iter()
                .map(|item| {
                    let of_item = awards.iter().filter(|award| award.line_item_id == Some(item.line_item_id));
                    LineItem {
                        id: item.line_item_id,
                        item_code: item.item_code.clone(),
                        source: item.source.clone(),
                        gross_amount: decimal(&item.gross_amount),
                        discount: decimal(&item.discount),
                        amount: decimal(&item.amount),
                        rate: decimal(&item.rate),
                        qty: decimal(&item.qty),
                        serial_number: item.serial_number,
                        return_amount: decimal(&item.return_amount),
                        return_rate: decimal(&item.return_rate),
                        return_qty: decimal(&item.return_qty),
                        return_value: decimal(&item.return_value),
                        points_earned: self.points_earned(of_item.clone(), Lists::All),
                        points_earned_breakup: with_breakup.then(|| self.breakup(of_item)),
                    }
                })
                .collect(),
        }
    }

    fn target_completed(&self, completion: &CompletionRow, awards: &[AwardRow]) -> TargetCompletedDetails {
        TargetCompletedDetails {
            target_group_id: completion.target_group_id,
            target_group_name: completion.target_group_name.clone(),
            target_id: completion.target_id,
            target_name: completion.target_name.clone(),
            target_description: completion.target_description.clone(),
            target_period_id: completion.target_period_id,
            target_period_name: completion.target_period_name.clone(),
            target_value: completion.target_value.clone(),
            achieved_value: completion.achieved_value.clone(),
            trigger_value: completion.trigger_value.clone(),
            source_id: completion.source_id,
            source_type: completion.source_type.clone(),
            points_earned: self.points_earned(awards.iter(), Lists::PromisedAndEarned),
            points_earned_breakup: self.blocks.points_earned_breakup.then(|| self.breakup(awards.iter())),
            mile_stone_name: completion.milestone_name.clone(),
        }
    }

    fn slabs(&self, event_log_id: i64) -> Vec<PointInTimeSlab> {
        self.data
            .slabs
            .get(&event_log_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|slab| PointInTimeSlab {
                point_in_time_slab_number: slab.slab_number,
                point_in_time_slab_name: slab.slab_name.clone(),
                program_id: slab.program_id,
                is_default_program: slab.is_default_program,
            })
            .collect()
    }

    fn program_points(&self, event_log_id: i64, side: Option<&str>) -> Vec<ProgramPoints> {
        self.data
            .program_points
            .get(&event_log_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|row| row.side.as_deref() == side)
            .map(|row| ProgramPoints {
                points: row.points.clone(),
                program_id: row.program_id.to_string(),
                program_name: row.program_name.clone(),
            })
            .collect()
    }

    fn transfer_party(&self, transfer: &TransferRow, side: &str) -> TransferParty {
        let (customer_id, first_name, last_name) = if side == "FROM" {
            (transfer.from_customer_id, &transfer.from_first_name, &transfer.from_last_name)
        } else {
            (transfer.to_customer_id, &transfer.to_first_name, &transfer.to_last_name)
        };
        TransferParty {
            user_id: customer_id.to_string(),
            first_name: first_name.clone().unwrap_or_default(),
            last_name: last_name.clone().unwrap_or_default(),
            transfer_type: transfer.transfer_type.clone(),
            points_transfer_details: self.program_points(transfer.event_log_id, Some(side)),
        }
    }

    /// The import's metadata in the documents' key order, its times rendered like every other.
    fn import_meta(&self, meta: Value) -> Value {
        let Ok(mut typed) = serde_json::from_value::<ImportMeta>(meta.clone()) else { return meta };
        for time in [&mut typed.import_start_time, &mut typed.import_end_time].into_iter().flatten() {
            if let Ok(instant) = DateTime::parse_from_rfc3339(time) {
                *time = self.time(instant.with_timezone(&Utc));
            }
        }
        serde_json::to_value(typed).unwrap_or(meta)
    }
}

/// `details.importMeta` of a CustomerPromotionImport; times as RFC 3339.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_type: Option<String>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

/// `details.behavioralEventMetadata` of a GenericEvent: the event's definition. Typed so that
/// keys come out in the documents' order (jsonb keeps its own); attributes alphabetically.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BehavioralEventMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(default)]
    fields: Vec<BehavioralField>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BehavioralField {
    field_name: String,
    field_type: String,
    #[serde(default)]
    attributes: BTreeMap<String, FieldAttribute>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldAttribute {
    #[serde(skip_serializing_if = "Option::is_none")]
    value_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

fn behavioral_event_metadata(metadata: Value) -> Value {
    serde_json::from_value::<BehavioralEventMetadata>(metadata.clone()).and_then(serde_json::to_value).unwrap_or(metadata)
}

#[derive(Debug, Clone, Copy)]
enum Lists {
    All,
    PromisedAndEarned,
}

fn alternate_currency(award: &AwardRow) -> Option<AlternateCurrency> {
    Some(AlternateCurrency {
        alternate_currency_identifier: award.alternate_currency_identifier.clone()?,
        alternate_currency_name: award.alternate_currency_name.clone()?,
    })
}

/// A stored id as the number Capillary prints, or the text when it is not one.
fn number_or_text(text: &str) -> Value {
    text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(text.to_owned()))
}
