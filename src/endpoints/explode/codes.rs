//! getLedgerExplodeInfo's codes (v2 and v2.1), with Capillary's numbers and the messages of the
//! current (2026) v2 page's error table (api-docs/current/DIFF.md §2.5); 8015, 8003, 11024, 11006,
//! the 8013 lookup form and 310144, which that table leaves out, keep the v2.1 page's. Every one
//! is the client's mistake: HTTP 400. Details follow the message where the answer says more.

use axum::http::StatusCode;

use crate::http::{
    auth,
    error::{ErrorCode, codes},
};

const fn client(number: i64, message: &'static str) -> ErrorCode {
    ErrorCode::new(number, StatusCode::BAD_REQUEST, message)
}

/// The identifier name is missing or not one this lookup supports.
pub const IDENTIFIER_NAME_INVALID: ErrorCode = client(8013, "Invalid identifiername field value.");
/// No customer has that mobile / email / externalId in that source.
pub const CUSTOMER_NOT_FOUND: ErrorCode = client(8013, "Lookup,Invalid identifier passed");
/// The identifier value is missing or malformed for its name.
pub const IDENTIFIER_VALUE_INVALID: ErrorCode = client(8015, "Identifier value missing or incorrect");
/// The source is missing or not a known one.
pub const SOURCE_INVALID: ErrorCode = client(8003, "Invalid source");
/// None of identifierName, identifierValue, source was given.
pub const IDENTIFIERS_EMPTY: ErrorCode = client(11013, "IdentifierName and identifierValue, source can not be empty.");
/// Neither eventIds nor eventName with eventReferenceIds.
pub const EVENT_SELECTOR_MISSING: ErrorCode =
    client(11023, "Invalid identifiers found. Either EventLogId or (EventName and BillId) are required.");
/// Event ids that are no event of the caller's (scoped) org.
pub const EVENT_IDS_INVALID: ErrorCode = client(9021, "Invalid identifiers found when invalid eventid is passed.");
/// Event reference ids that match no event of the customer.
pub const EVENT_REFERENCE_IDS_INVALID: ErrorCode = client(9022, "Event reference IDs are invalid.");
/// No customer with that id.
pub const USER_ID_INVALID: ErrorCode = client(11012, "Invalid userId field value.");
/// An event name that cannot be looked up by reference id.
pub const EVENT_NAME_NOT_FOUND: ErrorCode = client(11014, "Event name not found. Provide a valid event name.");
/// More than ten event ids or reference ids.
pub const TOO_MANY_EVENTS: ErrorCode = client(11014, "Requested cannot be processed. Max 10 events are allowed in params.");
/// An event id that is not a number.
pub const EVENT_ID_FORMAT: ErrorCode = client(11017, "Event id format exception. The provided value is not a valid numeric eventIds.");
/// eventIds together with eventName / eventReferenceIds.
pub const EVENT_IDS_AND_REFERENCES: ErrorCode =
    client(11021, "EventId and Event References, both cannot be passed. Provide either eventIds or eventName with eventReferenceIds.");
/// An event of the org that is not the identified customer's or group's.
pub const EVENT_DETAIL_NOT_FOUND: ErrorCode = client(11024, "Event detail not found for event log id");
/// A limit over 10.
pub const LIMIT_TOO_LARGE: ErrorCode = client(11006, "Limit cannot be greater than 10");
/// An empty name in alternateCurrencyNames.
pub const ALTERNATE_CURRENCY_NAMES_INVALID: ErrorCode = client(9005, "Invalid alternateCurrencyNames field value.");
/// A warning in the success body: an alternate currency name the org does not have (the
/// message form of the current page's sample; the error table's is "Alternate currencies not
/// found with provided category filters.").
pub const ALTERNATE_CURRENCY_NOT_FOUND: ErrorCode = client(9018, "alternate currency with given name not found for org, name: ");
/// A warning in the success body: the org has no alternate currency at all.
pub const NO_ALTERNATE_CURRENCY: ErrorCode = client(9018, "no alternate currency found for org with given input params");
/// No user group with that id / externalId / primary user id.
pub const USER_GROUP_INVALID: ErrorCode = client(1632, "group id/externalId/primary userId passed is invalid.");
/// The ledger cannot be read for these parameters (an unknown `type`).
pub const LEDGER_FETCH_FAILED: ErrorCode = client(9003, "Error fetching points ledger data when type is invalid. Provide a valid type.");
/// v2.1: DATA-SCOPE / DATA-SCOPE-ORG name no org the caller may read.
pub const CONNECTED_ORGS_NOT_SET: ErrorCode =
    client(310144, "Connected Orgs not set properly in Headers. Check whether the target organisation is a connected organisation.");

/// Every code getLedgerExplodeInfo answers with (9018 only as a warning).
pub const CODES: &[ErrorCode] = &[
    IDENTIFIER_NAME_INVALID,
    CUSTOMER_NOT_FOUND,
    IDENTIFIER_VALUE_INVALID,
    SOURCE_INVALID,
    IDENTIFIERS_EMPTY,
    EVENT_SELECTOR_MISSING,
    EVENT_IDS_INVALID,
    EVENT_REFERENCE_IDS_INVALID,
    USER_ID_INVALID,
    EVENT_NAME_NOT_FOUND,
    TOO_MANY_EVENTS,
    EVENT_ID_FORMAT,
    EVENT_IDS_AND_REFERENCES,
    EVENT_DETAIL_NOT_FOUND,
    LIMIT_TOO_LARGE,
    ALTERNATE_CURRENCY_NAMES_INVALID,
    USER_GROUP_INVALID,
    LEDGER_FETCH_FAILED,
    CONNECTED_ORGS_NOT_SET,
    codes::BAD_PARAMETER,
    codes::UNAUTHORIZED,
    auth::TOKEN_EXPIRED,
    codes::INTERNAL,
    codes::UNAVAILABLE,
];
