//! Amounts: read exactly from PostgreSQL's `numeric`, with the digits they were written with
//! (`100.0` stays `100.0`, `100` stays `100`), and printed the way each API prints them.

use serde_json::Number;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(rust_decimal::Decimal);

impl sqlx::Type<sqlx::Postgres> for Decimal {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <rust_decimal::Decimal as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <rust_decimal::Decimal as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for Decimal {
    fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        self.0.encode_by_ref(buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Decimal {
    /// rust_decimal reads a zero without its scale (`0.0` comes back `0`); the scale is kept
    /// here, since the digits as written are what the APIs print.
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Decimal, sqlx::error::BoxDynError> {
        use sqlx::{ValueRef, postgres::PgValueFormat};
        if !value.is_null() && value.format() == PgValueFormat::Binary {
            // The binary header: digit count, weight, sign, display scale (big-endian u16s).
            let bytes = value.as_bytes()?;
            if let [0, 0, _, _, 0, 0, scale_high, scale_low, ..] = *bytes {
                return Ok(Decimal(rust_decimal::Decimal::new(0, u32::from(u16::from_be_bytes([scale_high, scale_low])))));
            }
        }
        <rust_decimal::Decimal as sqlx::Decode<sqlx::Postgres>>::decode(value).map(Decimal)
    }
}

/// From JSON, an amount comes as text (`numeric::text`): a JSON number would go through a double
/// and lose the digits as written.
impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Decimal::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not an amount: '{text}'")))
    }
}

impl Decimal {
    /// The digits as written: a whole number (no fraction digits) is an integer, anything else a
    /// number that keeps its point (`100.0`, `1541.053`). getLedgerExplodeInfo prints amounts so.
    pub fn as_written(self) -> Number {
        if self.0.scale() == 0
            && let Ok(whole) = i64::try_from(self.0)
        {
            return Number::from(whole);
        }
        self.as_double_number()
    }

    /// Trailing zeros dropped: `21.0` is `21`. The DAS ledger prints points so.
    pub fn trimmed(self) -> Number {
        Decimal(self.0.normalize()).as_written()
    }

    /// As a Java double: `1000` is `1000.0`. v3 prints amounts so.
    pub fn as_double(self) -> f64 {
        rust_decimal::prelude::ToPrimitive::to_f64(&self.0).unwrap_or(f64::NAN)
    }

    /// Three decimals, as text: `"62718.260"`. Capillary prints points moved by redemptions,
    /// transfers and target completions so.
    pub fn three_places(self) -> String {
        // PostgreSQL's round(): halves away from zero.
        let rounded = self.0.round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        format!("{rounded:.3}")
    }

    /// An amount written as text (`"100.0"`), as event details keep them.
    pub fn parse(text: &str) -> Option<Decimal> {
        text.parse::<rust_decimal::Decimal>().ok().map(Decimal)
    }

    fn as_double_number(self) -> Number {
        Number::from_f64(self.as_double()).unwrap_or_else(|| Number::from(0))
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Decimal {
        Decimal(value)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal(rust_decimal::Decimal::from_str(text).unwrap())
    }

    fn json(number: Number) -> String {
        serde_json::to_string(&number).unwrap()
    }

    #[test]
    fn amounts_print_with_their_written_digits() {
        assert_eq!(json(d("100").as_written()), "100");
        assert_eq!(json(d("100.0").as_written()), "100.0");
        assert_eq!(json(d("1541.053").as_written()), "1541.053");
        assert_eq!(json(d("-26").as_written()), "-26");
    }

    #[test]
    fn trimmed_drops_trailing_zeros_only() {
        assert_eq!(json(d("21.000").trimmed()), "21");
        assert_eq!(json(d("10.50").trimmed()), "10.5");
    }

    #[test]
    fn from_json_text_keeps_the_digits_as_written() {
        let amounts: Vec<Decimal> = serde_json::from_str(r#"["100.0", "100", "0.0", "-1541.053"]"#).unwrap();
        let printed: Vec<String> = amounts.into_iter().map(|amount| json(amount.as_written())).collect();
        assert_eq!(printed, ["100.0", "100", "0.0", "-1541.053"]);
        assert!(serde_json::from_str::<Decimal>("12.5").is_err(), "a JSON number has lost its digits");
        assert!(serde_json::from_str::<Decimal>(r#""twelve""#).is_err());
    }

    #[test]
    fn doubles_and_three_places() {
        assert_eq!(serde_json::to_string(&d("1000").as_double()).unwrap(), "1000.0");
        assert_eq!(d("62718.26").three_places(), "62718.260");
        assert_eq!(d("1000").three_places(), "1000.000");
        assert_eq!(d("0.1214").three_places(), "0.121");
        assert_eq!(d("0.0125").three_places(), "0.013");
    }
}
