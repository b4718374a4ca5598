//! The query parameters of targetGroups, validated.

use axum::http::Uri;
use chrono::{DateTime, Utc};

use crate::http::{
    error::{ApiError, ApiResult},
    extract::{Param, Params},
};

const EXCLUDED_ENTITIES: &str = "excludedEntities";

/// The query parameters, validated.
#[derive(Debug)]
pub struct TargetGroupsQuery {
    pub include_inactive: bool,
    pub include_inactive_targets: bool,
    pub target_rule_id: Option<i64>,
    pub excluded_group_ids: Vec<i64>,
    pub tracking_date: Option<DateTime<Utc>>,
}

impl TargetGroupsQuery {
    pub fn parse(uri: &Uri) -> ApiResult<TargetGroupsQuery> {
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
