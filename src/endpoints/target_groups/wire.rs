//! The answer of targetGroups, named and ordered as Capillary prints it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{StreakStatus, TargetEvaluationType, TrackingType};

/// The success envelope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope {
    pub data: UserTargetGroups,
    #[schema(value_type = Option<String>, nullable)]
    pub errors: Option<()>,
    #[schema(value_type = Option<String>, nullable)]
    pub warnings: Option<()>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserTargetGroups {
    pub user_id: i64,
    pub customer: Customer,
    pub target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: i64,
    pub profiles: Vec<Profile>,
    pub loyalty_info: LoyaltyInfo,
    pub custom_fields: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub comm_channels: Vec<CommChannelOut>,
    pub source: String,
    pub account_id: String,
    pub user_id: i64,
    pub org_source_id: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommChannelOut {
    #[serde(rename = "type")]
    pub kind: String,
    pub account_id: Option<String>,
    pub value: String,
    pub primary: bool,
    pub verified: bool,
    pub subscribed: Option<bool>,
    pub attributes: Option<Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyInfo {
    pub attribution: Attribution,
    pub loyalty_type: String,
    pub lifetime_purchases: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    pub created_on: String,
    pub last_updated_on: Option<String>,
    pub last_updated_by: Option<Actor>,
    pub created_by: Option<Actor>,
}

/// Who created or changed something: a till, an admin user, ...
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Actor {
    pub id: Option<i64>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl Actor {
    pub fn from_json(value: Option<Value>) -> Option<Actor> {
        value.filter(|value| !value.is_null()).map(|value| serde_json::from_value(value).unwrap_or_default())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroup {
    pub id: i64,
    pub attribution: Attribution,
    pub name: String,
    /// The 2026 release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<i64>,
    pub preferred_till_id: i64,
    pub targets: Vec<Target>,
    /// Only for groups that track streaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaks: Option<Vec<Streak>>,
    pub target_evaluation_type: TargetEvaluationType,
    pub tracking_type: TrackingType,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub target_id: Option<i64>,
    pub period_id: i64,
    /// Before the 2026 release only for a rule that belongs to a program (`None`: left out);
    /// since, always (`Some(None)`: null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_id: Option<Option<i64>>,
    /// As programId, for a rule that counts an alternate currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_currency_identifier: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_currency_name: Option<Option<String>>,
    pub period_ref_code: String,
    pub period_start_date: String,
    pub period_end_date: String,
    pub target_value: f64,
    pub target_achieved_value: f64,
    pub target_name: String,
    pub target_type: String,
    pub target_entity: String,
    pub target_rule_id: i64,
    pub enrolled_on: String,
    #[serde(rename = "enrolledOnISO")]
    pub enrolled_on_iso: String,
    pub event_name: String,
    pub period_start_date_with_time_stamp: String,
    #[serde(rename = "periodStartDateWithTimeStampISO")]
    pub period_start_date_with_time_stamp_iso: String,
    pub period_end_date_with_time_stamp: String,
    #[serde(rename = "periodEndDateWithTimeStampISO")]
    pub period_end_date_with_time_stamp_iso: String,
    /// The 2026 release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_on: Option<String>,
    /// `None`: the org's release does not report it; `Some(None)`: not achieved (yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_achieved_date_time: Option<Option<String>>,
    #[serde(rename = "targetAchievedDateTimeISO", skip_serializing_if = "Option::is_none")]
    pub target_achieved_date_time_iso: Option<Option<String>>,
    /// The 2026 release, as lastUpdatedOn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_achieved_event_log_id: Option<Option<i64>>,
    pub current_period: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub un_enrolled: Option<bool>,
    pub milestones: Option<Vec<Milestone>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Milestone {
    pub id: i64,
    pub trigger_name: String,
    pub trigger_value: f64,
    pub is_achieved: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Streak {
    pub user_streak_id: i64,
    pub streak_id: i64,
    pub streak_name: String,
    pub status: StreakStatus,
    pub current_count: i32,
    pub total_target_count_of_sequence: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streak_achieved_user_target_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streak_achieved_date_time: Option<String>,
}
