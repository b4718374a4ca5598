//! Enrolling customers in a target rule's periods and taking them out again
//! (`POST /v3/targetGroups/{tg}/targets/{t}/enroll` and `/unEnroll`): the user targets and user
//! streaks the v3 targetGroups read shows.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

use crate::model::{Decimal, TrackingType};

/// The target rule an enrolment is for, with what of its group decides how.
#[derive(Debug, Clone, FromRow)]
pub struct EnrolmentRule {
    pub target_group_id: i64,
    pub group_active: bool,
    pub tracking_type: TrackingType,
    /// `None`: the group has no such rule.
    pub target_rule_id: Option<i64>,
    pub rule_active: Option<bool>,
    pub target_value: Option<Decimal>,
}

/// The group `target_group_id` of the org and its rule `target_rule_id`, if the group exists.
pub async fn rule(db: impl PgExecutor<'_>, org_id: i64, target_group_id: i64, target_rule_id: i64) -> sqlx::Result<Option<EnrolmentRule>> {
    sqlx::query_as::<_, EnrolmentRule>(
        "SELECT g.target_group_id, g.is_active AS group_active, g.tracking_type,
                r.target_rule_id, r.is_active AS rule_active, r.target_value
         FROM target_groups g
         LEFT JOIN target_rules r ON r.target_group_id = g.target_group_id AND r.target_rule_id = $3
         WHERE g.org_id = $1 AND g.target_group_id = $2",
    )
    .bind(org_id)
    .bind(target_group_id)
    .bind(target_rule_id)
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct Period {
    pub period_id: i64,
    pub ref_code: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

/// The group's periods in time order.
pub async fn periods(db: impl PgExecutor<'_>, org_id: i64, target_group_id: i64) -> sqlx::Result<Vec<Period>> {
    sqlx::query_as::<_, Period>(
        "SELECT period_id, ref_code, start_time, end_time FROM target_periods
         WHERE org_id = $1 AND target_group_id = $2 ORDER BY start_time, period_id",
    )
    .bind(org_id)
    .bind(target_group_id)
    .fetch_all(db)
    .await
}

/// One customer's (re-)enrolment in one period of a rule.
#[derive(Debug, Clone, Copy)]
pub struct PeriodEnrolment {
    pub org_id: i64,
    pub customer_id: i64,
    pub target_rule_id: i64,
    pub period_id: i64,
    pub target_value: Decimal,
    /// The achieved value to start at; `None`: 0 for a new enrolment, the value left at
    /// un-enrolment for a re-enrolment.
    pub initial_balance: Option<Decimal>,
    pub now: DateTime<Utc>,
}

/// Enrols the customer in the period, or re-enrols one who left it. `false`: the customer is
/// enrolled in it already, and nothing changed. The row's unique key makes two concurrent
/// enrolments of one customer meet here: the second waits for the first and finds it enrolled.
pub async fn enrol_in_period(db: impl PgExecutor<'_>, enrolment: PeriodEnrolment) -> sqlx::Result<bool> {
    let row: Option<i64> = sqlx::query_scalar(
        "INSERT INTO user_targets (org_id, customer_id, target_rule_id, period_id, target_value, achieved_value, enrolled_on, last_updated_on)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, 0), $7, $7)
         ON CONFLICT (customer_id, target_rule_id, period_id) DO UPDATE
             SET un_enrolled = false,
                 achieved_value = coalesce($6, user_targets.achieved_value),
                 enrolled_on = $7,
                 last_updated_on = $7
             WHERE user_targets.un_enrolled
         RETURNING user_target_id",
    )
    .bind(enrolment.org_id)
    .bind(enrolment.customer_id)
    .bind(enrolment.target_rule_id)
    .bind(enrolment.period_id)
    .bind(enrolment.target_value)
    .bind(enrolment.initial_balance)
    .bind(enrolment.now)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// Gives the customer a user streak in each streak of the group that counts the rule, starting
/// at nothing; with `reset`, streaks the customer holds start again from nothing too.
pub async fn start_streaks(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    target_group_id: i64,
    target_rule_id: i64,
    reset: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH streaks_of_rule AS (
             SELECT streak_id FROM streaks
             WHERE org_id = $1 AND target_group_id = $3 AND (target_rule_id IS NULL OR target_rule_id = $4)
         ), reset AS (
             UPDATE user_streaks us SET status = 'INPROGRESS', current_count = 0, achieved_user_target_id = NULL, achieved_on = NULL
             WHERE $5 AND us.org_id = $1 AND us.customer_id = $2 AND us.streak_id IN (SELECT streak_id FROM streaks_of_rule)
         )
         INSERT INTO user_streaks (org_id, streak_id, customer_id, status, current_count)
         SELECT $1, s.streak_id, $2, 'INPROGRESS', 0 FROM streaks_of_rule s
         WHERE NOT EXISTS (SELECT 1 FROM user_streaks us WHERE us.customer_id = $2 AND us.streak_id = s.streak_id)",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(target_group_id)
    .bind(target_rule_id)
    .bind(reset)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the customer out of the rule's periods that have not ended at `now`; what earlier
/// periods hold stays. How many user targets changed (0: the customer was in none of them).
pub async fn un_enrol(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    target_rule_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE user_targets ut SET un_enrolled = true, last_updated_on = $4
         FROM target_periods p
         WHERE p.period_id = ut.period_id AND p.end_time >= $4
           AND ut.org_id = $1 AND ut.customer_id = $2 AND ut.target_rule_id = $3 AND NOT ut.un_enrolled",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(target_rule_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
