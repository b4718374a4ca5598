//! Domain values, parsed once at the edge (a request parameter, a database row) and typed from
//! there on.

mod decimal;
mod kinds;
mod org;
pub mod time;

pub use decimal::Decimal;
pub use kinds::{AwardType, CompletionSource, EventKind, LedgerEntryType, StreakStatus, TargetEvaluationType, TrackingType, TransferSide};
pub use org::{Org, Release};

/// A closed set of values, each spelled one way on the wire and in the database.
pub trait TextEnum: Sized + Copy + 'static {
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    /// The value spelled exactly `text`, as stored.
    fn stored(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.as_str() == text)
    }

    /// The value spelled `text`, in any case (clients send `credit` as well as `CREDIT`).
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.as_str().eq_ignore_ascii_case(text))
    }

    /// Every spelling, for messages that list what is allowed.
    fn spellings() -> String {
        Self::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Declares a [`TextEnum`] stored in a `text` column: it reads and binds as text (also as
/// `text[]`), refuses a spelling it does not know when read (from a row or from JSON), and serializes as its spelling.
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $crate::model::TextEnum for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::model::TextEnum::as_str(*self))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::model::TextEnum::as_str(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                <$name as $crate::model::TextEnum>::stored(&text)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown {} '{text}'", stringify!($name))))
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode($crate::model::TextEnum::as_str(*self), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$name as $crate::model::TextEnum>::stored(text).ok_or_else(|| format!("unknown {} '{text}'", stringify!($name)).into())
            }
        }
    };
}
pub(crate) use text_enum;
