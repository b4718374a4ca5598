//! Target groups as one customer sees them: the groups, the targets per period, milestones and
//! streaks.

use std::{collections::HashMap, sync::LazyLock};

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
    #[serde(default)]
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
#[derive(Debug, Clone)]
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

#[derive(Debug, Clone)]
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

/// An org's target configuration, which every customer's answer is built from: its groups, rules
/// (with their currencies), periods, milestones and streaks. Small and rarely changed, so a process
/// keeps it in memory (`platform::cache`) and a request reads only the customer's own rows.
#[derive(Debug, Clone, Default)]
pub struct OrgTargets {
    /// By id.
    pub groups: Vec<ConfiguredGroup>,
    pub rules: HashMap<i64, ConfiguredRule>,
    pub periods: HashMap<i64, ConfiguredPeriod>,
    /// Each group's rules and periods, by id.
    pub rules_of_group: HashMap<i64, Vec<i64>>,
    pub periods_of_group: HashMap<i64, Vec<i64>>,
    /// By rule and milestone.
    pub milestones: Vec<MilestoneRow>,
    pub streaks: HashMap<i64, ConfiguredStreak>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredGroup {
    #[serde(flatten)]
    pub row: TargetGroupRow,
    pub is_active: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredRule {
    pub target_rule_id: i64,
    pub target_group_id: i64,
    pub is_active: bool,
    pub program_id: Option<i64>,
    pub alternate_currency_identifier: Option<String>,
    pub alternate_currency_name: Option<String>,
    pub target_value: Decimal,
    pub target_name: String,
    pub target_type: String,
    pub target_entity: String,
    pub event_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredPeriod {
    pub period_id: i64,
    pub target_group_id: i64,
    pub ref_code: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredStreak {
    pub streak_id: i64,
    pub target_group_id: i64,
    /// The one rule whose targets the streak counts; `None`: every rule of the group.
    pub target_rule_id: Option<i64>,
    pub streak_name: String,
    pub total_target_count: i32,
}

#[derive(FromRow)]
struct OrgTargetLists {
    groups: Json<Vec<ConfiguredGroup>>,
    rules: Json<Vec<ConfiguredRule>>,
    periods: Json<Vec<ConfiguredPeriod>>,
    milestones: Json<Vec<MilestoneRow>>,
    streaks: Json<Vec<ConfiguredStreak>>,
}

/// One statement: the lists as JSON arrays (amounts as text, so they keep their digits).
const ORG_TARGETS: &str = "SELECT
       (SELECT coalesce(json_agg(g ORDER BY g.target_group_id), '[]')
        FROM (SELECT target_group_id, name, preferred_till_id, target_evaluation_type, tracking_type, created_on, last_updated_on,
                     created_by, last_updated_by, is_active
              FROM target_groups WHERE org_id = $1) g) AS groups,
       (SELECT coalesce(json_agg(r ORDER BY r.target_rule_id), '[]')
        FROM (SELECT r.target_rule_id, r.target_group_id, r.is_active, r.program_id, ac.identifier AS alternate_currency_identifier,
                     ac.name AS alternate_currency_name, r.target_value::text AS target_value, r.name AS target_name, r.target_type,
                     r.target_entity, r.event_name
              FROM target_rules r LEFT JOIN alternate_currencies ac ON ac.alternate_currency_id = r.alternate_currency_id
              WHERE r.org_id = $1) r) AS rules,
       (SELECT coalesce(json_agg(p ORDER BY p.period_id), '[]')
        FROM (SELECT period_id, target_group_id, ref_code, start_date, end_date, start_time, end_time
              FROM target_periods WHERE org_id = $1) p) AS periods,
       (SELECT coalesce(json_agg(m ORDER BY m.target_rule_id, m.milestone_id), '[]')
        FROM (SELECT milestone_id, target_rule_id, trigger_name, trigger_value::text AS trigger_value
              FROM milestones WHERE org_id = $1) m) AS milestones,
       (SELECT coalesce(json_agg(s ORDER BY s.streak_id), '[]')
        FROM (SELECT streak_id, target_group_id, target_rule_id, name AS streak_name, total_target_count
              FROM streaks WHERE org_id = $1) s) AS streaks";

/// The org's target configuration, as of the statement.
pub async fn org_targets(db: impl PgExecutor<'_>, org_id: i64) -> sqlx::Result<OrgTargets> {
    let lists = sqlx::query_as::<_, OrgTargetLists>(ORG_TARGETS).bind(org_id).fetch_one(db).await?;
    let mut targets = OrgTargets { groups: lists.groups.0, milestones: lists.milestones.0, ..OrgTargets::default() };
    for rule in lists.rules.0 {
        targets.rules_of_group.entry(rule.target_group_id).or_default().push(rule.target_rule_id);
        targets.rules.insert(rule.target_rule_id, rule);
    }
    for period in lists.periods.0 {
        targets.periods_of_group.entry(period.target_group_id).or_default().push(period.period_id);
        targets.periods.insert(period.period_id, period);
    }
    targets.streaks = lists.streaks.0.into_iter().map(|streak| (streak.streak_id, streak)).collect();
    Ok(targets)
}

/// One of the customer's user targets.
#[derive(Debug, Clone, Deserialize)]
pub struct UserTargetRow {
    pub user_target_id: i64,
    pub target_rule_id: i64,
    pub period_id: i64,
    pub target_value: Decimal,
    pub achieved_value: Decimal,
    pub enrolled_on: DateTime<Utc>,
    pub achieved_on: Option<DateTime<Utc>>,
    /// The enrolment when the target was never updated since.
    pub last_updated_on: DateTime<Utc>,
    pub un_enrolled: bool,
    /// The event that achieved the target, from its completion.
    pub target_achieved_event_log_id: Option<i64>,
}

/// One of the customer's streaks, as recorded.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerStreakRow {
    pub user_streak_id: i64,
    pub streak_id: i64,
    pub status: StreakStatus,
    pub current_count: i32,
    pub achieved_user_target_id: Option<i64>,
    pub achieved_on: Option<DateTime<Utc>>,
}

/// A customer with their own rows of the targets: what the org's configuration is joined to.
#[derive(Debug, Clone, FromRow)]
pub struct CustomerTargets {
    #[sqlx(flatten)]
    pub profile: CustomerProfile,
    pub channels: Json<Vec<CommChannel>>,
    /// By id.
    pub user_targets: Json<Vec<UserTargetRow>>,
    /// The groups whose audience the customer belongs to.
    pub audiences: Json<Vec<i64>>,
    /// The milestones the customer's user targets reached, whenever they did.
    pub reached: Json<Vec<UserMilestoneRow>>,
    /// By id.
    pub streaks: Json<Vec<CustomerStreakRow>>,
}

/// One statement, one round trip, each list a JSON array read by the customer's index.
static CUSTOMER_TARGETS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {profile_and_channels},
                (SELECT coalesce(json_agg(t ORDER BY t.user_target_id), '[]')
                 FROM (SELECT ut.user_target_id, ut.target_rule_id, ut.period_id,
                              ut.target_value::text AS target_value, ut.achieved_value::text AS achieved_value,
                              ut.enrolled_on, ut.achieved_on, coalesce(ut.last_updated_on, ut.enrolled_on) AS last_updated_on, ut.un_enrolled,
                              (SELECT tc.target_achieved_event_log_id FROM target_completions tc
                               WHERE tc.user_target_id = ut.user_target_id AND tc.milestone_id IS NULL
                               ORDER BY tc.event_log_id LIMIT 1) AS target_achieved_event_log_id
                       FROM user_targets ut WHERE ut.org_id = c.org_id AND ut.customer_id = c.customer_id) t) AS user_targets,
                (SELECT coalesce(json_agg(a.target_group_id), '[]')
                 FROM target_group_audiences a WHERE a.org_id = c.org_id AND a.customer_id = c.customer_id) AS audiences,
                (SELECT coalesce(json_agg(um), '[]')
                 FROM (SELECT um.user_target_id, um.milestone_id, um.achieved_on
                       FROM user_targets ut JOIN user_milestones um ON um.user_target_id = ut.user_target_id
                       WHERE ut.org_id = c.org_id AND ut.customer_id = c.customer_id AND um.org_id = c.org_id) um) AS reached,
                (SELECT coalesce(json_agg(us ORDER BY us.user_streak_id), '[]')
                 FROM (SELECT user_streak_id, streak_id, status, current_count, achieved_user_target_id, achieved_on
                       FROM user_streaks WHERE org_id = c.org_id AND customer_id = c.customer_id) us) AS streaks
         FROM customers c WHERE c.org_id = $1 AND c.customer_id = $2",
        profile_and_channels = customers::profile_and_channels("$3"),
    )
});

/// The customer and their own rows of the targets; `None` when the org has no such customer.
pub async fn customer_targets(db: impl PgExecutor<'_>, org_id: i64, customer_id: i64) -> sqlx::Result<Option<CustomerTargets>> {
    sqlx::query_as::<_, CustomerTargets>(AssertSqlSafe(CUSTOMER_TARGETS.as_str()))
        .bind(org_id)
        .bind(customer_id)
        .bind(customers::COMM_CHANNEL_TYPES)
        .fetch_optional(db)
        .await
}

/// What one customer sees of the org's targets: the lists the answer is built from.
#[derive(Debug, Clone, Default)]
pub struct CustomerTargetGroups {
    /// The groups the customer holds a user target in or belongs to the audience of, by id.
    pub groups: Vec<TargetGroupRow>,
    /// The customer's user targets in the groups they hold one in, and every period of every rule
    /// of the other (audience) groups, by group, period start, period, rule and user target.
    pub targets: Vec<TargetRow>,
    /// The milestones of the targets' rules, by rule and milestone.
    pub milestones: Vec<MilestoneRow>,
    /// The milestones the shown user targets reached, whenever they did.
    pub reached: Vec<UserMilestoneRow>,
    /// The customer's streaks in the shown groups that track streaks, by group and user streak.
    pub streaks: Vec<UserStreakRow>,
}

/// The customer's rows name a rule, period, streak or group the configuration does not hold: it
/// was read before a change that added them.
struct OutdatedConfiguration;

/// What to do with a customer's row that names something the configuration does not hold.
#[derive(Clone, Copy)]
enum Unknown {
    /// Say the configuration is outdated (it was kept from before the customer's rows were read).
    Outdated,
    /// Leave the row out (the configuration was read after the customer's rows, so the row names
    /// something of another org).
    Skip,
}

impl OrgTargets {
    /// What the customer sees, joined to a configuration kept from before their rows were read;
    /// `None` when their rows name something it does not hold yet (read it again).
    pub fn seen_by(
        &self,
        customer: &CustomerTargets,
        groups: GroupFilter<'_>,
        targets: TargetFilter,
        instant: DateTime<Utc>,
    ) -> Option<CustomerTargetGroups> {
        self.join(customer, groups, targets, instant, Unknown::Outdated).ok()
    }

    /// What the customer sees, joined to a configuration read after their rows (which names
    /// everything their rows do, unless a row names another org's).
    pub fn seen_by_now(
        &self,
        customer: &CustomerTargets,
        groups: GroupFilter<'_>,
        targets: TargetFilter,
        instant: DateTime<Utc>,
    ) -> CustomerTargetGroups {
        self.join(customer, groups, targets, instant, Unknown::Skip).unwrap_or_default()
    }

    /// Joins the customer's rows to the configuration, as the statement before it did: the groups
    /// they see (as `groups` filters), with the targets `targets` lets through, and each streak's
    /// count of targets achieved after `instant` (so it can be told as it stood then).
    fn join(
        &self,
        customer: &CustomerTargets,
        groups: GroupFilter<'_>,
        targets: TargetFilter,
        instant: DateTime<Utc>,
        unknown: Unknown,
    ) -> Result<CustomerTargetGroups, OutdatedConfiguration> {
        let unknown_row = || match unknown {
            Unknown::Outdated => Err(OutdatedConfiguration),
            Unknown::Skip => Ok(()),
        };

        let mut user_targets = Vec::with_capacity(customer.user_targets.0.len());
        for user_target in &customer.user_targets.0 {
            let (Some(rule), Some(period)) = (self.rules.get(&user_target.target_rule_id), self.periods.get(&user_target.period_id)) else {
                unknown_row()?;
                continue;
            };
            user_targets.push((user_target, rule, period));
        }
        let mut first_user_target: HashMap<i64, i64> = HashMap::new();
        for (user_target, rule, _) in &user_targets {
            let first = first_user_target.entry(rule.target_group_id).or_insert(user_target.user_target_id);
            *first = (*first).min(user_target.user_target_id);
        }
        for group_id in &customer.audiences.0 {
            if self.groups.binary_search_by_key(group_id, |group| group.row.target_group_id).is_err() {
                unknown_row()?;
            }
        }

        let shown: Vec<TargetGroupRow> = self
            .groups
            .iter()
            .filter(|group| groups.include_inactive || group.is_active)
            .filter(|group| !groups.excluded.contains(&group.row.target_group_id))
            .filter_map(|group| {
                let first_user_target_id = first_user_target.get(&group.row.target_group_id).copied();
                (first_user_target_id.is_some() || customer.audiences.0.contains(&group.row.target_group_id))
                    .then(|| TargetGroupRow { first_user_target_id, ..group.row.clone() })
            })
            .collect();
        let enrolled_in =
            |group_id: i64| shown.iter().any(|group| group.target_group_id == group_id && group.first_user_target_id.is_some());
        let passes = |rule: &ConfiguredRule| {
            (targets.include_inactive_rules || rule.is_active)
                && targets.target_rule_id.is_none_or(|id| rule.target_rule_id == id || rule.target_group_id == id)
        };

        let mut target_rows: Vec<TargetRow> = user_targets
            .iter()
            .filter(|(_, rule, _)| enrolled_in(rule.target_group_id) && passes(rule))
            .map(|(user_target, rule, period)| TargetRow {
                user_target_id: Some(user_target.user_target_id),
                target_value: user_target.target_value,
                achieved_value: user_target.achieved_value,
                enrolled_on: Some(user_target.enrolled_on),
                achieved_on: user_target.achieved_on,
                last_updated_on: Some(user_target.last_updated_on),
                un_enrolled: user_target.un_enrolled,
                target_achieved_event_log_id: user_target.target_achieved_event_log_id,
                ..TargetRow::of(rule, period)
            })
            .collect();
        for group in shown.iter().filter(|group| group.first_user_target_id.is_none()) {
            let rules: Vec<&ConfiguredRule> = ids_of_group(&self.rules_of_group, group.target_group_id)
                .iter()
                .map(|id| &self.rules[id])
                .filter(|rule| passes(rule))
                .collect();
            for period in ids_of_group(&self.periods_of_group, group.target_group_id).iter().map(|id| &self.periods[id]) {
                target_rows.extend(rules.iter().map(|rule| TargetRow::of(rule, period)));
            }
        }
        target_rows.sort_by_key(|target| {
            // As PostgreSQL orders ascending: NULLs last.
            (
                target.target_group_id,
                target.start_time,
                target.period_id,
                target.target_rule_id,
                target.user_target_id.is_none(),
                target.user_target_id,
            )
        });

        let milestones = self
            .milestones
            .iter()
            .filter(|milestone| target_rows.iter().any(|target| target.target_rule_id == milestone.target_rule_id))
            .cloned()
            .collect();
        let reached = customer
            .reached
            .0
            .iter()
            .filter(|row| target_rows.iter().any(|target| target.user_target_id == Some(row.user_target_id)))
            .cloned()
            .collect();

        let mut streaks = Vec::new();
        for user_streak in &customer.streaks.0 {
            let Some(streak) = self.streaks.get(&user_streak.streak_id) else {
                unknown_row()?;
                continue;
            };
            let tracked = shown.iter().any(|group| group.target_group_id == streak.target_group_id && group.tracking_type.tracks_streaks());
            if !tracked {
                continue;
            }
            let achieved_after = user_targets
                .iter()
                .filter(|(user_target, rule, _)| {
                    rule.target_group_id == streak.target_group_id
                        && streak.target_rule_id.is_none_or(|id| id == rule.target_rule_id)
                        && user_target.achieved_on.is_some_and(|at| at > instant)
                })
                .count() as i64;
            streaks.push(UserStreakRow {
                target_group_id: streak.target_group_id,
                user_streak_id: user_streak.user_streak_id,
                streak_id: streak.streak_id,
                streak_name: streak.streak_name.clone(),
                status: user_streak.status,
                current_count: user_streak.current_count,
                total_target_count: streak.total_target_count,
                achieved_user_target_id: user_streak.achieved_user_target_id,
                achieved_on: user_streak.achieved_on,
                achieved_after,
            });
        }
        streaks.sort_by_key(|streak| (streak.target_group_id, streak.user_streak_id));

        Ok(CustomerTargetGroups { groups: shown, targets: target_rows, milestones, reached, streaks })
    }
}

/// The ids an index of the configuration holds for a group (none when it holds nothing for it).
fn ids_of_group(index: &HashMap<i64, Vec<i64>>, group_id: i64) -> &[i64] {
    index.get(&group_id).map_or(&[], Vec::as_slice)
}

impl TargetRow {
    /// A rule's target in a period, as the rule sets it: no customer's user target.
    fn of(rule: &ConfiguredRule, period: &ConfiguredPeriod) -> TargetRow {
        TargetRow {
            target_group_id: rule.target_group_id,
            user_target_id: None,
            period_id: period.period_id,
            program_id: rule.program_id,
            alternate_currency_identifier: rule.alternate_currency_identifier.clone(),
            alternate_currency_name: rule.alternate_currency_name.clone(),
            ref_code: period.ref_code.clone(),
            start_date: period.start_date,
            end_date: period.end_date,
            start_time: period.start_time,
            end_time: period.end_time,
            target_value: rule.target_value,
            achieved_value: Decimal::from(rust_decimal::Decimal::ZERO),
            target_name: rule.target_name.clone(),
            target_type: rule.target_type.clone(),
            target_entity: rule.target_entity.clone(),
            target_rule_id: rule.target_rule_id,
            event_name: rule.event_name.clone(),
            enrolled_on: None,
            achieved_on: None,
            last_updated_on: None,
            un_enrolled: false,
            target_achieved_event_log_id: None,
        }
    }
}
