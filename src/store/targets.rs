//! Target groups as one customer sees them: the groups, the targets per period, milestones and
//! streaks.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};

use crate::model::{Decimal, StreakStatus, TargetEvaluationType, TrackingType};

/// Which of an org's target groups a customer sees.
#[derive(Debug, Clone, Copy)]
pub struct GroupFilter<'a> {
    /// Also groups that are switched off.
    pub include_inactive: bool,
    /// Group ids to leave out.
    pub excluded: &'a [i64],
}

#[derive(Debug, Clone, FromRow)]
pub struct TargetGroupRow {
    pub target_group_id: i64,
    pub name: String,
    pub preferred_till_id: i64,
    pub target_evaluation_type: TargetEvaluationType,
    pub tracking_type: TrackingType,
    pub created_on: DateTime<Utc>,
    pub last_updated_on: DateTime<Utc>,
    pub created_by: Option<Value>,
    pub last_updated_by: Option<Value>,
    /// The customer's first user target in the group; `None`: the customer sees the group through
    /// its audience and holds no target in it.
    pub first_user_target_id: Option<i64>,
}

/// Which targets of the visible groups a customer sees.
#[derive(Debug, Clone, Copy)]
pub struct TargetFilter {
    /// Also targets of rules that are switched off.
    pub include_inactive_rules: bool,
    /// Only targets of this rule.
    pub target_rule_id: Option<i64>,
}

/// One target of one period: the customer's user target, or (`user_target_id` NULL) the rule and
/// period of a group the customer holds no target in.
#[derive(Debug, Clone, FromRow)]
pub struct TargetRow {
    pub target_group_id: i64,
    pub user_target_id: Option<i64>,
    pub period_id: i64,
    pub program_id: Option<i64>,
    pub alternate_currency_identifier: Option<String>,
    pub alternate_currency_name: Option<String>,
    pub ref_code: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub target_value: Decimal,
    pub achieved_value: Decimal,
    pub target_name: String,
    pub target_type: String,
    pub target_entity: String,
    pub target_rule_id: i64,
    pub event_name: String,
    pub enrolled_on: Option<DateTime<Utc>>,
    pub achieved_on: Option<DateTime<Utc>>,
    pub last_updated_on: Option<DateTime<Utc>>,
    pub un_enrolled: bool,
    /// The event that achieved the target, from its completion.
    pub target_achieved_event_log_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MilestoneRow {
    pub milestone_id: i64,
    pub target_rule_id: i64,
    pub trigger_name: String,
    pub trigger_value: Decimal,
}

#[derive(Debug, Clone, FromRow)]
pub struct UserMilestoneRow {
    pub user_target_id: i64,
    pub milestone_id: i64,
    pub achieved_on: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct UserStreakRow {
    pub target_group_id: i64,
    pub user_streak_id: i64,
    pub streak_id: i64,
    pub streak_name: String,
    pub status: StreakStatus,
    pub current_count: i32,
    pub total_target_count: i32,
    pub achieved_user_target_id: Option<i64>,
    pub achieved_on: Option<DateTime<Utc>>,
    /// Targets the streak counts that were achieved after the instant asked about.
    pub achieved_after: i64,
}

/// The groups the customer holds a user target in or belongs to the audience of.
pub async fn visible_groups(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    filter: GroupFilter<'_>,
) -> sqlx::Result<Vec<TargetGroupRow>> {
    sqlx::query_as::<_, TargetGroupRow>(
        "SELECT g.target_group_id, g.name, g.preferred_till_id, g.target_evaluation_type, g.tracking_type,
                g.created_on, g.last_updated_on, g.created_by, g.last_updated_by, enrolled.first_user_target_id
         FROM target_groups g
         CROSS JOIN LATERAL (
             SELECT min(ut.user_target_id) AS first_user_target_id
             FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
             WHERE ut.org_id = $1 AND ut.customer_id = $2 AND r.target_group_id = g.target_group_id
         ) enrolled
         WHERE g.org_id = $1
           AND ($3 OR g.is_active)
           AND NOT (g.target_group_id = ANY($4))
           AND (enrolled.first_user_target_id IS NOT NULL
                OR EXISTS (SELECT 1 FROM target_group_audiences a
                           WHERE a.org_id = $1 AND a.target_group_id = g.target_group_id AND a.customer_id = $2))
         ORDER BY g.target_group_id",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(filter.include_inactive)
    .bind(filter.excluded)
    .fetch_all(db)
    .await
}

/// The customer's user targets in `enrolled_groups`, and every period of every rule of
/// `audience_groups` (groups the customer holds no target in), by group, period and rule.
pub async fn targets(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    enrolled_groups: &[i64],
    audience_groups: &[i64],
    filter: TargetFilter,
) -> sqlx::Result<Vec<TargetRow>> {
    sqlx::query_as::<_, TargetRow>(
        "SELECT * FROM (
             SELECT r.target_group_id, ut.user_target_id, p.period_id, r.program_id,
                    ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name,
                    p.ref_code, p.start_date, p.end_date, p.start_time, p.end_time,
                    ut.target_value, ut.achieved_value,
                    r.name AS target_name, r.target_type, r.target_entity, r.target_rule_id, r.event_name,
                    ut.enrolled_on, ut.achieved_on, coalesce(ut.last_updated_on, ut.enrolled_on) AS last_updated_on, ut.un_enrolled,
                    (SELECT c.target_achieved_event_log_id FROM target_completions c
                     WHERE c.user_target_id = ut.user_target_id AND c.milestone_id IS NULL
                     ORDER BY c.event_log_id LIMIT 1) AS target_achieved_event_log_id
             FROM user_targets ut
             JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
             JOIN target_periods p ON p.period_id = ut.period_id
             LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
             WHERE ut.org_id = $1 AND ut.customer_id = $2 AND r.target_group_id = ANY($3)
               AND ($5 OR r.is_active) AND ($6::bigint IS NULL OR r.target_rule_id = $6 OR r.target_group_id = $6)
             UNION ALL
             SELECT r.target_group_id, NULL, p.period_id, r.program_id,
                    ac.identifier, ac.name,
                    p.ref_code, p.start_date, p.end_date, p.start_time, p.end_time,
                    r.target_value, 0::numeric,
                    r.name, r.target_type, r.target_entity, r.target_rule_id, r.event_name,
                    NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, false, NULL::bigint
             FROM target_periods p
             JOIN target_rules r ON r.target_group_id = p.target_group_id
             LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
             WHERE p.org_id = $1 AND p.target_group_id = ANY($4)
               AND ($5 OR r.is_active) AND ($6::bigint IS NULL OR r.target_rule_id = $6 OR r.target_group_id = $6)
         ) targets
         ORDER BY target_group_id, start_time, period_id, target_rule_id, user_target_id",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(enrolled_groups)
    .bind(audience_groups)
    .bind(filter.include_inactive_rules)
    .bind(filter.target_rule_id)
    .fetch_all(db)
    .await
}

/// Either a milestone of a rule (`user_target_id` NULL) or one a user target reached: both come
/// in one statement.
#[derive(FromRow)]
struct MilestoneOrReached {
    milestone_id: i64,
    target_rule_id: Option<i64>,
    trigger_name: Option<String>,
    trigger_value: Option<Decimal>,
    user_target_id: Option<i64>,
    achieved_on: Option<DateTime<Utc>>,
}

/// The milestones of these rules (by rule, then milestone), and those these user targets reached,
/// whenever they did.
pub async fn milestones_and_reached(
    db: impl PgExecutor<'_>,
    org_id: i64,
    target_rule_ids: &[i64],
    user_target_ids: &[i64],
) -> sqlx::Result<(Vec<MilestoneRow>, Vec<UserMilestoneRow>)> {
    let rows = sqlx::query_as::<_, MilestoneOrReached>(
        "SELECT milestone_id, target_rule_id, trigger_name, trigger_value, NULL::bigint AS user_target_id, NULL::timestamptz AS achieved_on
         FROM milestones WHERE org_id = $1 AND target_rule_id = ANY($2)
         UNION ALL
         SELECT milestone_id, NULL, NULL, NULL, user_target_id, achieved_on
         FROM user_milestones WHERE org_id = $1 AND user_target_id = ANY($3)
         ORDER BY user_target_id NULLS FIRST, target_rule_id, milestone_id",
    )
    .bind(org_id)
    .bind(target_rule_ids)
    .bind(user_target_ids)
    .fetch_all(db)
    .await?;
    let (mut milestones, mut reached) = (Vec::new(), Vec::new());
    for row in rows {
        match (row.user_target_id, row.achieved_on, row.target_rule_id, row.trigger_name, row.trigger_value) {
            (Some(user_target_id), Some(achieved_on), ..) => {
                reached.push(UserMilestoneRow { user_target_id, milestone_id: row.milestone_id, achieved_on });
            }
            (None, _, Some(target_rule_id), Some(trigger_name), Some(trigger_value)) => {
                milestones.push(MilestoneRow { milestone_id: row.milestone_id, target_rule_id, trigger_name, trigger_value });
            }
            _ => {}
        }
    }
    Ok((milestones, reached))
}

/// The customer's streaks in these groups, with how many of the targets each counts were
/// achieved after `instant` (so the streak can be told as it stood then).
pub async fn user_streaks(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    target_group_ids: &[i64],
    instant: DateTime<Utc>,
) -> sqlx::Result<Vec<UserStreakRow>> {
    sqlx::query_as::<_, UserStreakRow>(
        "SELECT s.target_group_id, us.user_streak_id, s.streak_id, s.name AS streak_name, us.status,
                us.current_count, s.total_target_count, us.achieved_user_target_id, us.achieved_on,
                (SELECT count(*) FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
                 WHERE ut.org_id = $1 AND ut.customer_id = $2 AND r.target_group_id = s.target_group_id
                   AND (s.target_rule_id IS NULL OR ut.target_rule_id = s.target_rule_id)
                   AND ut.achieved_on > $4) AS achieved_after
         FROM user_streaks us JOIN streaks s ON s.streak_id = us.streak_id
         WHERE us.org_id = $1 AND us.customer_id = $2 AND s.target_group_id = ANY($3)
         ORDER BY s.target_group_id, us.user_streak_id",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(target_group_ids)
    .bind(instant)
    .fetch_all(db)
    .await
}
