//! Target groups as one customer sees them: the groups, the targets per period, milestones and
//! streaks.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{AssertSqlSafe, FromRow, PgExecutor, types::Json};

use super::customers::{self, CommChannel, CustomerProfile};
use crate::model::{Decimal, StreakStatus, TargetEvaluationType, TrackingType};

/// Which of an org's target groups a customer sees.
#[derive(Debug, Clone, Copy)]
pub struct GroupFilter<'a> {
    /// Also groups that are switched off.
    pub include_inactive: bool,
    /// Group ids to leave out.
    pub excluded: &'a [i64],
}

#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
pub struct MilestoneRow {
    pub milestone_id: i64,
    pub target_rule_id: i64,
    pub trigger_name: String,
    pub trigger_value: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserMilestoneRow {
    pub user_target_id: i64,
    pub milestone_id: i64,
    pub achieved_on: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize)]
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

/// A customer with every target group they see, and what the answer is built from: the rows of
/// each list, as of the statement.
#[derive(Debug, Clone, FromRow)]
pub struct CustomerTargetGroups {
    #[sqlx(flatten)]
    pub profile: CustomerProfile,
    pub channels: Json<Vec<CommChannel>>,
    /// The groups the customer holds a user target in or belongs to the audience of, by id.
    pub groups: Json<Vec<TargetGroupRow>>,
    /// The customer's user targets in the groups they hold one in, and every period of every rule
    /// of the other (audience) groups, by group, period start, period and rule.
    pub targets: Json<Vec<TargetRow>>,
    /// The milestones of the targets' rules, by rule and milestone.
    pub milestones: Json<Vec<MilestoneRow>>,
    /// The milestones the user targets reached, whenever they did.
    pub reached: Json<Vec<UserMilestoneRow>>,
    /// The customer's streaks in the groups that track streaks, with how many of the targets each
    /// counts were achieved after the instant asked about (so the streak can be told as it stood
    /// then).
    pub streaks: Json<Vec<UserStreakRow>>,
}

/// One statement, one round trip: the lists come as JSON arrays of rows (amounts as text, so
/// they keep their digits), each read from the lists before it in the same snapshot.
static CUSTOMER_TARGET_GROUPS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH groups AS (
             SELECT g.target_group_id, g.name, g.preferred_till_id, g.target_evaluation_type, g.tracking_type,
                    g.created_on, g.last_updated_on, g.created_by, g.last_updated_by, enrolled.first_user_target_id
             FROM target_groups g
             CROSS JOIN LATERAL (
                 SELECT min(ut.user_target_id) AS first_user_target_id
                 FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
                 WHERE ut.org_id = $1 AND ut.customer_id = $2 AND r.target_group_id = g.target_group_id
             ) enrolled
             WHERE g.org_id = $1
               AND ($4 OR g.is_active)
               AND NOT (g.target_group_id = ANY($5))
               AND (enrolled.first_user_target_id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM target_group_audiences a
                               WHERE a.org_id = $1 AND a.target_group_id = g.target_group_id AND a.customer_id = $2))
         ),
         targets AS (
             SELECT r.target_group_id, ut.user_target_id, p.period_id, r.program_id,
                    ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name,
                    p.ref_code, p.start_date, p.end_date, p.start_time, p.end_time,
                    ut.target_value::text AS target_value, ut.achieved_value::text AS achieved_value,
                    r.name AS target_name, r.target_type, r.target_entity, r.target_rule_id, r.event_name,
                    ut.enrolled_on, ut.achieved_on, coalesce(ut.last_updated_on, ut.enrolled_on) AS last_updated_on, ut.un_enrolled,
                    (SELECT c.target_achieved_event_log_id FROM target_completions c
                     WHERE c.user_target_id = ut.user_target_id AND c.milestone_id IS NULL
                     ORDER BY c.event_log_id LIMIT 1) AS target_achieved_event_log_id
             FROM user_targets ut
             JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
             JOIN target_periods p ON p.period_id = ut.period_id
             LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
             WHERE ut.org_id = $1 AND ut.customer_id = $2
               AND r.target_group_id IN (SELECT target_group_id FROM groups WHERE first_user_target_id IS NOT NULL)
               AND ($6 OR r.is_active) AND ($7::bigint IS NULL OR r.target_rule_id = $7 OR r.target_group_id = $7)
             UNION ALL
             SELECT r.target_group_id, NULL, p.period_id, r.program_id,
                    ac.identifier, ac.name,
                    p.ref_code, p.start_date, p.end_date, p.start_time, p.end_time,
                    r.target_value::text, '0',
                    r.name, r.target_type, r.target_entity, r.target_rule_id, r.event_name,
                    NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, false, NULL::bigint
             FROM target_periods p
             JOIN target_rules r ON r.target_group_id = p.target_group_id
             LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
             WHERE p.org_id = $1 AND p.target_group_id IN (SELECT target_group_id FROM groups WHERE first_user_target_id IS NULL)
               AND ($6 OR r.is_active) AND ($7::bigint IS NULL OR r.target_rule_id = $7 OR r.target_group_id = $7)
         )
         SELECT {profile_and_channels},
                (SELECT coalesce(json_agg(g ORDER BY g.target_group_id), '[]') FROM groups g) AS groups,
                (SELECT coalesce(json_agg(t ORDER BY t.target_group_id, t.start_time, t.period_id, t.target_rule_id, t.user_target_id), '[]')
                 FROM targets t) AS targets,
                (SELECT coalesce(json_agg(m ORDER BY m.target_rule_id, m.milestone_id), '[]')
                 FROM (SELECT milestone_id, target_rule_id, trigger_name, trigger_value::text AS trigger_value FROM milestones
                       WHERE org_id = $1 AND target_rule_id IN (SELECT target_rule_id FROM targets)) m) AS milestones,
                (SELECT coalesce(json_agg(um), '[]')
                 FROM (SELECT user_target_id, milestone_id, achieved_on FROM user_milestones
                       WHERE org_id = $1 AND user_target_id IN (SELECT user_target_id FROM targets)) um) AS reached,
                (SELECT coalesce(json_agg(s ORDER BY s.target_group_id, s.user_streak_id), '[]')
                 FROM (SELECT s.target_group_id, us.user_streak_id, s.streak_id, s.name AS streak_name, us.status,
                              us.current_count, s.total_target_count, us.achieved_user_target_id, us.achieved_on,
                              (SELECT count(*) FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id
                               WHERE ut.org_id = $1 AND ut.customer_id = $2 AND r.target_group_id = s.target_group_id
                                 AND (s.target_rule_id IS NULL OR ut.target_rule_id = s.target_rule_id)
                                 AND ut.achieved_on > $8) AS achieved_after
                       FROM user_streaks us JOIN streaks s ON s.streak_id = us.streak_id
                       WHERE us.org_id = $1 AND us.customer_id = $2
                         AND s.target_group_id IN (SELECT target_group_id FROM groups WHERE tracking_type = ANY($9))) s) AS streaks
         FROM customers c WHERE c.org_id = $1 AND c.customer_id = $2",
        profile_and_channels = customers::profile_and_channels("$3"),
    )
});

/// The customer and the target groups they see, with their targets, milestones and streaks; `None`
/// when the org has no such customer.
pub async fn customer_target_groups(
    db: impl PgExecutor<'_>,
    org_id: i64,
    customer_id: i64,
    groups: GroupFilter<'_>,
    targets: TargetFilter,
    instant: DateTime<Utc>,
) -> sqlx::Result<Option<CustomerTargetGroups>> {
    let streak_tracking: Vec<TrackingType> =
        <TrackingType as crate::model::TextEnum>::ALL.iter().copied().filter(|kind| kind.tracks_streaks()).collect();
    sqlx::query_as::<_, CustomerTargetGroups>(AssertSqlSafe(CUSTOMER_TARGET_GROUPS.as_str()))
        .bind(org_id)
        .bind(customer_id)
        .bind(customers::COMM_CHANNEL_TYPES)
        .bind(groups.include_inactive)
        .bind(groups.excluded)
        .bind(targets.include_inactive_rules)
        .bind(targets.target_rule_id)
        .bind(instant)
        .bind(streak_tracking)
        .fetch_optional(db)
        .await
}
