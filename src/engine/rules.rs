//! The org's loyalty rules as the bundle gives them (`earning_rules`, `redemption_settings`,
//! `target_rewards`; the target rules themselves are the v3 endpoint's `target_rules`).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};

use super::{Amount, ledger::Expiry};
use crate::model::{AwardType, TextEnum};

/// One award line an event earns.
#[derive(Debug, Clone, FromRow)]
pub struct EarningRule {
    pub earning_rule_id: i64,
    pub name: String,
    pub event_name: String,
    /// BILL_AMOUNT, LINE_ITEM_AMOUNT or EVENT.
    pub basis: String,
    pub points_per_unit: Amount,
    pub unit_amount: Amount,
    pub item_code_pattern: Option<String>,
    pub min_amount: Amount,
    pub max_points: Option<Amount>,
    /// FLOOR, ROUND or EXACT.
    pub rounding: String,
    pub award_type: String,
    pub program_id: i64,
    pub points_category_id: i64,
    pub promotion_id: Option<i64>,
    pub alternate_currency_id: Option<i64>,
    pub expiry_type: String,
    pub expiry_days: i32,
    pub expiry_date: Option<DateTime<Utc>>,
    pub conversion_days: i32,
    pub expiry_strategy_id: Option<i64>,
    pub expiry_strategy_name: Option<String>,
    pub allocation_strategy_id: Option<i64>,
    pub allocation_strategy_name: Option<String>,
    pub position: i32,
    // What the answers name.
    pub program_name: String,
    pub is_default_program: bool,
    pub points_category_name: String,
    pub category_type: String,
    pub alternate_currency_identifier: Option<String>,
    pub alternate_currency_name: Option<String>,
}

impl EarningRule {
    /// What `amount` earns under this rule: per unit, rounded, capped; zero under the minimum.
    pub fn points_for(&self, amount: Amount) -> (Amount, Amount) {
        if amount < self.min_amount || amount <= Amount::ZERO {
            return (Amount::ZERO, Amount::ZERO);
        }
        let raw = if self.basis == "EVENT" { self.points_per_unit } else { amount / self.unit_amount * self.points_per_unit };
        let rounded = match self.rounding.as_str() {
            "ROUND" => raw.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            "EXACT" => raw.round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            _ => raw.floor(),
        };
        let capped = match self.max_points {
            Some(cap) if rounded > cap => cap,
            _ => rounded,
        };
        (capped, rounded)
    }

    pub fn award_type(&self) -> AwardType {
        AwardType::parse(&self.award_type).unwrap_or(AwardType::Regular)
    }

    /// When points awarded at `awarded_on` expire.
    pub fn expiry(&self, awarded_on: DateTime<Utc>) -> Expiry {
        match (self.expiry_type.as_str(), self.expiry_date) {
            ("NEVER", _) => Expiry::Never,
            ("FIXED", Some(date)) => Expiry::Fixed(date),
            _ => Expiry::rolling_days(awarded_on, self.expiry_days),
        }
    }

    /// Whether the points can be redeemed (promised points cannot until they convert).
    pub fn is_redeemable(&self) -> bool {
        self.award_type != "promised" && self.alternate_currency_id.is_none()
    }
}

/// The org's active earning rules for events named `event_names` (a behavioural event may be
/// earned on by its own name and as `GenericEvent`), in award order.
pub async fn earning_rules(tx: &mut PgConnection, org_id: i64, event_names: &[&str]) -> sqlx::Result<Vec<EarningRule>> {
    sqlx::query_as(
        "SELECT r.earning_rule_id, r.name, r.event_name, r.basis, r.points_per_unit, r.unit_amount, r.item_code_pattern,
                r.min_amount, r.max_points, r.rounding, r.award_type, r.program_id, r.points_category_id, r.promotion_id,
                r.alternate_currency_id, r.expiry_type, r.expiry_days, r.expiry_date, r.conversion_days,
                r.expiry_strategy_id, r.expiry_strategy_name, r.allocation_strategy_id, r.allocation_strategy_name,
                r.position, p.name AS program_name, p.is_default AS is_default_program,
                c.name AS points_category_name, c.category_type,
                ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name
         FROM earning_rules r
         JOIN programs p ON p.program_id = r.program_id
         JOIN points_categories c ON c.points_category_id = r.points_category_id
         LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
         WHERE r.org_id = $1 AND r.is_active AND r.event_name = ANY($2)
         ORDER BY r.position, r.earning_rule_id",
    )
    .bind(org_id)
    .bind(event_names)
    .fetch_all(&mut *tx)
    .await
}

/// What redeeming points of a program takes.
#[derive(Debug, Clone, FromRow)]
pub struct RedemptionSettings {
    pub program_id: i64,
    pub min_points: Amount,
    pub points_multiple: Amount,
    pub max_points: Option<Amount>,
    pub point_value: Amount,
    pub requires_validation_code: bool,
    pub validation_code_ttl_seconds: i32,
}

impl RedemptionSettings {
    /// An org that set nothing: any whole number of points, worth 1 each, no validation code.
    pub fn unrestricted(program_id: i64) -> RedemptionSettings {
        RedemptionSettings {
            program_id,
            min_points: Amount::ZERO,
            points_multiple: Amount::ONE,
            max_points: None,
            point_value: Amount::ONE,
            requires_validation_code: false,
            validation_code_ttl_seconds: 900,
        }
    }
}

/// The org's redemption settings for `program_id`, else for its default program, else
/// [`RedemptionSettings::unrestricted`].
pub async fn redemption_settings(tx: &mut PgConnection, org_id: i64, program_id: i64) -> sqlx::Result<RedemptionSettings> {
    let found: Option<RedemptionSettings> = sqlx::query_as(
        "SELECT s.program_id, s.min_points, s.points_multiple, s.max_points, s.point_value, s.requires_validation_code,
                s.validation_code_ttl_seconds
         FROM redemption_settings s JOIN programs p ON p.program_id = s.program_id
         WHERE s.org_id = $1 AND (s.program_id = $2 OR p.is_default)
         ORDER BY s.program_id = $2 DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(program_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.unwrap_or_else(|| RedemptionSettings::unrestricted(program_id)))
}

/// The org's default program (the lowest id when none is marked), with its regular points
/// category: where points move when a request names no program.
#[derive(Debug, Clone, FromRow)]
pub struct DefaultProgram {
    pub program_id: i64,
    pub program_name: String,
    pub points_category_id: i64,
    pub points_category_name: String,
}

pub async fn default_program(tx: &mut PgConnection, org_id: i64) -> sqlx::Result<Option<DefaultProgram>> {
    sqlx::query_as(
        "SELECT p.program_id, p.name AS program_name, c.points_category_id, c.name AS points_category_name
         FROM programs p JOIN points_categories c ON c.program_id = p.program_id
         WHERE p.org_id = $1
         ORDER BY p.is_default DESC, p.program_id, (c.category_type = 'REGULAR_POINTS') DESC, c.points_category_id
         LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(&mut *tx)
    .await
}

/// One award line of a target, milestone or streak reward.
#[derive(Debug, Clone, FromRow)]
pub struct TargetReward {
    pub program_id: i64,
    pub points_category_id: i64,
    pub alternate_currency_id: Option<i64>,
    pub points: Amount,
    pub expiry_days: i32,
}

/// What completing the rule's target, reaching the milestone or completing the streak awards
/// (exactly one of the three is given).
pub async fn target_rewards(
    tx: &mut PgConnection,
    org_id: i64,
    target_rule_id: Option<i64>,
    milestone_id: Option<i64>,
    streak_id: Option<i64>,
) -> sqlx::Result<Vec<TargetReward>> {
    sqlx::query_as(
        "SELECT program_id, points_category_id, alternate_currency_id, points, expiry_days
         FROM target_rewards
         WHERE org_id = $1 AND target_rule_id IS NOT DISTINCT FROM $2 AND milestone_id IS NOT DISTINCT FROM $3
           AND streak_id IS NOT DISTINCT FROM $4
         ORDER BY position, target_reward_id",
    )
    .bind(org_id)
    .bind(target_rule_id)
    .bind(milestone_id)
    .bind(streak_id)
    .fetch_all(&mut *tx)
    .await
}
