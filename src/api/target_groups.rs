//! `GET /v3/users/{userId}/targetGroups`: a customer's target groups with their targets per
//! period, milestones and streaks, judged at the emulator's clock for the caller's org or at
//! `trackingDate`.

use std::collections::{HashMap, HashSet};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::Uri,
    routing::get,
};
use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    auth::CallerOrg,
    error::{ApiError, ApiResult, ErrorCode},
    extract::{Param, Params, path_param},
    repo::{
        self,
        profiles::{CommChannel, CustomerProfile},
        targets::{GroupFilter, MilestoneRow, TargetFilter, TargetGroupRow, TargetRow, UserMilestoneRow, UserStreakRow},
    },
    state::AppState,
    timestamps,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v3/users/{userId}/targetGroups", get(user_target_groups))
}

const EXCLUDED_ENTITIES: &str = "excludedEntities";

/// The query parameters, validated.
#[derive(Debug)]
struct TargetGroupsQuery {
    include_inactive: bool,
    include_inactive_targets: bool,
    target_rule_id: Option<i64>,
    excluded_group_ids: Vec<i64>,
    tracking_date: Option<DateTime<Utc>>,
}

impl TargetGroupsQuery {
    fn parse(uri: &Uri) -> ApiResult<TargetGroupsQuery> {
        let query = uri.query().unwrap_or("");
        let params = Params::parse(query);
        let tracking_date = params
            .optional::<i64>("trackingDate")?
            .map(|millis| {
                DateTime::from_timestamp_millis(millis).ok_or_else(|| {
                    ApiError::bad_parameter(
                        "trackingDate",
                        format!("Parameter 'trackingDate' must be an instant in epoch milliseconds, got '{millis}'"),
                    )
                })
            })
            .transpose()?;
        Ok(TargetGroupsQuery {
            include_inactive: params.flag("includeInactive")?,
            include_inactive_targets: params.flag("includeInactiveTargets")?,
            target_rule_id: params.optional("targetRuleId")?,
            excluded_group_ids: excluded_entities(query)?,
            tracking_date,
        })
    }
}

/// `excludedEntities` as Capillary's array parameter takes it: repeated
/// (`excludedEntities=1&excludedEntities=2`), comma-separated, or both.
fn excluded_entities(query: &str) -> ApiResult<Vec<i64>> {
    let mut ids = Vec::new();
    for (_, value) in form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key == EXCLUDED_ENTITIES) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        for item in value.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(ApiError::bad_parameter(
                    EXCLUDED_ENTITIES,
                    format!("Parameter '{EXCLUDED_ENTITIES}' has an empty item in '{value}'"),
                ));
            }
            ids.push(i64::parse_param(EXCLUDED_ENTITIES, item)?);
        }
    }
    Ok(ids)
}

async fn user_target_groups(
    State(state): State<AppState>,
    CallerOrg(org): CallerOrg,
    Path(user_id): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Envelope>> {
    let user_id: i64 = path_param("userId", &user_id).map_err(|error| ApiError { code: ErrorCode::TargetGroupsInvalidUserId, ..error })?;
    let query = TargetGroupsQuery::parse(&uri).map_err(|error| ApiError { code: ErrorCode::TargetGroupsInvalidParameter, ..error })?;
    let db = &state.db;

    let customer = repo::profiles::find_customer(db, org.org_id, user_id).await?.ok_or_else(|| ApiError {
        parameter: Some("userId".to_owned()),
        ..ApiError::new(ErrorCode::TargetGroupsCustomerNotFound, format!("Customer not found for userId {user_id}"))
    })?;
    let channels = repo::profiles::comm_channels(db, org.org_id, user_id).await?;

    let judged = Judgement {
        instant: query.tracking_date.unwrap_or_else(|| state.clock.now_for(&org)),
        time_zone: org.time_zone,
        reports_achievement_times: repo::targets::reports_achievement_times(db, org.org_id).await?,
    };
    let groups = repo::targets::visible_groups(
        db,
        org.org_id,
        user_id,
        GroupFilter { include_inactive: query.include_inactive, excluded: &query.excluded_group_ids },
    )
    .await?;
    let group_ids = |enrolled: bool| -> Vec<i64> {
        groups.iter().filter(|group| group.first_user_target_id.is_some() == enrolled).map(|group| group.target_group_id).collect()
    };
    let (enrolled, audience) = (group_ids(true), group_ids(false));
    let target_filter = TargetFilter { include_inactive_rules: query.include_inactive_targets, target_rule_id: query.target_rule_id };
    let targets = repo::targets::targets(db, org.org_id, user_id, &enrolled, &audience, target_filter).await?;

    let rule_ids: Vec<i64> = targets.iter().map(|t| t.target_rule_id).collect::<HashSet<_>>().into_iter().collect();
    let user_target_ids: Vec<i64> = targets.iter().filter_map(|t| t.user_target_id).collect();
    let milestones = repo::targets::milestones(db, org.org_id, &rule_ids).await?;
    let reached = repo::targets::user_milestones(db, org.org_id, &user_target_ids).await?;
    let streak_group_ids: Vec<i64> = groups.iter().filter(|g| tracks_streaks(&g.tracking_type)).map(|g| g.target_group_id).collect();
    let streaks = repo::targets::user_streaks(db, org.org_id, user_id, &streak_group_ids, judged.instant).await?;

    let target_groups = judged.target_groups(groups, targets, &milestones, &reached, streaks);
    let customer = judged.customer(customer, channels);
    Ok(Json(Envelope { data: UserTargetGroups { user_id, customer, target_groups }, errors: None, warnings: None }))
}

fn tracks_streaks(tracking_type: &str) -> bool {
    matches!(tracking_type, "STREAKS" | "NON_CONTINUOUS_STREAKS")
}

/// The instant the answer is judged at, and how the org prints it.
struct Judgement {
    instant: DateTime<Utc>,
    time_zone: Tz,
    reports_achievement_times: bool,
}

impl Judgement {
    /// `2024-06-20T12:23:15.000+0530`: an instant in the org's time zone.
    fn timestamp(&self, instant: DateTime<Utc>) -> String {
        timestamps::with_offset(instant, self.time_zone)
    }

    /// `2024-06-20T00:00:00.000Z`: a period boundary as Capillary prints it, the org's wall-clock
    /// time followed by a literal `Z`.
    fn wall_clock(&self, instant: DateTime<Utc>) -> String {
        instant.with_timezone(&self.time_zone).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Whether something that happened at `at` had happened by the instant judged at.
    fn happened(&self, at: DateTime<Utc>) -> bool {
        at <= self.instant
    }

    /// Period boundaries are whole seconds (an end is `23:59:59`), so the instant is compared at
    /// whole-second precision: 23:59:59.999 is still inside the period.
    fn is_current(&self, target: &TargetRow) -> bool {
        let instant = self.instant.trunc_subsecs(0);
        target.start_time <= instant && instant <= target.end_time
    }

    fn customer(&self, profile: CustomerProfile, channels: Vec<CommChannel>) -> Customer {
        let comm_channels = channels
            .into_iter()
            .map(|channel| CommChannelOut {
                kind: channel.identifier_type,
                account_id: channel.account_id,
                value: channel.value,
                primary: channel.is_primary,
                verified: channel.verified,
                subscribed: channel.subscribed,
                attributes: channel.attributes,
            })
            .collect();
        Customer {
            id: profile.customer_id,
            profiles: vec![Profile {
                first_name: profile.first_name.unwrap_or_default(),
                last_name: profile.last_name.unwrap_or_default(),
                comm_channels,
                source: profile.source,
                account_id: profile.account_id,
                user_id: profile.customer_id,
                org_source_id: profile.org_source_id,
            }],
            loyalty_info: LoyaltyInfo {
                attribution: Attribution {
                    created_on: self.timestamp(profile.created_on),
                    last_updated_on: profile.last_updated_on.map(|at| self.timestamp(at)),
                    last_updated_by: Actor::from_json(profile.last_updated_by),
                    created_by: Actor::from_json(profile.created_by),
                },
                loyalty_type: profile.loyalty_type,
                lifetime_purchases: profile.lifetime_purchases,
            },
            custom_fields: profile.custom_fields,
        }
    }

    fn target_groups(
        &self,
        groups: Vec<TargetGroupRow>,
        targets: Vec<TargetRow>,
        milestones: &[MilestoneRow],
        reached: &[UserMilestoneRow],
        streaks: Vec<UserStreakRow>,
    ) -> Vec<TargetGroup> {
        let mut milestones_of_rule: HashMap<i64, Vec<&MilestoneRow>> = HashMap::new();
        for milestone in milestones {
            milestones_of_rule.entry(milestone.target_rule_id).or_default().push(milestone);
        }
        let reached: HashMap<(i64, i64), DateTime<Utc>> =
            reached.iter().map(|row| ((row.user_target_id, row.milestone_id), row.achieved_on)).collect();
        let mut targets_of_group: HashMap<i64, Vec<Target>> = HashMap::new();
        for target in targets {
            let milestones = milestones_of_rule.get(&target.target_rule_id).map(|rule_milestones| {
                rule_milestones
                    .iter()
                    .map(|milestone| Milestone {
                        id: milestone.milestone_id,
                        trigger_name: milestone.trigger_name.clone(),
                        trigger_value: milestone.trigger_value,
                        is_achieved: target
                            .user_target_id
                            .and_then(|user_target_id| reached.get(&(user_target_id, milestone.milestone_id)))
                            .is_some_and(|at| self.happened(*at)),
                    })
                    .collect()
            });
            targets_of_group.entry(target.target_group_id).or_default().push(self.target(target, milestones));
        }
        let mut streaks_of_group: HashMap<i64, Vec<Streak>> = HashMap::new();
        for streak in streaks {
            streaks_of_group.entry(streak.target_group_id).or_default().push(self.streak(streak));
        }

        // Groups left without a target to show (filtered out, or only inactive rules) are left out.
        let shown: Vec<(TargetGroupRow, Vec<Target>)> = groups
            .into_iter()
            .filter_map(|group| targets_of_group.remove(&group.target_group_id).map(|targets| (group, targets)))
            .collect();
        // Capillary puts the groups the customer holds targets in first, then audience groups.
        let insertion_order = |(group, _): &(TargetGroupRow, Vec<Target>)| {
            (group.first_user_target_id.is_none(), group.first_user_target_id, group.target_group_id)
        };
        java_hash_map_order(shown, |(group, _)| group.target_group_id, insertion_order)
            .into_iter()
            .map(|(group, targets)| TargetGroup {
                id: group.target_group_id,
                attribution: Attribution {
                    created_on: self.timestamp(group.created_on),
                    last_updated_on: Some(self.timestamp(group.last_updated_on)),
                    last_updated_by: Actor::from_json(group.last_updated_by),
                    created_by: Actor::from_json(group.created_by),
                },
                name: group.name,
                preferred_till_id: group.preferred_till_id,
                targets,
                streaks: tracks_streaks(&group.tracking_type).then(|| streaks_of_group.remove(&group.target_group_id).unwrap_or_default()),
                target_evaluation_type: group.target_evaluation_type,
                tracking_type: group.tracking_type,
            })
            .collect()
    }

    fn target(&self, target: TargetRow, milestones: Option<Vec<Milestone>>) -> Target {
        let current_period = self.is_current(&target);
        let achieved_at = target.achieved_on.filter(|at| self.happened(*at));
        Target {
            target_id: target.user_target_id,
            period_id: target.period_id,
            program_id: target.program_id,
            alternate_currency_identifier: target.alternate_currency_identifier,
            alternate_currency_name: target.alternate_currency_name,
            period_ref_code: target.ref_code,
            period_start_date: target.start_date.format("%Y-%m-%d").to_string(),
            period_end_date: target.end_date.format("%Y-%m-%d").to_string(),
            target_value: target.target_value,
            target_achieved_value: target.achieved_value,
            target_name: target.target_name,
            target_type: target.target_type,
            target_entity: target.target_entity,
            target_rule_id: target.target_rule_id,
            // A target the customer is not enrolled in is made up at the moment of asking, as
            // Capillary does: it reports that moment as its enrolment.
            enrolled_on: self.timestamp(target.enrolled_on.unwrap_or(self.instant)),
            event_name: target.event_name,
            period_start_date_with_time_stamp: self.wall_clock(target.start_time),
            period_end_date_with_time_stamp: self.wall_clock(target.end_time),
            target_achieved_date_time: self.reports_achievement_times.then(|| achieved_at.map(|at| self.timestamp(at))),
            current_period,
            milestones,
        }
    }

    /// The streak as it stood at the instant: an achievement after it is not one yet, and targets
    /// achieved after it do not count yet.
    fn streak(&self, streak: UserStreakRow) -> Streak {
        // A streak recorded as achieved without a time is achieved whenever it is asked about.
        let achieved = streak.status == "ACHIEVED" && streak.achieved_on.is_none_or(|at| self.happened(at));
        let count_then = (i64::from(streak.current_count) - streak.achieved_after).max(0);
        let (status, current_count) = if achieved {
            (streak.status, streak.current_count)
        } else if streak.status == "ACHIEVED" {
            ("INPROGRESS".to_owned(), count_then.min(i64::from(streak.total_target_count) - 1) as i32)
        } else {
            (streak.status, count_then as i32)
        };
        Streak {
            user_streak_id: streak.user_streak_id,
            streak_id: streak.streak_id,
            streak_name: streak.streak_name,
            status,
            current_count,
            total_target_count_of_sequence: streak.total_target_count,
            streak_achieved_user_target_id: if achieved { streak.achieved_user_target_id } else { None },
            streak_achieved_date_time: if achieved && self.reports_achievement_times {
                streak.achieved_on.map(|at| self.timestamp(at))
            } else {
                None
            },
        }
    }
}

/// Capillary collects the groups in a `java.util.HashMap` keyed by group id and prints them in its
/// iteration order: by bucket (`spread(Long.hashCode(id)) & (capacity - 1)`, the capacity the
/// default table grows to for that many entries), and in insertion order within a bucket.
/// Insertion order is `insertion_key` order.
fn java_hash_map_order<T, K: Ord>(mut entries: Vec<T>, id: impl Fn(&T) -> i64, insertion_key: impl Fn(&T) -> K) -> Vec<T> {
    let mut capacity: usize = 16;
    while entries.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |entry: &T| {
        let value = id(entry) as u64;
        let hash = (value ^ (value >> 32)) as u32;
        ((hash ^ (hash >> 16)) as usize) & (capacity - 1)
    };
    entries.sort_by(|a, b| bucket(a).cmp(&bucket(b)).then_with(|| insertion_key(a).cmp(&insertion_key(b))));
    entries
}

/// The success envelope.
#[derive(Debug, Serialize)]
struct Envelope {
    data: UserTargetGroups,
    errors: Option<()>,
    warnings: Option<()>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct UserTargetGroups {
    user_id: i64,
    customer: Customer,
    target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Customer {
    id: i64,
    profiles: Vec<Profile>,
    loyalty_info: LoyaltyInfo,
    custom_fields: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    first_name: String,
    last_name: String,
    comm_channels: Vec<CommChannelOut>,
    source: String,
    account_id: String,
    user_id: i64,
    org_source_id: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CommChannelOut {
    #[serde(rename = "type")]
    kind: String,
    account_id: Option<String>,
    value: String,
    primary: bool,
    verified: bool,
    subscribed: Option<bool>,
    attributes: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LoyaltyInfo {
    attribution: Attribution,
    loyalty_type: String,
    lifetime_purchases: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Attribution {
    created_on: String,
    last_updated_on: Option<String>,
    last_updated_by: Option<Actor>,
    created_by: Option<Actor>,
}

/// Who created or changed something: a till, an admin user, ...
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Actor {
    id: Option<i64>,
    code: Option<String>,
    description: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl Actor {
    fn from_json(value: Option<Value>) -> Option<Actor> {
        value.filter(|value| !value.is_null()).map(|value| serde_json::from_value(value).unwrap_or_default())
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetGroup {
    id: i64,
    attribution: Attribution,
    name: String,
    preferred_till_id: i64,
    targets: Vec<Target>,
    /// Only for groups that track streaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    streaks: Option<Vec<Streak>>,
    target_evaluation_type: String,
    tracking_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    target_id: Option<i64>,
    period_id: i64,
    /// Only for a rule that belongs to a program.
    #[serde(skip_serializing_if = "Option::is_none")]
    program_id: Option<i64>,
    /// Only for a rule that counts an alternate currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    alternate_currency_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alternate_currency_name: Option<String>,
    period_ref_code: String,
    period_start_date: String,
    period_end_date: String,
    target_value: f64,
    target_achieved_value: f64,
    target_name: String,
    target_type: String,
    target_entity: String,
    target_rule_id: i64,
    enrolled_on: String,
    event_name: String,
    period_start_date_with_time_stamp: String,
    period_end_date_with_time_stamp: String,
    /// `None`: the org's release does not report it; `Some(None)`: not achieved (yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    target_achieved_date_time: Option<Option<String>>,
    current_period: bool,
    milestones: Option<Vec<Milestone>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Milestone {
    id: i64,
    trigger_name: String,
    trigger_value: f64,
    is_achieved: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Streak {
    user_streak_id: i64,
    streak_id: i64,
    streak_name: String,
    status: String,
    current_count: i32,
    total_target_count_of_sequence: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    streak_achieved_user_target_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    streak_achieved_date_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_in_java_hash_map_order() {
        // The "With streak detail" sample: 851 and 643 share bucket 3, 851 went in first.
        let ids = vec![(643, 1), (851, 0), (854, 0), (862, 0), (871, 0), (872, 0)];
        let ordered: Vec<i64> = java_hash_map_order(ids, |(id, _)| *id, |(id, rank)| (*rank, *id)).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ordered, vec![851, 643, 854, 871, 872, 862]);
    }

    #[test]
    fn the_table_grows_with_the_number_of_groups() {
        // 13 entries outgrow 16 buckets (threshold 12): with 32, multiples of 32 share bucket 0 and
        // the rest bucket 16.
        let ids: Vec<i64> = (1..=13).map(|n| n * 16).collect();
        let ordered = java_hash_map_order(ids, |id| *id, |id| *id);
        assert_eq!(ordered, vec![32, 64, 96, 128, 160, 192, 16, 48, 80, 112, 144, 176, 208]);
    }
}
