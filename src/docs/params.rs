//! Parameters written with utoipa's builders, for the families whose values come from the code's
//! own constants (enums of names, ranges).

use utoipa::openapi::{
    RefOr, Required,
    path::{Parameter, ParameterBuilder, ParameterIn},
    schema::{ObjectBuilder, Schema, Type},
};

/// A parameter of `kind` at `location`.
pub fn param(name: &str, location: ParameterIn, required: bool, schema: impl Into<RefOr<Schema>>, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(if required { Required::True } else { Required::False })
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

pub fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
}

/// A flag: `true`/`false` in any case, or `1`/`0`; absent is false.
pub fn flag() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Boolean).default(Some(false.into()))
}

pub fn one_of(values: impl IntoIterator<Item = &'static str>) -> ObjectBuilder {
    string().enum_values(Some(values))
}
