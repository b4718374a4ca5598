//! How an event's rows become the event Capillary prints: which blocks each kind reports, and
//! how its amounts and times are written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::{
    adjustments, alternate_currencies,
    metadata::{ImportMeta, behavioral_event_metadata},
    request::Blocks,
    wire::*,
};
use crate::{
    model::{AwardType, Decimal, EventKind, TransferSide, time},
    store::{
        completions::TargetCompletion,
        events::{BillRow, EventRow, LineItemRow, ProgramPointsRow, RedemptionRow, SlabRow, TransferRow},
        ledger::AwardRow,
    },
};

/// Points reported at the top of the event; bills report theirs in billDetails, targets in
/// targetCompletedDetails, and redemptions and transfers move points rather than earn them.
fn has_top_level_points(kind: Option<EventKind>) -> bool {
    !matches!(
        kind,
        Some(
            EventKind::TransactionAdd
                | EventKind::ReturnBill
                | EventKind::TargetCompleted
                | EventKind::PointsTransfer
                | EventKind::PointsRedemption
                | EventKind::ManualPointsAdjustment
        )
    )
}

/// Everything loaded for a page of events, by event.
#[derive(Debug, Default)]
pub struct EventData {
    pub awards: HashMap<i64, Vec<AwardRow>>,
    pub bills: HashMap<i64, BillRow>,
    pub line_items: HashMap<i64, Vec<LineItemRow>>,
    pub payment_modes: HashMap<i64, Vec<String>>,
    pub slabs: HashMap<i64, Vec<SlabRow>>,
    pub completions: HashMap<i64, TargetCompletion>,
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
        let kind = row.kind();
        let has_bill = kind.is_some_and(EventKind::has_bill);
        let id = row.event_log_id;
        let awards: &[AwardRow] = self.data.awards.get(&id).map(Vec::as_slice).unwrap_or_default();
        let detail = |key: &str| row.details.get(key).filter(|value| !value.is_null()).cloned();
        let blocks = self.blocks;

        // The current page: getPointsEarnedBreakup alone still reports the bill, with its header
        // and the breakup only.
        let bill = if has_bill && (blocks.bill_details || blocks.points_earned_breakup) {
            self.data.bills.get(&id).map(|bill| self.bill(bill, awards))
        } else {
            None
        };
        let fields_list = |key: &str| match detail(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let (points, currencies) = alternate_currencies::split(awards.iter());
        let top_level = has_top_level_points(kind);
        let top_level_points = top_level.then(|| self.points_earned(points.iter().copied(), Lists::All));
        let top_level_breakup = (top_level && blocks.points_earned_breakup).then(|| self.breakup(points.iter().copied()));
        let transfer = (kind == Some(EventKind::PointsTransfer)).then(|| self.data.transfers.get(&id)).flatten();

        Event {
            event_log_id: id,
            event_name: row.event_name.clone(),
            event_details: self.event_details(row, kind),
            target_completed_details: (kind == Some(EventKind::TargetCompleted))
                .then(|| self.data.completions.get(&id).map(|completion| self.target_completed(completion, awards)))
                .flatten(),
            bill_details: bill,
            custom_fields: blocks.custom_fields.then(|| fields_list("customFields")),
            extended_fields: blocks.extended_fields.then(|| fields_list("extendedFields")),
            payment_modes: (has_bill && blocks.payment_modes).then(|| self.data.payment_modes.get(&id).cloned().unwrap_or_default()),
            max_conversion_date: (kind == Some(EventKind::TransactionAdd) && blocks.max_conversion_details).then(|| {
                awards
                    .iter()
                    .filter(|award| award.award_type == AwardType::Promised)
                    .filter_map(|award| award.conversion_date)
                    .max()
                    .map(|date| self.time(date))
            }),
            point_in_time_slabs: (kind == Some(EventKind::TransactionAdd) && blocks.bill_details).then(|| self.slabs(id)),
            points_earned: top_level_points,
            points_earned_breakup: top_level_breakup,
            alternate_currency_value_earned: top_level.then(|| self.currency_points(&currencies)).flatten(),
            alternate_currency_value_earned_breakup: (top_level && blocks.points_earned_breakup)
                .then(|| self.currency_breakup(&currencies))
                .flatten(),
            behavioral_event_metadata: (kind == Some(EventKind::GenericEvent))
                .then(|| detail("behavioralEventMetadata").map(behavioral_event_metadata))
                .flatten(),
            transferred_from: transfer.map(|transfer| self.transfer_party(transfer, TransferSide::From)),
            transferred_to: transfer.map(|transfer| self.transfer_party(transfer, TransferSide::To)),
            notes: transfer.and_then(|transfer| transfer.notes.clone()),
            points_breakup: (kind == Some(EventKind::PointsRedemption)).then(|| self.program_points(id, None)),
            import_meta: (kind == Some(EventKind::CustomerPromotionImport))
                .then(|| detail("importMeta").map(|meta| self.import_meta(meta)))
                .flatten(),
            event_reference_id: row.event_reference_id.clone(),
            unique_id: row.unique_id.clone(),
            manual_points_adjustment_details: (kind == Some(EventKind::ManualPointsAdjustment))
                .then(|| {
                    detail("manualPointsAdjustmentDetails")
                        .and_then(|details| adjustments::manual_points_adjustment(row, details, self.zone))
                })
                .flatten(),
            voucher_redemption_details: (kind == Some(EventKind::VoucherRedemption))
                .then(|| detail("voucherRedemptionDetails").and_then(|details| adjustments::voucher_redemption(row, details, self.zone)))
                .flatten(),
            org_id: self.with_org_id.then_some(row.org_id),
        }
    }

    pub(super) fn time(&self, instant: DateTime<Utc>) -> String {
        time::java_timestamp(instant, self.zone)
    }

    /// A legacy time's `*ISO` twin (api-docs/current/DIFF.md §1).
    pub(super) fn iso(&self, instant: Option<DateTime<Utc>>) -> Option<String> {
        instant.map(|instant| time::iso_twin(instant, self.zone))
    }

    fn event_details(&self, row: &EventRow, kind: Option<EventKind>) -> EventDetails {
        let detail = |key: &str| row.details.get(key).filter(|value| !value.is_null()).cloned();
        let goodwill = kind == Some(EventKind::AllocateGoodwillPoints);
        // Behavioural and imported events carry their display name instead of a time; an import
        // has no till, which Capillary reports as -1.
        let import = kind.is_some_and(EventKind::is_import);
        let timeless = import || kind == Some(EventKind::GenericEvent);
        let till_id = match row.till_id {
            None if import => Some(-1),
            till => till,
        };
        EventDetails {
            event_display_name: detail("eventDisplayName"),
            event_time: (!timeless).then(|| self.time(row.event_time)),
            event_time_iso: (!timeless).then(|| time::iso_twin(row.event_time, self.zone)),
            till_id,
            display_name: detail("displayName"),
            reason: goodwill.then(|| detail("reason")).flatten(),
            comments: goodwill.then(|| detail("comments")).flatten(),
            assoc_id: goodwill.then(|| detail("assocId")).flatten(),
            request_id: if goodwill { row.request_id.as_deref().map(number_or_text) } else { None },
            // A reversal names the redemption it gave points back for.
            redemption_details: matches!(kind, Some(EventKind::PointsRedemption | EventKind::PointsRedemptionReversal))
                .then(|| self.data.redemptions.get(&row.event_log_id).map(|redemption| self.redemption(redemption)))
                .flatten(),
        }
    }

    fn redemption(&self, row: &RedemptionRow) -> RedemptionDetails {
        RedemptionDetails {
            points_redeemed: row.points_redeemed.three_places(),
            redemption_purpose: row.redemption_purpose.clone(),
            transaction_number: row.transaction_number.clone(),
            billing_time: row.billing_time.map(|time| self.time(time)),
            billing_time_iso: self.iso(row.billing_time),
            external_reference_number: row.external_reference_number.clone(),
            redemption_id: row.redemption_id.clone(),
            notes: row.notes.clone(),
            group_redemption: row.group_redemption,
        }
    }

    pub(super) fn points_earned<'r>(&self, awards: impl Iterator<Item = &'r AwardRow> + Clone, lists: Lists) -> PointsEarned {
        let of_type = |award_type: AwardType| awards.clone().filter(move |award| award.award_type == award_type);
        let regular: Vec<RegularPoints> = of_type(AwardType::Regular)
            .map(|award| RegularPoints {
                value: award.value.as_written(),
                expires_on: award.expires_on.map(|time| self.time(time)),
                expires_on_iso: self.iso(award.expires_on),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
                return_points: award.return_points.map(Decimal::as_written),
                expiry_type: award.expiry_type.clone(),
            })
            .collect();
        let promo: Vec<PromoPoints> = of_type(AwardType::Promo)
            .map(|award| PromoPoints {
                promotion_id: award.promotion_id,
                promotion_name: award.promotion_name.clone(),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
                value: award.value.as_written(),
                expires_on: award.expires_on.map(|time| self.time(time)),
                expires_on_iso: self.iso(award.expires_on),
                returned_points: award.return_points.map(Decimal::as_written),
                expiry_type: award.expiry_type.clone(),
                promotion_start_date: award.promotion_start_date.map(|time| self.time(time)),
                promotion_end_date: award.promotion_end_date.map(|time| self.time(time)),
            })
            .collect();
        let promised: Vec<PromisedPoints> = of_type(AwardType::Promised)
            .map(|award| PromisedPoints {
                value: award.value.as_written(),
                conversion_date: award.conversion_date.map(|time| self.time(time)),
                program_id: award.program_id,
                program_name: award.program_name.clone(),
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

    pub(super) fn breakup<'r>(&self, awards: impl Iterator<Item = &'r AwardRow>) -> PointsEarnedBreakup {
        let (promised, regular): (Vec<&AwardRow>, Vec<&AwardRow>) = awards.partition(|award| award.award_type == AwardType::Promised);
        let entry = |award: &AwardRow| BreakupEntry {
            value: award.awarded_value.as_written(),
            expires_on: award.expires_on.map(|time| self.time(time)),
            expires_on_iso: self.iso(award.expires_on),
            conversion_date: award.conversion_date.map(|time| self.time(time)),
            awarded_on: award.awarded_on.map(|time| self.time(time)),
            awarded_on_iso: self.iso(award.awarded_on),
            source_value: award.source_value.clone(),
            award_action_details: award.award_action_details.clone(),
            program_id: award.program_id,
            program_name: award.program_name.clone(),
            allocation_strategy_id: award.allocation_strategy_id,
            allocation_strategy_name: award.allocation_strategy_name.clone(),
            points_category_id: award.points_category_id,
            points_category_name: award.points_category_name.clone(),
            expiry_strategy_id: award.expiry_strategy_id,
            expiry_strategy_name: award.expiry_strategy_name.clone(),
            promotion_details: award
                .promotion_id
                .map(|promotion_id| PromotionDetails { promotion_id, promotion_name: award.promotion_name.clone() }),
            return_points: award.return_points.map(Decimal::as_written),
            expiry_type: award.expiry_type.clone(),
        };
        PointsEarnedBreakup { regular: regular.into_iter().map(entry).collect(), promised: promised.into_iter().map(entry).collect() }
    }

    fn target_completed(&self, completion: &TargetCompletion, awards: &[AwardRow]) -> TargetCompletedDetails {
        TargetCompletedDetails {
            target_group_id: completion.target_group_id,
            // The names the event recorded win: they are the names at completion time.
            target_group_name: completion.recorded_target_group_name.clone().unwrap_or_else(|| completion.target_group_name.clone()),
            target_id: completion.target_rule_id,
            target_name: completion.recorded_target_name.clone().or_else(|| completion.target_rule_name.clone()),
            target_description: completion.recorded_target_description.clone().or_else(|| completion.target_rule_description.clone()),
            target_period_id: completion.period_id,
            target_period_name: completion.period_ref_code.clone(),
            target_value: completion.target_value.map(Decimal::three_places),
            achieved_value: completion.achieved_value.map(Decimal::three_places),
            trigger_value: completion.trigger_value.map(Decimal::three_places),
            source_id: completion.source_id,
            source_type: completion.source_type,
            points_earned: self
                .points_earned(awards.iter().filter(|award| award.alternate_currency_identifier.is_none()), Lists::PromisedAndEarned),
            points_earned_breakup: self
                .blocks
                .points_earned_breakup
                .then(|| self.breakup(awards.iter().filter(|award| award.alternate_currency_identifier.is_none()))),
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

    fn program_points(&self, event_log_id: i64, side: Option<TransferSide>) -> Vec<ProgramPoints> {
        self.data
            .program_points
            .get(&event_log_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|row| row.side == side)
            .map(|row| ProgramPoints {
                points: row.points.three_places(),
                program_id: row.program_id.to_string(),
                program_name: row.program_name.clone(),
            })
            .collect()
    }

    fn transfer_party(&self, transfer: &TransferRow, side: TransferSide) -> TransferParty {
        let (customer_id, first_name, last_name) = if side == TransferSide::From {
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

#[derive(Debug, Clone, Copy)]
pub(super) enum Lists {
    All,
    PromisedAndEarned,
}

/// A stored id as the number Capillary prints, or the text when it is not one.
fn number_or_text(text: &str) -> Value {
    text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(text.to_owned()))
}
