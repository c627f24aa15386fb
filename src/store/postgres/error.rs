//! Maps PostgreSQL errors onto `StoreError`.
//!
//! Messages carry the server's short message and its SQLSTATE, never its DETAIL: PostgreSQL puts
//! the offending row's values there ("Key (name)=(…) already exists"), and a value here could be a
//! name or a hash the log must not hold. Nothing binds a plaintext value, but the rule is simpler
//! kept whole.

use tokio_postgres::error::SqlState;

use crate::store::StoreError;

/// The `StoreError` for a failed PostgreSQL call.
pub(super) fn map(e: tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        if e.is_closed() {
            return StoreError::Backend("lost the connection to PostgreSQL".into());
        }
        // A client-side failure (I/O, a protocol error, a column of an unexpected type): its
        // Display names the kind and never a bound value.
        return StoreError::Backend(format!("PostgreSQL: {e}"));
    };
    let code = db.code();
    if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY || *code == SqlState::INSUFFICIENT_RESOURCES {
        StoreError::Full
    } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::LOCK_NOT_AVAILABLE
        || *code == SqlState::QUERY_CANCELED
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
        || *code == SqlState::TOO_MANY_CONNECTIONS
    {
        StoreError::Busy
    } else {
        StoreError::Backend(format!("PostgreSQL: {} ({})", db.message(), code.code()))
    }
}

/// Whether the error is a unique (or primary key) violation of the named constraint.
pub(super) fn is_unique_violation(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.as_db_error()
        .is_some_and(|db| *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint().is_some_and(|c| c == constraint))
}

/// A column held text that is not one of the enum's values (a database edited by hand, or by a
/// newer vaultty).
pub(super) fn parse<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = String>,
{
    text.parse::<T>()
        .map_err(|msg| StoreError::Backend(format!("unexpected value in column {column}: {msg}")))
}
