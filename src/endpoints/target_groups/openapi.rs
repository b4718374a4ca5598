//! targetGroups' parameters as the OpenAPI document describes them (`request.rs` reads them).

#![allow(dead_code)] // Described, never constructed: the handler reads `Params`.

use utoipa::IntoParams;

/// The path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, names("userId"))]
pub struct UserPath(
    /// The customer's user id.
    i64,
);

/// The query.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct TargetGroupsParams {
    /// `true`: groups that are no longer active too.
    #[param(default = false)]
    include_inactive: Option<bool>,
    /// `true`: targets whose periods are not active too.
    #[param(default = false)]
    include_inactive_targets: Option<bool>,
    /// Only the target (or target group) with this rule id.
    target_rule_id: Option<i64>,
    /// Target group ids to leave out; repeated or comma-separated.
    #[param(style = Form, explode = true)]
    excluded_entities: Option<Vec<i64>>,
    /// Judge the targets as of this instant (epoch milliseconds) instead of now.
    tracking_date: Option<i64>,
}
