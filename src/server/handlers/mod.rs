//! Thin handlers: parse, call `vault`, answer. Each carries its OpenAPI description.

pub(crate) mod events;
pub(crate) mod identity;
pub(crate) mod secrets;
pub(crate) mod users;
pub(crate) mod values;
