//! Databases as older releases left them: undoing the newest migrations of a database made now,
//! to test that a start migrates what it finds.

use rusqlite::Connection;

/// Schema version 6 (runner tokens' scope and namespace, secrets' provider) back to 5.
pub fn rewind_to_v5(db: &Connection) {
    db.execute_batch(
        "ALTER TABLE tokens DROP COLUMN scope;
         ALTER TABLE tokens DROP COLUMN org_wide;
         ALTER TABLE secrets DROP COLUMN provider;
         PRAGMA user_version = 5;",
    )
    .unwrap();
}

/// Schema version 6 back to 4 (5: accounts: lineage, disabled users, enrolment codes, audit
/// targets).
pub fn rewind_to_v4(db: &Connection) {
    rewind_to_v5(db);
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
