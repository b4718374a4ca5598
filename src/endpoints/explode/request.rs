//! The query parameters of getLedgerExplodeInfo, read and checked with Capillary's codes.

use super::codes;
use crate::{
    http::{
        error::{ApiError, ApiResult, ErrorCode},
        extract::Params,
        pagination::OffsetLimit,
    },
    model::EventKind,
};

/// At most this many events (ids or reference ids) per call, and per page.
pub const MAX_EVENTS: usize = 10;
pub const DEFAULT_LIMIT: i64 = 10;

/// The sources a customer identifier can be registered in; `ALL` matches every one.
pub const SOURCES: &[&str] =
    &["INSTORE", "MARTJACK", "WECHAT", "FACEBOOK", "WEB_ENGAGE", "TMALL", "TAOBAO", "JD", "ECOMMERCE", "WEBSITE", "LINE", "ALL"];

/// The 16 event names of the current page (api-docs/current/DIFF.md §2.1) that `eventName` takes,
/// each with the events it finds and what their reference id is. `NewBill` is Capillary's other
/// name for a bill's `TransactionAdd` (its OpenAPI example "NewBill/Txn Add" prints one). The
/// five names the page dropped (PointsExpiry, TransactionUpdate, DelayedAccrual,
/// PointsRedemptionReversal, BulkAllocatePoints) are 11014, as before.
pub const EVENT_NAMES: &[(&str, EventKind, &str)] = &[
    ("NewBill", EventKind::TransactionAdd, "the bill id"),
    ("TransactionAdd", EventKind::TransactionAdd, "the bill id"),
    ("GroupTransactionAdd", EventKind::GroupTransactionAdd, "the group bill id"),
    ("LineItemsPointsPromotionImport", EventKind::LineItemsPointsPromotionImport, "the bill id the import awarded on"),
    ("BillPointsPromotionImport", EventKind::BillPointsPromotionImport, "the bill id the import awarded on"),
    ("CustomerPromotionImport", EventKind::CustomerPromotionImport, "the import's reference id"),
    ("GenericEvent", EventKind::GenericEvent, "the request id"),
    ("CustomerRegistration", EventKind::CustomerRegistration, "the registration's reference id"),
    ("CustomerUpdate", EventKind::CustomerUpdate, "the update's reference id"),
    ("AllocateGoodwillPoints", EventKind::AllocateGoodwillPoints, "the goodwill request's reference id (-1 when none)"),
    ("PointsTransfer", EventKind::PointsTransfer, "the sender's user id"),
    ("PointsRedemption", EventKind::PointsRedemption, "the redeeming customer's id"),
    ("ReturnBill", EventKind::ReturnBill, "the bill id"),
    ("TargetCompleted", EventKind::TargetCompleted, "the achieved event's log id"),
    ("ManualPointsAdjustment", EventKind::ManualPointsAdjustment, "-1 (adjustments have none)"),
    ("VoucherRedemption", EventKind::VoucherRedemption, "the voucher issued id"),
];

#[derive(Debug, Clone)]
pub struct ExplodeRequest {
    pub subject: Subject,
    /// `None`: every source (`source=ALL`).
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub events: EventSelector,
    pub last_year_only: bool,
    pub blocks: Blocks,
    pub currencies: CurrencySelection,
    pub page: OffsetLimit,
}

/// Whom the ledger belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Customer(CustomerIdentifier),
    UserGroup { identifier: GroupIdentifier, primary_member_only: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerIdentifier {
    Id(i64),
    /// `kind` as stored in customer_identifiers: mobile, email, externalId.
    Identifier {
        kind: &'static str,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupIdentifier {
    Id(i64),
    ExternalId(String),
    PrimaryUserId(i64),
}

impl Subject {
    /// The identifier value as the request gave it, for messages.
    pub fn value_text(&self) -> String {
        match self {
            Subject::Customer(CustomerIdentifier::Id(id)) => id.to_string(),
            Subject::Customer(CustomerIdentifier::Identifier { value, .. }) => value.clone(),
            Subject::UserGroup { identifier: GroupIdentifier::Id(id) | GroupIdentifier::PrimaryUserId(id), .. } => id.to_string(),
            Subject::UserGroup { identifier: GroupIdentifier::ExternalId(value), .. } => value.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelector {
    /// eventLogIds, each once, in the order given.
    Ids(Vec<i64>),
    /// Reference ids of events of one name, each once, in the order given.
    References { kind: EventKind, references: Vec<String> },
}

/// The optional blocks the flags ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocks {
    pub bill_details: bool,
    pub points_earned_breakup: bool,
    pub custom_fields: bool,
    pub extended_fields: bool,
    pub max_conversion_details: bool,
    pub payment_modes: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencySelection {
    /// includeAlternateCurrencies: awards in every alternate currency.
    pub all: bool,
    /// alternateCurrencyNames, each once (compared without regard to case).
    pub names: Vec<String>,
}

impl ExplodeRequest {
    pub fn from_params(params: &Params) -> ApiResult<ExplodeRequest> {
        let user_type = user_type(params)?;
        let (name, value, source) = (params.text("identifierName"), params.text("identifierValue"), params.text("source"));
        let (name, value, source) = match (name, value, source) {
            (None, None, None) => return Err(explode_error(codes::IDENTIFIERS_EMPTY, "identifierName", "")),
            (None, _, _) => {
                return Err(explode_error(codes::IDENTIFIER_NAME_INVALID, "identifierName", " (identifierName is required)"));
            }
            (_, None, _) => {
                return Err(explode_error(codes::IDENTIFIER_VALUE_INVALID, "identifierValue", " (identifierValue is required)"));
            }
            (_, _, None) => return Err(explode_error(codes::SOURCE_INVALID, "source", ": source is required")),
            (Some(name), Some(value), Some(source)) => (name, value, source),
        };
        let source = parse_source(source)?;
        let primary_member_only = params.flag("isPrimaryUser")?;
        let subject = match user_type {
            UserType::Customer => {
                if primary_member_only {
                    return Err(ApiError::bad_parameter("isPrimaryUser", "Parameter 'isPrimaryUser' applies only to type USERGROUP2"));
                }
                Subject::Customer(customer_identifier(name, value)?)
            }
            UserType::UserGroup => Subject::UserGroup { identifier: group_identifier(name, value)?, primary_member_only },
        };
        let (payment_modes, payment_mode) = (params.flag("getPaymentModes")?, params.flag("getPaymentMode")?);
        let blocks = Blocks {
            bill_details: params.flag("getBillDetails")?,
            points_earned_breakup: params.flag("getPointsEarnedBreakup")?,
            custom_fields: params.flag("getCustomFields")?,
            extended_fields: params.flag("getExtendedFields")?,
            max_conversion_details: params.flag("getMaxConversionDetails")?,
            // v2 spells it getPaymentModes, v2.1 getPaymentMode; both versions take both.
            payment_modes: payment_modes || payment_mode,
        };
        Ok(ExplodeRequest {
            subject,
            source,
            account_id: params.text("accountId").map(str::to_owned),
            events: event_selector(params)?,
            last_year_only: params.flag("includeLastOneYearData")?,
            blocks,
            currencies: CurrencySelection { all: params.flag("includeAlternateCurrencies")?, names: alternate_currency_names(params)? },
            page: page(params)?,
        })
    }
}

/// An error with the code's documented message followed by `detail`, naming `parameter`.
pub fn explode_error(code: ErrorCode, parameter: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::detailed(code, detail).at(parameter)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserType {
    Customer,
    UserGroup,
}

fn user_type(params: &Params) -> ApiResult<UserType> {
    match params.text("type") {
        None => Ok(UserType::Customer),
        Some(text) if text.eq_ignore_ascii_case("CUSTOMER") => Ok(UserType::Customer),
        Some(text) if text.eq_ignore_ascii_case("USERGROUP2") => Ok(UserType::UserGroup),
        Some(text) => {
            Err(explode_error(codes::LEDGER_FETCH_FAILED, "type", format!(" (type '{text}'; type must be CUSTOMER or USERGROUP2)")))
        }
    }
}

fn parse_source(text: &str) -> ApiResult<Option<String>> {
    match SOURCES.iter().find(|known| known.eq_ignore_ascii_case(text)) {
        Some(&"ALL") => Ok(None),
        Some(known) => Ok(Some((*known).to_owned())),
        None => Err(explode_error(codes::SOURCE_INVALID, "source", format!(": '{text}'; source must be one of {}", SOURCES.join(", ")))),
    }
}

const CUSTOMER_IDENTIFIER_NAMES: &str = "mobile, email, externalId, id, customerId";
const GROUP_IDENTIFIER_NAMES: &str = "id, externalId, primaryUserId";

fn customer_identifier(name: &str, value: &str) -> ApiResult<CustomerIdentifier> {
    match name.to_ascii_lowercase().as_str() {
        "id" | "customerid" => Ok(CustomerIdentifier::Id(numeric_value(name, value)?)),
        "mobile" => {
            let digits = value.strip_prefix('+').unwrap_or(value);
            if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(invalid_value(name, value, "a mobile number is digits, optionally after a +"));
            }
            Ok(CustomerIdentifier::Identifier { kind: "mobile", value: digits.to_owned() })
        }
        "email" => match value.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                Ok(CustomerIdentifier::Identifier { kind: "email", value: value.to_owned() })
            }
            _ => Err(invalid_value(name, value, "an email address has the form name@domain")),
        },
        "externalid" => Ok(CustomerIdentifier::Identifier { kind: "externalId", value: value.to_owned() }),
        "primaryuserid" => Err(explode_error(
            codes::IDENTIFIER_NAME_INVALID,
            "identifierName",
            format!(" (identifierName 'primaryUserId' needs type=USERGROUP2; for a customer use one of {CUSTOMER_IDENTIFIER_NAMES})"),
        )),
        _ => Err(explode_error(
            codes::IDENTIFIER_NAME_INVALID,
            "identifierName",
            format!(" (identifierName '{name}'; supported: {CUSTOMER_IDENTIFIER_NAMES})"),
        )),
    }
}

fn group_identifier(name: &str, value: &str) -> ApiResult<GroupIdentifier> {
    match name.to_ascii_lowercase().as_str() {
        "id" => Ok(GroupIdentifier::Id(numeric_value(name, value)?)),
        "externalid" => Ok(GroupIdentifier::ExternalId(value.to_owned())),
        "primaryuserid" => Ok(GroupIdentifier::PrimaryUserId(numeric_value(name, value)?)),
        _ => Err(explode_error(
            codes::IDENTIFIER_NAME_INVALID,
            "identifierName",
            format!(" (identifierName '{name}' with type USERGROUP2; supported: {GROUP_IDENTIFIER_NAMES})"),
        )),
    }
}

fn numeric_value(name: &str, value: &str) -> ApiResult<i64> {
    value.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| invalid_value(name, value, "it must be a positive whole number"))
}

fn invalid_value(name: &str, value: &str, why: &str) -> ApiError {
    explode_error(codes::IDENTIFIER_VALUE_INVALID, "identifierValue", format!(" (identifierValue '{value}' for {name}: {why})"))
}

fn event_selector(params: &Params) -> ApiResult<EventSelector> {
    let ids = params.text("eventIds");
    let name = params.text("eventName");
    let references = params.text("eventReferenceIds");
    if ids.is_some() && (name.is_some() || references.is_some()) {
        return Err(explode_error(codes::EVENT_IDS_AND_REFERENCES, "eventIds", ""));
    }
    if let Some(ids) = ids {
        let mut unique = Vec::new();
        for item in ids.split(',').map(str::trim) {
            // Java's Long.parseLong message, as Capillary passes it on.
            let id = item
                .parse::<i64>()
                .map_err(|_| explode_error(codes::EVENT_ID_FORMAT, "eventIds", format!(" (For input string: \"{item}\")")))?;
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        check_count("eventIds", unique.len())?;
        return Ok(EventSelector::Ids(unique));
    }
    let (Some(name), Some(references)) = (name, references) else {
        let missing = if name.is_some() { "eventReferenceIds" } else { "eventName" };
        return Err(explode_error(
            codes::EVENT_SELECTOR_MISSING,
            missing,
            " (pass eventIds, or eventName together with eventReferenceIds)",
        ));
    };
    let kind = EVENT_NAMES
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, kind, _)| *kind)
        .ok_or_else(|| explode_error(codes::EVENT_NAME_NOT_FOUND, "eventName", format!(" (eventName '{name}')")))?;
    let mut unique: Vec<String> = Vec::new();
    for reference in references.split(',').map(str::trim) {
        if reference.is_empty() {
            return Err(explode_error(codes::EVENT_REFERENCE_IDS_INVALID, "eventReferenceIds", format!(" [{references}]")));
        }
        if !unique.iter().any(|known| known == reference) {
            unique.push(reference.to_owned());
        }
    }
    check_count("eventReferenceIds", unique.len())?;
    Ok(EventSelector::References { kind, references: unique })
}

fn check_count(parameter: &str, count: usize) -> ApiResult<()> {
    if count > MAX_EVENTS {
        return Err(explode_error(codes::TOO_MANY_EVENTS, parameter, format!(" ({parameter} has {count})")));
    }
    Ok(())
}

fn alternate_currency_names(params: &Params) -> ApiResult<Vec<String>> {
    let Some(text) = params.text("alternateCurrencyNames") else { return Ok(Vec::new()) };
    let mut names: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(explode_error(
                codes::ALTERNATE_CURRENCY_NAMES_INVALID,
                "alternateCurrencyNames",
                format!(" ('{text}' has an empty name)"),
            ));
        }
        if !names.iter().any(|known| known.eq_ignore_ascii_case(name)) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

fn page(params: &Params) -> ApiResult<OffsetLimit> {
    if let Some(limit) = params.optional::<i64>("limit")?
        && limit > MAX_EVENTS as i64
    {
        return Err(explode_error(codes::LIMIT_TOO_LARGE, "limit", format!(" (limit={limit})")));
    }
    OffsetLimit::from_params(params, DEFAULT_LIMIT, MAX_EVENTS as i64)
}
