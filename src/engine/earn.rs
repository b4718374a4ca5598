//! Earning: what an event's bill or occurrence earns under the org's earning rules, posted to the
//! ledger.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx::PgConnection;

use super::{
    Amount,
    ledger::{self, Credit, Expiry, PostedCredit},
    rules::{self, EarningRule},
};
use crate::model::AwardType;

/// A line item of a bill, as earning sees it.
#[derive(Debug, Clone)]
pub struct EarningLine {
    pub line_item_id: i64,
    pub item_code: String,
    pub amount: Amount,
}

/// An event that may earn.
#[derive(Debug, Clone)]
pub struct Earning<'a> {
    pub org_id: i64,
    pub customer_id: i64,
    pub event_log_id: i64,
    /// The ledger entries' `event_subject_id` (a bill's transaction id; the customer's id for
    /// customer-level events).
    pub event_subject_id: i64,
    /// The names rules may name: `["TransactionAdd"]`, or `["GenericEvent", "<behavioural name>"]`.
    pub event_names: &'a [&'a str],
    /// The bill's net amount (`None`: not a bill; only EVENT rules apply).
    pub bill_amount: Option<Amount>,
    pub line_items: &'a [EarningLine],
    /// The tenant's clock.
    pub now: DateTime<Utc>,
}

/// One award an event earned and the ledger rows that hold it.
#[derive(Debug, Clone)]
pub struct Earned {
    pub rule: EarningRule,
    /// `None`: on the event (bill level).
    pub line_item_id: Option<i64>,
    /// The amount it was earned on.
    pub source_value: Amount,
    pub points: Amount,
    pub points_before_capping: Amount,
    pub expiry: Expiry,
    pub awarded_on: DateTime<Utc>,
    pub posted: PostedCredit,
}

/// Applies every matching earning rule and posts a credit for each non-zero award, in rule order.
pub async fn earn(tx: &mut PgConnection, earning: &Earning<'_>) -> sqlx::Result<Vec<Earned>> {
    let rules = rules::earning_rules(tx, earning.org_id, earning.event_names).await?;
    let mut earned = Vec::new();
    let mut position = 0;
    for rule in rules {
        let bases: Vec<(Option<i64>, Amount)> = match rule.basis.as_str() {
            "BILL_AMOUNT" => earning.bill_amount.map(|amount| (None, amount)).into_iter().collect(),
            "LINE_ITEM_AMOUNT" => earning
                .line_items
                .iter()
                .filter(|line| rule.item_code_pattern.as_deref().is_none_or(|pattern| like(pattern, &line.item_code)))
                .map(|line| (Some(line.line_item_id), line.amount))
                .collect(),
            _ => vec![(None, earning.bill_amount.unwrap_or(Amount::ONE))],
        };
        for (line_item_id, amount) in bases {
            let (points, points_before_capping) = rule.points_for(amount);
            if points.is_zero() {
                continue;
            }
            let award_type = rule.award_type();
            let expiry = rule.expiry(earning.now);
            let credit = Credit {
                org_id: earning.org_id,
                customer_id: earning.customer_id,
                event_log_id: earning.event_log_id,
                event_subject_id: earning.event_subject_id,
                program_id: rule.program_id,
                points_category_id: rule.points_category_id,
                alternate_currency_id: rule.alternate_currency_id,
                points,
                award_type,
                promotion_id: rule.promotion_id,
                line_item_id,
                created_on: earning.now,
                expiry,
                conversion_date: (award_type == AwardType::Promised)
                    .then(|| earning.now + TimeDelta::days(i64::from(rule.conversion_days))),
                expiry_strategy: rule.expiry_strategy_id.zip(rule.expiry_strategy_name.clone()),
                allocation_strategy: rule.allocation_strategy_id.zip(rule.allocation_strategy_name.clone()),
                position,
                extra: json!({
                    "sourceValue": amount,
                    "awardActionDetails": {"id": rule.earning_rule_id, "name": rule.name, "rulesetId": rule.earning_rule_id, "rulesetName": rule.name},
                }),
                entity_metadata: None,
            };
            let posted = ledger::post_credit(tx, &credit).await?;
            position += 1;
            earned.push(Earned {
                rule: rule.clone(),
                line_item_id,
                source_value: amount,
                points,
                points_before_capping,
                expiry,
                awarded_on: earning.now,
                posted,
            });
        }
    }
    Ok(earned)
}

/// SQL LIKE: `%` any run, `_` any one character.
fn like(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some(('_', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && matches(rest, &text[1..]),
        }
    }
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    matches(&pattern, &text)
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like("SKU-%", "SKU-12"));
        assert!(like("%", ""));
        assert!(like("A_C", "ABC"));
        assert!(!like("A_C", "AC"));
        assert!(!like("SKU-%", "sku-1"));
    }
}
