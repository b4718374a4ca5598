//! What a write answers with about its effects: `sideEffects` (the awards, summed per currency)
//! and `rawSideEffects` (one `AWARD` item per award and one `TARGETLOYALTY` item per target the
//! event moved, every value a string, keys in alphabetical order as Capillary prints them).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Number, Value, json};
use utoipa::ToSchema;

use crate::engine::{Amount, earn::Earned, targets::Progress};

/// One `sideEffects` item.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SideEffect {
    Points {
        #[serde(rename = "entityType")]
        entity_type: &'static str,
        #[serde(rename = "rawAwardedPoints")]
        #[schema(value_type = f64)]
        raw_awarded_points: Number,
        #[serde(rename = "awardedPoints")]
        #[schema(value_type = i64)]
        awarded_points: Number,
        #[serde(rename = "type")]
        kind: &'static str,
    },
    AlternateCurrency {
        #[serde(rename = "entityType")]
        entity_type: &'static str,
        #[serde(rename = "rawAwardedValue")]
        #[schema(value_type = f64)]
        raw_awarded_value: Number,
        #[serde(rename = "alternateCurrencyIdentifier")]
        alternate_currency_identifier: String,
        #[serde(rename = "alternateCurrencyName")]
        alternate_currency_name: String,
        #[serde(rename = "awardedValue")]
        #[schema(value_type = i64)]
        awarded_value: Number,
        #[serde(rename = "type")]
        kind: &'static str,
    },
}

fn number(amount: Amount) -> Number {
    crate::model::Decimal::from(amount).as_written()
}

/// The awards summed per currency (points first, then each alternate currency in award order);
/// `sign` -1 for a return, whose side effects are negative. Nothing earned: no item.
pub fn side_effects(earned: &[(Option<(String, String)>, Amount)], sign: Amount) -> Vec<SideEffect> {
    let mut totals: Vec<(Option<(String, String)>, Amount)> = Vec::new();
    for (currency, points) in earned {
        match totals.iter_mut().find(|(known, _)| known == currency) {
            Some((_, total)) => *total += *points,
            None => totals.push((currency.clone(), *points)),
        }
    }
    totals.sort_by_key(|(currency, _)| currency.is_some());
    totals
        .into_iter()
        .map(|(currency, total)| {
            let raw = (total * sign).round_dp(3);
            let whole = Number::from(rust_decimal::prelude::ToPrimitive::to_i64(&(total * sign).trunc()).unwrap_or(0));
            match currency {
                None => SideEffect::Points { entity_type: "USER", raw_awarded_points: number(raw), awarded_points: whole, kind: "points" },
                Some((identifier, name)) => SideEffect::AlternateCurrency {
                    entity_type: "USER",
                    raw_awarded_value: number(raw),
                    alternate_currency_identifier: identifier,
                    alternate_currency_name: name,
                    awarded_value: whole,
                    kind: "alternate_currency",
                },
            }
        })
        .collect()
}

/// The currency of an award for [`side_effects`]: `None` for points.
pub fn currency_of(earned: &Earned) -> Option<(String, String)> {
    earned.rule.alternate_currency_id.map(|_| {
        (
            earned.rule.alternate_currency_identifier.clone().unwrap_or_default(),
            earned.rule.alternate_currency_name.clone().unwrap_or_default(),
        )
    })
}

/// A bill the raw side effects are about.
pub struct RawContext<'a> {
    /// `Bill` for transactions, `Customer` for registrations.
    pub source_type: &'static str,
    pub customer_id: i64,
    pub transaction_id: i64,
    pub bill_number: &'a str,
    pub zone: Tz,
}

/// One `AWARD` item.
pub fn award_item(context: &RawContext<'_>, earned: &Earned) -> Value {
    let rule = &earned.rule;
    let award_on = match (earned.line_item_id.is_some(), rule.promotion_id.is_some()) {
        (false, false) => "BILL",
        (true, false) => "BILL_LINEITEM",
        (false, true) => "BILL_PROMOTION",
        (true, true) => "BILL_LINEITEM_PROMOTION",
    };
    let expires_on = earned.expiry.expires_on();
    let item: BTreeMap<&str, String> = BTreeMap::from([
        ("alternateCurrencyIdentifier", rule.alternate_currency_identifier.clone().unwrap_or_else(|| "null".to_owned())),
        ("alternateCurrencyName", rule.alternate_currency_name.clone().unwrap_or_else(|| "null".to_owned())),
        ("awardOn", award_on.to_owned()),
        ("awardStrategyId", rule.allocation_strategy_id.unwrap_or(-1).to_string()),
        ("awardedOn", ordinal_date(earned.awarded_on, context.zone)),
        ("awardedOnMillis", earned.awarded_on.timestamp_millis().to_string()),
        ("billNumber", context.bill_number.to_owned()),
        ("customerId", context.customer_id.to_string()),
        ("evaluatedEntity", "USER".to_owned()),
        ("expiryDate", expires_on.map_or_else(|| "null".to_owned(), |at| ordinal_date(at, context.zone))),
        ("expiryDateMillis", expires_on.map_or_else(|| "-1".to_owned(), |at| at.timestamp_millis().to_string())),
        ("expiryStrategyId", rule.expiry_strategy_id.unwrap_or(-1).to_string()),
        ("initialQuantity", "null".to_owned()),
        ("initialSourceValue", java_double(earned.source_value)),
        ("isDefaultProgram", rule.is_default_program.to_string()),
        ("isReferrer", "false".to_owned()),
        ("lineItemId", earned.line_item_id.unwrap_or(-1).to_string()),
        ("pointTypeId", rule.points_category_id.to_string()),
        ("pointTypeIsRedeemable", rule.is_redeemable().to_string()),
        ("pointTypeName", rule.points_category_name.clone()),
        ("points", three_places(earned.points)),
        ("pointsBeforeCapping", three_places(earned.points_before_capping)),
        ("programId", rule.program_id.to_string()),
        ("promoId", rule.promotion_id.unwrap_or(-1).to_string()),
        ("promoIdentifier", String::new()),
        ("promoName", String::new()),
        ("quantity", "null".to_owned()),
        ("ruleId", rule.earning_rule_id.to_string()),
        ("ruleSetId", rule.earning_rule_id.to_string()),
        ("sourceId", context.transaction_id.to_string()),
        ("sourceType", context.source_type.to_owned()),
        ("sourceValue", java_double(earned.source_value)),
        ("tenderCodeId", "-1".to_owned()),
        ("type", "AWARD".to_owned()),
    ]);
    json!(item)
}

/// One `TARGETLOYALTY` item.
pub fn target_item(progress: &Progress) -> Value {
    let item: BTreeMap<&str, String> = BTreeMap::from([
        ("currentEventTargetValue", java_double(progress.current_event_value)),
        ("definedTargetValue", three_places(progress.defined_target_value)),
        ("periodEndDate", progress.period_end_date.to_string()),
        ("periodRefCode", progress.period_ref_code.clone()),
        ("periodStartDate", progress.period_start_date.to_string()),
        ("targetAchievedValueAfterEvent", three_places(progress.achieved_after)),
        ("targetAchievedValueBeforeEvent", three_places(progress.achieved_before)),
        ("targetEvaluationType", progress.target_evaluation_type.clone()),
        ("targetGroupId", progress.target_group_id.to_string()),
        ("targetGroupName", progress.target_group_name.clone()),
        ("targetName", progress.target_name.clone()),
        ("targetRuleId", progress.target_rule_id.to_string()),
        ("type", "TARGETLOYALTY".to_owned()),
        ("userId", progress.user_id.to_string()),
    ]);
    json!(item)
}

/// `"2000.000"`.
pub fn three_places(amount: Amount) -> String {
    crate::model::Decimal::from(amount).three_places()
}

/// As Java prints a double: `1000.0`, `12.5`.
pub fn java_double(amount: Amount) -> String {
    let value = rust_decimal::prelude::ToPrimitive::to_f64(&amount).unwrap_or(0.0);
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.1}") } else { value.to_string() }
}

/// `28th Jul, 2025`, in the org's zone.
pub fn ordinal_date(instant: DateTime<Utc>, zone: Tz) -> String {
    let local = instant.with_timezone(&zone);
    let day = local.day();
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix} {}", local.format("%b, %Y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_as_capillary_prints_them() {
        let at = DateTime::parse_from_rfc3339("2025-08-22T18:29:59.999Z").unwrap().with_timezone(&Utc);
        assert_eq!(ordinal_date(at, chrono_tz::Asia::Kolkata), "22nd Aug, 2025");
        assert_eq!(ordinal_date(at, chrono_tz::UTC), "22nd Aug, 2025");
        let eleventh = DateTime::parse_from_rfc3339("2025-08-11T00:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(ordinal_date(eleventh, chrono_tz::UTC), "11th Aug, 2025");
        assert_eq!(java_double(Amount::from(1000)), "1000.0");
        assert_eq!(java_double(Amount::new(125, 1)), "12.5");
        assert_eq!(three_places(Amount::from(2000)), "2000.000");
    }

    #[test]
    fn side_effects_sum_per_currency_and_floor_the_awarded_points() {
        let earned = vec![(None, Amount::new(4808, 1)), (Some(("sc".to_owned(), "StarCoins".to_owned())), Amount::from(5))];
        let effects = serde_json::to_value(side_effects(&earned, Amount::ONE)).unwrap();
        assert_eq!(
            effects,
            json!([
                {"entityType": "USER", "rawAwardedPoints": 480.8, "awardedPoints": 480, "type": "points"},
                {"entityType": "USER", "rawAwardedValue": 5, "alternateCurrencyIdentifier": "sc", "alternateCurrencyName": "StarCoins", "awardedValue": 5, "type": "alternate_currency"},
            ])
        );
    }
}
