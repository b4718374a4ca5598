//! The records the DAS endpoints answer with (a bare JSON array of them), named and ordered as the
//! documents print them; instants are epoch milliseconds.

use serde::Serialize;
use serde_json::Number;

use crate::{
    model::{CompletionSource, LedgerEntryType},
    store::{completions::TargetCompletion, ledger::LedgerEntryRow},
};

/// One points ledger entry with its event, as `getLedgerEntriesWithEventId` prints it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRecord {
    pub ledger_entry_type: LedgerEntryType,
    pub cps_id: i64,
    pub config_metadata: Option<String>,
    pub points_ledger_id: i64,
    pub created_on: i64,
    pub points_category_name: String,
    pub event_subject_id: i64,
    pub processing_time: i64,
    #[schema(value_type = f64)]
    pub points: Number,
    pub category_type: String,
    pub event_type_id: i32,
    pub source_program_id: i64,
    pub entity_metadata: Option<String>,
    pub request_id: Option<String>,
    pub customer_id: i64,
    pub event_time: i64,
    pub event_name: String,
    pub generic_event_id: Option<String>,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
}

impl From<LedgerEntryRow> for LedgerRecord {
    fn from(row: LedgerEntryRow) -> LedgerRecord {
        LedgerRecord {
            ledger_entry_type: row.ledger_entry_type,
            cps_id: row.cps_id,
            config_metadata: row.config_metadata,
            points_ledger_id: row.points_ledger_id,
            created_on: row.created_on.timestamp_millis(),
            points_category_name: row.points_category_name,
            event_subject_id: row.event_subject_id,
            processing_time: row.processing_time.timestamp_millis(),
            points: row.points.trimmed(),
            category_type: row.category_type,
            event_type_id: row.event_type_id,
            source_program_id: row.program_id,
            entity_metadata: row.entity_metadata,
            request_id: row.request_id,
            customer_id: row.customer_id,
            event_time: row.event_time.timestamp_millis(),
            event_name: row.event_name,
            generic_event_id: row.generic_event_id,
            event_log_id: row.event_log_id,
            till_id: row.till_id,
            unique_id: row.unique_id,
        }
    }
}

/// One target completion, as `getTargetCompletedExplodeLedger` prints it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetCompletionRecord {
    pub source_id: i64,
    pub parent_event_log_id: Option<i64>,
    pub period_id: Option<i64>,
    pub return_event_log_id: i64,
    pub target_achieved_event_log_id: Option<i64>,
    pub target_group_name: String,
    pub processing_time: i64,
    pub target_group_description: Option<String>,
    pub event_type_id: i32,
    pub source_type: CompletionSource,
    pub bill_id: Option<i64>,
    pub customer_id: i64,
    pub event_time: i64,
    pub target_achieved_event_log_created_on: Option<i64>,
    pub target_group_id: i64,
    pub event_log_id: i64,
    pub till_id: Option<i64>,
    pub unique_id: Option<String>,
    pub unified_targets_achieved_created_on: Option<i64>,
}

impl From<TargetCompletion> for TargetCompletionRecord {
    fn from(row: TargetCompletion) -> TargetCompletionRecord {
        TargetCompletionRecord {
            source_id: row.source_id,
            parent_event_log_id: row.parent_event_log_id,
            period_id: row.period_id,
            return_event_log_id: row.return_event_log_id,
            target_achieved_event_log_id: row.target_achieved_event_log_id,
            // The group as it is now: DAS reads the live configuration.
            target_group_name: row.target_group_name,
            processing_time: row.processing_time.timestamp_millis(),
            target_group_description: row.target_group_description,
            event_type_id: row.event_type_id,
            source_type: row.source_type,
            bill_id: row.bill_id,
            customer_id: row.customer_id,
            event_time: row.event_time.timestamp_millis(),
            target_achieved_event_log_created_on: row.target_achieved_event_log_created_on.map(|at| at.timestamp_millis()),
            target_group_id: row.target_group_id,
            event_log_id: row.event_log_id,
            till_id: row.till_id,
            unique_id: row.unique_id,
            unified_targets_achieved_created_on: row.unified_targets_achieved_created_on.map(|at| at.timestamp_millis()),
        }
    }
}
