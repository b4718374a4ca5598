//! What enroll and unEnroll take and answer, as the OpenAPI document describes them (`request.rs`
//! reads the bodies item by item).

#![allow(dead_code)] // The request items are described, never constructed.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("targetGroupId", "targetId"))]
pub struct TargetPath(
    /// The target group's id.
    i64,
    /// The target's rule id.
    i64,
);

/// One customer to enrol (or re-enrol).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentItem {
    /// The customer's id (a number, or its text).
    #[schema(example = 387043873)]
    customer_id: i64,
    /// The `refCode` of the period to enrol from: that period and every later one. Streak groups
    /// need none (the current period is taken).
    #[schema(example = "JUN-2024")]
    period_name: Option<String>,
    /// Milestones: the achieved value to start at; null on re-enrolment resumes the value left.
    #[schema(example = 1)]
    initial_balance: Option<i32>,
    /// Streaks: on re-enrolment, start the streak again from nothing.
    #[schema(default = false)]
    reset_streak_status: Option<bool>,
}

/// One customer to un-enrol.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnEnrolmentItem {
    /// The customer's id (a number, or its text).
    #[schema(example = 387043873)]
    customer_id: i64,
}

/// The v3 success envelope: `data` is the (first) customer's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerIdEnvelope {
    pub data: i64,
    #[schema(value_type = Option<String>, nullable)]
    pub errors: Option<()>,
    #[schema(value_type = Option<String>, nullable)]
    pub warnings: Option<()>,
}
