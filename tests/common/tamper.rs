//! Damage done to a vault's SQLite file behind the running server's back, to prove what the server
//! does with a row it cannot trust.
#![allow(dead_code)]

use std::path::Path;

/// Overwrites the current sealed text of `target` (the org's when `target_in_org`, else a user's)
/// with the current sealed text of `source`: a ciphertext moved to another row, which must not
/// open there.
pub fn move_ciphertext(db: &Path, source: &str, target: &str, target_in_org: bool) {
    let db = rusqlite::Connection::open(db).unwrap();
    let sealed: String = db
        .query_row(
            "SELECT v.sealed FROM secret_versions v JOIN secrets s ON s.id = v.secret_id \
             AND v.version = s.version WHERE s.name = ?1",
            [source],
            |r| r.get(0),
        )
        .unwrap();
    let owner = if target_in_org { "= 0" } else { "<> 0" };
    let changed = db
        .execute(
            &format!(
                "UPDATE secret_versions SET sealed = ?1 WHERE (secret_id, version) IN \
                 (SELECT id, version FROM secrets WHERE name = ?2 AND owner_id {owner})"
            ),
            [&sealed, target],
        )
        .unwrap();
    assert_eq!(changed, 1, "no such row: {target}");
}
