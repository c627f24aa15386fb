//! Databases as older releases left them: undoing the newest migrations of a database made now,
//! to test that a start migrates what it finds.

use rusqlite::Connection;

/// Schema version 5 (accounts: lineage, disabled users, enrolment codes, audit targets) back to 4.
pub fn rewind_to_v4(db: &Connection) {
    db.execute_batch(
        "DROP INDEX tokens_by_parent;
         DROP INDEX enrolments_by_user;
         DROP TABLE enrolments;
         ALTER TABLE users DROP COLUMN disabled;
         ALTER TABLE tokens DROP COLUMN parent_id;
         ALTER TABLE tokens DROP COLUMN kind;
         ALTER TABLE tokens DROP COLUMN last_used_at;
         ALTER TABLE audit DROP COLUMN target;
         PRAGMA user_version = 4;",
    )
    .unwrap();
}
