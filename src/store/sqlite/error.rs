//! Maps SQLite errors onto `StoreError`.
//!
//! Messages may carry SQL text or SQLite's own description, never a bound value: SQLite does not
//! put parameters into its error messages, and none of ours format one in.

use rusqlite::ErrorCode;

use crate::store::StoreError;

/// The `StoreError` for a failed SQLite call.
pub(super) fn map(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DiskFull => StoreError::Full,
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
            _ => StoreError::Backend(e.to_string()),
        },
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Whether the error is a UNIQUE (or primary key) violation on the named `table.column`.
pub(super) fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, Some(msg)) => {
            f.code == ErrorCode::ConstraintViolation
                && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
                && msg.contains(column)
        }
        _ => false,
    }
}

/// A column held text that is not one of the enum's values (a database edited by hand, or by a
/// newer vaultty).
pub(super) fn parse_column<T>(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr<Err = String>,
{
    // Borrowed, not copied into a String first: listings parse two of these per row.
    let text = row.get_ref(idx)?.as_str()?;
    text.parse::<T>()
        .map_err(|msg| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, msg.into()))
}

/// [`parse_column`] for a nullable column.
pub(super) fn parse_optional_column<T>(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<T>>
where
    T: std::str::FromStr<Err = String>,
{
    match row.get_ref(idx)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => parse_column(row, idx).map(Some),
    }
}
