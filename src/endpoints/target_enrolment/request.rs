//! The bodies of enroll and unEnroll: a JSON array of customers, read item by item so that an
//! error names the item and field at fault (`[0].customerId`).

use serde_json::{Map, Value};

use super::codes;
use crate::http::error::{ApiError, ApiResult};

/// One item of an enroll body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub customer_id: i64,
    /// The period's `refCode`; streak groups need none.
    pub period_name: Option<String>,
    /// The achieved value to start at; `None` on re-enrolment resumes where the customer left.
    pub initial_balance: Option<i64>,
    pub reset_streak_status: bool,
}

/// The items of an enroll body.
pub fn enrolments(body: &Value) -> ApiResult<Vec<Enrolment>> {
    items(body, &["customerId", "periodName", "initialBalance", "resetStreakStatus"])?
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| format!("[{index}].{name}");
            Ok(Enrolment {
                customer_id: customer_id(item, &field("customerId"))?,
                period_name: match item.get("periodName") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(name)) if !name.trim().is_empty() => Some(name.trim().to_owned()),
                    Some(_) => return Err(invalid(&field("periodName"), "must be a period's name (its refCode)")),
                },
                initial_balance: match item.get("initialBalance") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(
                        value
                            .as_i64()
                            .filter(|balance| (0..=i64::from(i32::MAX)).contains(balance))
                            .ok_or_else(|| invalid(&field("initialBalance"), "must be a whole number from 0 or null"))?,
                    ),
                },
                reset_streak_status: match item.get("resetStreakStatus") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(reset)) => *reset,
                    Some(_) => return Err(invalid(&field("resetStreakStatus"), "must be true or false")),
                },
            })
        })
        .collect()
}

/// The customer ids of an unEnroll body.
pub fn customer_ids(body: &Value) -> ApiResult<Vec<i64>> {
    items(body, &["customerId"])?.into_iter().enumerate().map(|(index, item)| customer_id(item, &format!("[{index}].customerId"))).collect()
}

/// The body's objects; a body that is not a non-empty array of objects with only `fields` is
/// refused, naming what is wrong.
fn items<'a>(body: &'a Value, fields: &[&str]) -> ApiResult<Vec<&'a Map<String, Value>>> {
    let Some(items) = body.as_array().filter(|items| !items.is_empty()) else {
        return Err(invalid("body", "must be a JSON array of at least one customer"));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let item = item.as_object().ok_or_else(|| invalid(&format!("[{index}]"), "must be an object"))?;
            if let Some(unknown) = item.keys().find(|key| !fields.contains(&key.as_str())) {
                return Err(invalid(
                    &format!("[{index}].{unknown}"),
                    &format!("is not a field of this request (fields: {})", fields.join(", ")),
                ));
            }
            Ok(item)
        })
        .collect()
}

/// `customerId`: a whole number, or the text of one (Capillary's OpenAPI types it as a string,
/// its sample sends a number).
fn customer_id(item: &Map<String, Value>, field: &str) -> ApiResult<i64> {
    let id = match item.get("customerId") {
        None | Some(Value::Null) => return Err(invalid(field, "is required")),
        Some(Value::Number(number)) => number.as_i64(),
        Some(Value::String(text)) => text.trim().parse().ok(),
        Some(_) => None,
    };
    id.filter(|id| *id > 0).ok_or_else(|| invalid(field, "must be a customer's id (a positive whole number)"))
}

fn invalid(field: &str, problem: &str) -> ApiError {
    ApiError::new(codes::INVALID_INPUT, format!("Invalid input: '{field}' {problem}")).at(field)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn items_are_read_with_their_defaults() {
        let body = json!([{"customerId": 564332013, "periodName": "Cycle_1", "initialBalance": 100, "resetStreakStatus": false},
                          {"customerId": "42"}]);
        assert_eq!(
            enrolments(&body).unwrap(),
            [
                Enrolment {
                    customer_id: 564332013,
                    period_name: Some("Cycle_1".into()),
                    initial_balance: Some(100),
                    reset_streak_status: false
                },
                Enrolment { customer_id: 42, period_name: None, initial_balance: None, reset_streak_status: false },
            ]
        );
    }

    #[test]
    fn errors_name_the_item_and_field() {
        let field_of = |body: Value| enrolments(&body).unwrap_err().parameter.unwrap();
        assert_eq!(field_of(json!({"customerId": 1})), "body");
        assert_eq!(field_of(json!([])), "body");
        assert_eq!(field_of(json!([{"customerId": 1}, {"customerId": "x"}])), "[1].customerId");
        assert_eq!(field_of(json!([{"periodName": "a"}])), "[0].customerId");
        assert_eq!(field_of(json!([{"customerId": 1, "initialBalance": -1}])), "[0].initialBalance");
        assert_eq!(field_of(json!([{"customerId": 1, "initialBalance": 1.5}])), "[0].initialBalance");
        assert_eq!(field_of(json!([{"customerId": 1, "resetStreakStatus": "yes"}])), "[0].resetStreakStatus");
        assert_eq!(field_of(json!([{"customerId": 1, "periodname": "a"}])), "[0].periodname");
        assert_eq!(customer_ids(&json!([{"customerId": 1, "periodName": "a"}])).unwrap_err().parameter.unwrap(), "[0].periodName");
    }
}
