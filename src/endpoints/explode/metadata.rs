//! Event details kept as JSON in the universe whose keys Capillary prints in a fixed order:
//! typed here so that they come out in the documents' order (jsonb keeps its own).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_with::skip_serializing_none;

/// `details.importMeta` of a CustomerPromotionImport; times as RFC 3339.
#[skip_serializing_none]
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportMeta {
    pub file_name: Option<String>,
    pub import_start_time: Option<String>,
    pub import_end_time: Option<String>,
    pub profile_name: Option<String>,
    pub profile_type: Option<String>,
    #[serde(flatten)]
    pub more: BTreeMap<String, Value>,
}

/// `details.behavioralEventMetadata` of a GenericEvent: the event's definition. Typed so that
/// keys come out in the documents' order (jsonb keeps its own); attributes alphabetically.
#[skip_serializing_none]
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BehavioralEventMetadata {
    label: Option<String>,
    #[serde(default)]
    fields: Vec<BehavioralField>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct BehavioralField {
    field_name: String,
    field_type: String,
    #[serde(default)]
    attributes: BTreeMap<String, FieldAttribute>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct FieldAttribute {
    value_type: Option<String>,
    value: Option<Value>,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

pub fn behavioral_event_metadata(metadata: Value) -> Value {
    serde_json::from_value::<BehavioralEventMetadata>(metadata.clone()).and_then(serde_json::to_value).unwrap_or(metadata)
}
