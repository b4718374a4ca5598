//! Targets as events move them: the customer's progress per rule and period, and — when a target,
//! a milestone or a streak is reached — the `TargetCompleted` event, its completion record and its
//! reward on the ledger, as the universe holds them (see `target_completions`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgConnection};

use super::{
    Amount,
    events::{self, NewEvent},
    ledger::{self, Credit, Expiry, PostedCredit},
    rules,
};
use crate::model::{AwardType, CompletionSource};

/// What an event measures, for the target types that count it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measures {
    /// SUM, SALES: the bill's net amount.
    pub bill_amount: Option<Amount>,
    /// GROSS_SALES (else the net amount).
    pub gross_amount: Option<Amount>,
    /// QUANTITY: the line items' quantities.
    pub quantity: Option<Amount>,
    /// REGULAR_POINTS: the points the event earned.
    pub points: Amount,
}

/// An event as targets see it.
#[derive(Debug, Clone)]
pub struct Occurrence<'a> {
    pub org_id: i64,
    pub customer_id: i64,
    pub event_log_id: i64,
    /// The names target rules may name (`target_rules.event_name`): `["TransactionAdd"]`,
    /// `["ReturnBill"]`, `["GenericEvent", "<behavioural name>"]`.
    pub event_names: &'a [&'a str],
    /// Decides the period (a bill's billing date; for a reversal, the returned bill's).
    pub event_time: DateTime<Utc>,
    /// The tenant's clock.
    pub now: DateTime<Utc>,
    pub till_id: Option<i64>,
    /// The transaction id reported as the completion's `bill_id`.
    pub bill_id: Option<i64>,
    pub measures: Measures,
    /// A return taking back what its bill counted: amounts count negatively, counts not at all,
    /// and nothing completes.
    pub reversal: bool,
}

/// One target the event moved (a `TARGETLOYALTY` raw side effect), with what it completed.
#[derive(Debug, Clone)]
pub struct Progress {
    pub user_id: i64,
    pub user_target_id: i64,
    pub target_group_id: i64,
    pub target_group_name: String,
    pub target_evaluation_type: String,
    pub target_rule_id: i64,
    pub target_name: String,
    pub period_id: i64,
    pub period_ref_code: String,
    pub period_start_date: NaiveDate,
    pub period_end_date: NaiveDate,
    pub defined_target_value: Amount,
    pub current_event_value: Amount,
    pub achieved_before: Amount,
    pub achieved_after: Amount,
    pub completions: Vec<Completed>,
}

/// A `TargetCompleted` event written for a target, milestone or streak.
#[derive(Debug, Clone)]
pub struct Completed {
    pub event_log_id: i64,
    pub source_type: CompletionSource,
    pub source_id: i64,
    pub milestone_id: Option<i64>,
    pub user_streak_id: Option<i64>,
    pub credits: Vec<(rules::TargetReward, PostedCredit)>,
}

#[derive(Debug, FromRow)]
struct Candidate {
    target_rule_id: i64,
    target_name: String,
    target_type: String,
    rule_target_value: Amount,
    rule_event_name: String,
    target_group_id: i64,
    target_group_name: String,
    target_evaluation_type: String,
    tracking_type: String,
    period_id: i64,
    ref_code: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    start_time: DateTime<Utc>,
    user_target_id: Option<i64>,
    target_value: Option<Amount>,
    achieved_value: Option<Amount>,
    achieved_on: Option<DateTime<Utc>>,
    un_enrolled: Option<bool>,
    tracked: bool,
}

/// Moves every target the occurrence counts for, enrolling the customer in the period where the
/// group tracks them (audience, every customer, or enrolled in another period of the group).
/// The caller holds the customer's lock ([`super::lock_customer`]).
pub async fn advance(tx: &mut PgConnection, occurrence: &Occurrence<'_>) -> sqlx::Result<Vec<Progress>> {
    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT r.target_rule_id, r.name AS target_name, r.target_type, r.target_value AS rule_target_value,
                r.event_name AS rule_event_name, g.target_group_id, g.name AS target_group_name, g.target_evaluation_type,
                g.tracking_type, p.period_id, p.ref_code, p.start_date, p.end_date, p.start_time,
                ut.user_target_id, ut.target_value, ut.achieved_value, ut.achieved_on, ut.un_enrolled,
                (g.enrols_all_customers
                 OR EXISTS (SELECT 1 FROM target_group_audiences a WHERE a.target_group_id = g.target_group_id AND a.customer_id = $2)
                 OR EXISTS (SELECT 1 FROM user_targets other JOIN target_rules orule ON orule.target_rule_id = other.target_rule_id
                            WHERE other.customer_id = $2 AND orule.target_group_id = g.target_group_id AND NOT other.un_enrolled)
                ) AS tracked
         FROM target_rules r
         JOIN target_groups g ON g.target_group_id = r.target_group_id
         JOIN target_periods p ON p.target_group_id = g.target_group_id AND $4 BETWEEN p.start_time AND p.end_time
         LEFT JOIN user_targets ut ON ut.customer_id = $2 AND ut.target_rule_id = r.target_rule_id AND ut.period_id = p.period_id
         WHERE r.org_id = $1 AND r.is_active AND g.is_active AND r.event_name = ANY($3)
         ORDER BY g.target_group_id, r.target_rule_id, p.start_time, p.period_id",
    )
    .bind(occurrence.org_id)
    .bind(occurrence.customer_id)
    .bind(occurrence.event_names)
    .bind(occurrence.event_time)
    .fetch_all(&mut *tx)
    .await?;

    let mut moved = Vec::new();
    for candidate in candidates {
        if candidate.un_enrolled == Some(true) || (candidate.user_target_id.is_none() && !candidate.tracked) {
            continue;
        }
        let value = contribution(tx, occurrence, &candidate).await?;
        if value.is_zero() && occurrence.reversal {
            continue;
        }
        let user_target_id = match candidate.user_target_id {
            Some(id) => id,
            None => {
                enrol(
                    tx,
                    occurrence.org_id,
                    occurrence.customer_id,
                    candidate.target_rule_id,
                    candidate.period_id,
                    Amount::ZERO,
                    occurrence.now,
                )
                .await?
            }
        };
        let target_value = candidate.target_value.unwrap_or(candidate.rule_target_value);
        let before = candidate.achieved_value.unwrap_or(Amount::ZERO);
        let after = (before + value).max(Amount::ZERO);
        let newly_achieved = !occurrence.reversal && candidate.achieved_on.is_none() && after >= target_value && before < target_value;
        sqlx::query(
            "UPDATE user_targets SET achieved_value = $2, last_updated_on = $3,
                    achieved_on = CASE WHEN $4 THEN $5 ELSE achieved_on END
             WHERE user_target_id = $1",
        )
        .bind(user_target_id)
        .bind(after)
        .bind(occurrence.now)
        .bind(newly_achieved)
        .bind(occurrence.event_time)
        .execute(&mut *tx)
        .await?;

        let mut progress = Progress {
            user_id: occurrence.customer_id,
            user_target_id,
            target_group_id: candidate.target_group_id,
            target_group_name: candidate.target_group_name.clone(),
            target_evaluation_type: candidate.target_evaluation_type.clone(),
            target_rule_id: candidate.target_rule_id,
            target_name: candidate.target_name.clone(),
            period_id: candidate.period_id,
            period_ref_code: candidate.ref_code.clone(),
            period_start_date: candidate.start_date,
            period_end_date: candidate.end_date,
            defined_target_value: target_value,
            current_event_value: value,
            achieved_before: before,
            achieved_after: after,
            completions: Vec::new(),
        };
        if !occurrence.reversal {
            let completing = Completing { occurrence, candidate: &candidate, user_target_id, target_value, achieved: after };
            for milestone in reached_milestones(tx, candidate.target_rule_id, user_target_id, before, after).await? {
                sqlx::query("INSERT INTO user_milestones (org_id, user_target_id, milestone_id, achieved_on) VALUES ($1, $2, $3, $4)")
                    .bind(occurrence.org_id)
                    .bind(user_target_id)
                    .bind(milestone.milestone_id)
                    .bind(occurrence.event_time)
                    .execute(&mut *tx)
                    .await?;
                let source = CompletionOf::Milestone { milestone_id: milestone.milestone_id, trigger_value: milestone.trigger_value };
                progress.completions.push(completing.complete(tx, source).await?);
            }
            if newly_achieved {
                let source_type =
                    if candidate.tracking_type == "UNIFIED" { CompletionSource::Unified } else { CompletionSource::UserTarget };
                progress.completions.push(completing.complete(tx, CompletionOf::Target(source_type)).await?);
                if candidate.tracking_type == "STREAKS" || candidate.tracking_type == "NON_CONTINUOUS_STREAKS" {
                    for completed in completing.count_streaks(tx).await? {
                        progress.completions.push(completed);
                    }
                }
            }
        }
        moved.push(progress);
    }
    Ok(moved)
}

/// What the occurrence adds to a candidate's target.
async fn contribution(tx: &mut PgConnection, occurrence: &Occurrence<'_>, candidate: &Candidate) -> sqlx::Result<Amount> {
    let measures = occurrence.measures;
    let amount = |value: Option<Amount>| {
        let value = value.unwrap_or(Amount::ZERO);
        if occurrence.reversal { -value } else { value }
    };
    let counted = if occurrence.reversal { Amount::ZERO } else { Amount::ONE };
    Ok(match candidate.target_type.as_str() {
        "SUM" | "SALES" => amount(measures.bill_amount),
        "GROSS_SALES" => amount(measures.gross_amount.or(measures.bill_amount)),
        "QUANTITY" => amount(measures.quantity),
        "REGULAR_POINTS" => amount(Some(measures.points)),
        // A visit counts the first event of the period at each till.
        "VISIT" if !occurrence.reversal => {
            let earlier: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM event_logs e JOIN target_periods p ON p.period_id = $5
                                WHERE e.org_id = $1 AND e.customer_id = $2 AND e.event_name = $3 AND e.till_id IS NOT DISTINCT FROM $4
                                  AND e.event_time BETWEEN p.start_time AND p.end_time AND e.event_log_id <> $6)",
            )
            .bind(occurrence.org_id)
            .bind(occurrence.customer_id)
            .bind(&candidate.rule_event_name)
            .bind(occurrence.till_id)
            .bind(candidate.period_id)
            .bind(occurrence.event_log_id)
            .fetch_one(&mut *tx)
            .await?;
            if earlier { Amount::ZERO } else { Amount::ONE }
        }
        _ => counted,
    })
}

/// Enrols the customer in a rule's target for a period (the user target, with `initial`
/// achieved); returns its id. An existing one is returned as it is.
pub async fn enrol(
    tx: &mut PgConnection,
    org_id: i64,
    customer_id: i64,
    target_rule_id: i64,
    period_id: i64,
    initial: Amount,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO user_targets (org_id, customer_id, target_rule_id, period_id, target_value, achieved_value, enrolled_on, last_updated_on)
         SELECT $1, $2, r.target_rule_id, $4, r.target_value, $5, $6, $6 FROM target_rules r WHERE r.target_rule_id = $3
         ON CONFLICT (customer_id, target_rule_id, period_id) DO UPDATE SET customer_id = EXCLUDED.customer_id
         RETURNING user_target_id",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(target_rule_id)
    .bind(period_id)
    .bind(initial)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
}

#[derive(Debug, FromRow)]
struct ReachedMilestone {
    milestone_id: i64,
    trigger_value: Amount,
}

async fn reached_milestones(
    tx: &mut PgConnection,
    target_rule_id: i64,
    user_target_id: i64,
    before: Amount,
    after: Amount,
) -> sqlx::Result<Vec<ReachedMilestone>> {
    sqlx::query_as(
        "SELECT m.milestone_id, m.trigger_value FROM milestones m
         WHERE m.target_rule_id = $1 AND m.trigger_value > $3 AND m.trigger_value <= $4
           AND NOT EXISTS (SELECT 1 FROM user_milestones um WHERE um.user_target_id = $2 AND um.milestone_id = m.milestone_id)
         ORDER BY m.trigger_value, m.milestone_id",
    )
    .bind(target_rule_id)
    .bind(user_target_id)
    .bind(before)
    .bind(after)
    .fetch_all(&mut *tx)
    .await
}

enum CompletionOf {
    Target(CompletionSource),
    Milestone { milestone_id: i64, trigger_value: Amount },
    Streak { streak_id: i64, user_streak_id: i64 },
}

struct Completing<'a> {
    occurrence: &'a Occurrence<'a>,
    candidate: &'a Candidate,
    user_target_id: i64,
    target_value: Amount,
    achieved: Amount,
}

impl Completing<'_> {
    /// Writes the `TargetCompleted` event, its completion and its reward.
    async fn complete(&self, tx: &mut PgConnection, of: CompletionOf) -> sqlx::Result<Completed> {
        let occurrence = self.occurrence;
        let event_log_id = events::record_event(
            tx,
            &NewEvent {
                org_id: occurrence.org_id,
                customer_id: occurrence.customer_id,
                event_name: "TargetCompleted".to_owned(),
                event_time: occurrence.event_time,
                processing_time: occurrence.now,
                till_id: occurrence.till_id,
                event_reference_id: Some(occurrence.event_log_id.to_string()),
                unique_id: Some(events::random_hex40()),
                request_id: Some(uuid::Uuid::new_v4().to_string()),
                generic_event_id: None,
                details: serde_json::json!({}),
            },
        )
        .await?;
        let (source_type, source_id, milestone_id, user_streak_id, trigger_value, rewards) = match of {
            CompletionOf::Target(source_type) => {
                let rewards = rules::target_rewards(tx, occurrence.org_id, Some(self.candidate.target_rule_id), None, None).await?;
                (source_type, self.user_target_id, None, None, None, rewards)
            }
            CompletionOf::Milestone { milestone_id, trigger_value } => {
                let rewards = rules::target_rewards(tx, occurrence.org_id, None, Some(milestone_id), None).await?;
                (CompletionSource::Milestone, milestone_id, Some(milestone_id), None, Some(trigger_value), rewards)
            }
            CompletionOf::Streak { streak_id, user_streak_id } => {
                let rewards = rules::target_rewards(tx, occurrence.org_id, None, None, Some(streak_id)).await?;
                (CompletionSource::Streaks, user_streak_id, None, Some(user_streak_id), None, rewards)
            }
        };
        sqlx::query(
            "INSERT INTO target_completions (event_log_id, org_id, customer_id, target_group_id, source_type, source_id,
                 target_rule_id, user_target_id, milestone_id, user_streak_id, period_id, parent_event_log_id,
                 target_achieved_event_log_id, target_achieved_event_log_created_on, return_event_log_id, bill_id,
                 unified_targets_achieved_created_on, target_value, achieved_value, trigger_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, -1, $14, $15, $16, $17, $18)",
        )
        .bind(event_log_id)
        .bind(occurrence.org_id)
        .bind(occurrence.customer_id)
        .bind(self.candidate.target_group_id)
        .bind(crate::model::TextEnum::as_str(source_type))
        .bind(source_id)
        .bind(self.candidate.target_rule_id)
        .bind(self.user_target_id)
        .bind(milestone_id)
        .bind(user_streak_id)
        .bind(self.candidate.period_id)
        .bind(occurrence.event_log_id)
        .bind(occurrence.now)
        .bind(occurrence.bill_id)
        .bind((source_type == CompletionSource::Unified).then_some(occurrence.now))
        .bind(self.target_value)
        .bind(self.achieved)
        .bind(trigger_value)
        .execute(&mut *tx)
        .await?;
        let mut credits = Vec::with_capacity(rewards.len());
        for (position, reward) in rewards.into_iter().enumerate() {
            let credit = Credit {
                org_id: occurrence.org_id,
                customer_id: occurrence.customer_id,
                event_log_id,
                event_subject_id: occurrence.event_log_id,
                program_id: reward.program_id,
                points_category_id: reward.points_category_id,
                alternate_currency_id: reward.alternate_currency_id,
                points: reward.points,
                award_type: AwardType::Regular,
                promotion_id: None,
                line_item_id: None,
                created_on: occurrence.now,
                expiry: Expiry::rolling_days(occurrence.now, reward.expiry_days),
                conversion_date: None,
                expiry_strategy: None,
                allocation_strategy: None,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                extra: serde_json::json!({}),
                entity_metadata: None,
            };
            let posted = ledger::post_credit(tx, &credit).await?;
            credits.push((reward, posted));
        }
        Ok(Completed { event_log_id, source_type, source_id, milestone_id, user_streak_id, credits })
    }

    /// A target achieved in a streak group counts towards its streaks; a streak that reaches its
    /// count completes. A continuous streak (`STREAKS`) starts over when the period before this one
    /// was not achieved.
    async fn count_streaks(&self, tx: &mut PgConnection) -> sqlx::Result<Vec<Completed>> {
        let occurrence = self.occurrence;
        let streaks: Vec<(i64, i32)> = sqlx::query_as(
            "SELECT streak_id, total_target_count FROM streaks
             WHERE target_group_id = $1 AND (target_rule_id IS NULL OR target_rule_id = $2) ORDER BY streak_id",
        )
        .bind(self.candidate.target_group_id)
        .bind(self.candidate.target_rule_id)
        .fetch_all(&mut *tx)
        .await?;
        let continuous = self.candidate.tracking_type == "STREAKS";
        let previous_achieved: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT ut.achieved_on IS NOT NULL FROM target_periods p
                              LEFT JOIN user_targets ut ON ut.period_id = p.period_id AND ut.customer_id = $3 AND ut.target_rule_id = $4
                              WHERE p.target_group_id = $1 AND p.start_time < $2
                              ORDER BY p.start_time DESC LIMIT 1), false)",
        )
        .bind(self.candidate.target_group_id)
        .bind(self.candidate.start_time)
        .bind(occurrence.customer_id)
        .bind(self.candidate.target_rule_id)
        .fetch_one(&mut *tx)
        .await?;
        let mut completed = Vec::new();
        for (streak_id, total) in streaks {
            let current: Option<(i64, String, i32)> = sqlx::query_as(
                "SELECT user_streak_id, status, current_count FROM user_streaks WHERE streak_id = $1 AND customer_id = $2
                 ORDER BY user_streak_id DESC LIMIT 1 FOR UPDATE",
            )
            .bind(streak_id)
            .bind(occurrence.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (user_streak_id, count) = match current {
                Some((_, status, _)) if status == "ACHIEVED" => continue,
                Some((id, _, count)) => (id, if continuous && !previous_achieved { 1 } else { count + 1 }),
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO user_streaks (org_id, streak_id, customer_id, status, current_count)
                         VALUES ($1, $2, $3, 'INPROGRESS', 0) RETURNING user_streak_id",
                    )
                    .bind(occurrence.org_id)
                    .bind(streak_id)
                    .bind(occurrence.customer_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, 1)
                }
            };
            let achieved = count >= total;
            sqlx::query(
                "UPDATE user_streaks SET current_count = $2, status = CASE WHEN $3 THEN 'ACHIEVED' ELSE 'INPROGRESS' END,
                        achieved_user_target_id = CASE WHEN $3 THEN $4 ELSE achieved_user_target_id END,
                        achieved_on = CASE WHEN $3 THEN $5 ELSE achieved_on END
                 WHERE user_streak_id = $1",
            )
            .bind(user_streak_id)
            .bind(count)
            .bind(achieved)
            .bind(self.user_target_id)
            .bind(occurrence.event_time)
            .execute(&mut *tx)
            .await?;
            if achieved {
                completed.push(self.complete(tx, CompletionOf::Streak { streak_id, user_streak_id }).await?);
            }
        }
        Ok(completed)
    }
}
