//! The write family's codes (customers, transactions, balances), with Capillary's numbers and the
//! messages of its status-code pages (api-docs/write/). Every one is the client's mistake: HTTP 400.

use axum::http::StatusCode;

use crate::http::error::{ErrorCode, codes};

const fn client(number: i64, message: &'static str) -> ErrorCode {
    ErrorCode::new(number, StatusCode::BAD_REQUEST, message)
}

// Customers.
/// A body that is not JSON, or a field of the wrong type (the message names it).
pub const INVALID_INPUT: ErrorCode = client(400, "Invalid input");
pub const NO_SOURCE: ErrorCode = client(8004, "Add failed, No source passed");
pub const NO_IDENTIFIERS: ErrorCode = client(8005, "Add failed, No valid identifiers passed");
pub const SOURCE_INVALID: ErrorCode = client(3217, "Source is invalid");
pub const CUSTOMER_EXISTS: ErrorCode = client(8006, "Add failed, Customer already exists with id ");
pub const INVALID_COMM_CHANNEL: ErrorCode = client(8010, "Invalid comm channel");
pub const INVALID_EMAIL: ErrorCode = client(8055, "Invalid email");
pub const INVALID_MOBILE: ErrorCode = client(8056, "Invalid mobile");
pub const PROGRAM_INVALID: ErrorCode = client(1101, "invalid programId passed");
/// A warning: the identifiers belong to a customer registered in another source.
pub const COMBINING: ErrorCode = client(8050, "Same Customer found in other sources,Combining");

// Lookups.
pub const LOOKUP_NO_SOURCE: ErrorCode = client(8001, "Lookup failed, No source passed");
pub const LOOKUP_NO_IDENTIFIERS: ErrorCode = client(8002, "Lookup failed, No identifiers passed");
pub const LOOKUP_SOURCE_INVALID: ErrorCode = client(8003, "Lookup failed, Invalid source passed");
pub const IDENTIFIER_INVALID: ErrorCode = client(8013, "Invalid identifier");
pub const CUSTOMER_NOT_FOUND: ErrorCode = client(8015, "Customer not found for the given identifiers");
pub const NOT_IN_SOURCE: ErrorCode = client(8065, "No customer found in the given source with the given identifier");
pub const ACCOUNT_ID_MISSING: ErrorCode = client(8045, "Account id is not passed");
/// identifierName=id with a value that is not a number.
pub const IDENTIFIER_VALUE_INVALID: ErrorCode = client(8154, "Invalid identifier value");
pub const ENTITY_TYPE_INVALID: ErrorCode = client(1212, "Entity type passed is not valid");

// Transactions.
pub const BILL_AMOUNT_INVALID: ErrorCode = client(601, "Invalid Bill Amount");
pub const BILL_NUMBER_INVALID: ErrorCode = client(602, "Invalid transaction number");
pub const TRANSACTION_ID_INVALID: ErrorCode = client(603, "Invalid transaction id");
pub const DUPLICATE_BILL_NUMBER: ErrorCode = client(604, "Duplicate transaction number");
pub const RETURN_BEFORE_PURCHASE: ErrorCode =
    client(624, "Invalid return transaction time, Return transaction should happen after add transaction");
pub const RETURN_BILL_NOT_FOUND: ErrorCode = client(625, "Parent Bill Number for the return transaction does not exist.");
pub const RETURN_QUANTITY_TOO_HIGH: ErrorCode = client(626, "Quantity of returned item is more than purchased item for ItemCode ");
pub const QUANTITY_NEGATIVE: ErrorCode = client(627, "Quantity cannot be negative");
pub const RETURN_TYPE_INVALID: ErrorCode = client(628, "Invalid return transaction type passed");
pub const RETURN_AMOUNT_TOO_HIGH: ErrorCode = client(630, "Total returned amount is more than purchase amount");
pub const ALREADY_RETURNED_LINE_ITEM: ErrorCode =
    client(632, "Transaction is already returned with return type LINE_ITEM, you cannot return transaction with return type AMOUNT");
pub const ALREADY_FULLY_RETURNED: ErrorCode =
    client(633, "Transaction is already fully returned, you cannot return this transaction again");
pub const ALREADY_RETURNED_AMOUNT: ErrorCode =
    client(638, "Transaction is already returned with return type AMOUNT, you cannot return again with return type LINE_ITEM");
pub const DATE_IN_FUTURE: ErrorCode = client(643, "Transaction date too ahead in the future");
pub const RETURN_LINE_ITEM_INVALID: ErrorCode = client(660, "Invalid line item for return");
pub const LINE_ITEM_AMOUNT_NEGATIVE: ErrorCode = client(661, "Lineitem with negative amount is not allowed");
pub const LINE_ITEM_VALUE_NEGATIVE: ErrorCode = client(662, "Lineitem with negative value is not allowed");
pub const LINE_ITEM_RATE_NEGATIVE: ErrorCode = client(663, "Lineitem with negative rate is not allowed");
pub const LINE_ITEM_DISCOUNT_NEGATIVE: ErrorCode = client(664, "Lineitem with negative discount is not allowed");
pub const GROSS_AMOUNT_NEGATIVE: ErrorCode = client(665, "Transaction gross amount cannot be negative");
pub const DISCOUNT_NEGATIVE: ErrorCode = client(666, "Transaction discount cannot be negative");
pub const FIELD_TOO_LONG: ErrorCode = client(685, "Field length too long");
pub const TRANSACTION_TYPE_INVALID: ErrorCode = client(690, "Invalid transaction type");
pub const BATCH_TOO_LARGE: ErrorCode = client(1060, "Batch size limit exceeded");

/// Every code the family answers with, for the fault injector and the OpenAPI document.
pub const CODES: &[ErrorCode] = &[
    INVALID_INPUT,
    NO_SOURCE,
    NO_IDENTIFIERS,
    SOURCE_INVALID,
    CUSTOMER_EXISTS,
    INVALID_COMM_CHANNEL,
    INVALID_EMAIL,
    INVALID_MOBILE,
    PROGRAM_INVALID,
    LOOKUP_NO_SOURCE,
    LOOKUP_NO_IDENTIFIERS,
    LOOKUP_SOURCE_INVALID,
    IDENTIFIER_INVALID,
    CUSTOMER_NOT_FOUND,
    NOT_IN_SOURCE,
    ACCOUNT_ID_MISSING,
    IDENTIFIER_VALUE_INVALID,
    ENTITY_TYPE_INVALID,
    BILL_AMOUNT_INVALID,
    BILL_NUMBER_INVALID,
    TRANSACTION_ID_INVALID,
    DUPLICATE_BILL_NUMBER,
    RETURN_BEFORE_PURCHASE,
    RETURN_BILL_NOT_FOUND,
    RETURN_QUANTITY_TOO_HIGH,
    QUANTITY_NEGATIVE,
    RETURN_TYPE_INVALID,
    RETURN_AMOUNT_TOO_HIGH,
    ALREADY_RETURNED_LINE_ITEM,
    ALREADY_FULLY_RETURNED,
    ALREADY_RETURNED_AMOUNT,
    DATE_IN_FUTURE,
    RETURN_LINE_ITEM_INVALID,
    LINE_ITEM_AMOUNT_NEGATIVE,
    LINE_ITEM_VALUE_NEGATIVE,
    LINE_ITEM_RATE_NEGATIVE,
    LINE_ITEM_DISCOUNT_NEGATIVE,
    GROSS_AMOUNT_NEGATIVE,
    DISCOUNT_NEGATIVE,
    FIELD_TOO_LONG,
    TRANSACTION_TYPE_INVALID,
    BATCH_TOO_LARGE,
    codes::UNAUTHORIZED,
    codes::UNAVAILABLE,
];
