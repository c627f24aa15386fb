//! What an import from Vault writes and what it reports instead: decided here, with no I/O, from
//! what was read and the names already in the target namespace.
//!
//! Nothing is renamed, overwritten or picked silently. A key is imported under its own name or not
//! at all, and each one left out is reported with why:
//! - a name the name rules refuse (syntax or reserved, `api::validate::secret_name`);
//! - a name two or more entries hold (a clash): neither is imported, since nothing says which
//!   value is the right one, and the user can import each entry on its own to choose;
//! - a value that is not a string (number, boolean, object, list, null), empty, or too large;
//! - a name already in vaultty: skipped, not rotated. An import is a move-in, and a careful user
//!   would not expect it to replace a vault secret without being asked; `vaultty secret set`
//!   rotates one on purpose;
//! - an entry listed whose latest version is deleted or destroyed.

use std::collections::{BTreeMap, HashSet};

use secrecy::{ExposeSecret, SecretString};

use super::vault_kv::{Found, KvValue};

pub struct ToWrite {
    pub name: String,
    pub value: SecretString,
    /// The entry it comes from (`secret/app`).
    pub from: String,
}

pub struct Skipped {
    /// `None` when a whole entry is skipped (deleted in Vault).
    pub name: Option<String>,
    pub from: Vec<String>,
    pub reason: String,
}

#[derive(Default)]
pub struct Plan {
    pub write: Vec<ToWrite>,
    pub skipped: Vec<Skipped>,
}

/// `existing` holds the names in the namespace the import writes to; `namespace` says which, for
/// the report (`your secrets`, `the org's secrets`).
pub fn plan(found: Found, existing: &HashSet<String>, namespace: &str) -> Plan {
    let mut by_name: BTreeMap<String, Vec<(String, KvValue)>> = BTreeMap::new();
    for (at, data) in found.entries {
        for (key, value) in data {
            by_name.entry(key).or_default().push((at.to_string(), value));
        }
    }
    let mut plan = Plan::default();
    for entry in found.deleted {
        plan.skipped.push(Skipped {
            name: None,
            from: vec![entry.to_string()],
            reason: "its latest version is deleted or destroyed in Vault".into(),
        });
    }
    for (name, mut held) in by_name {
        let skip = |from: Vec<String>, reason: String| Skipped {
            name: Some(name.clone()),
            from,
            reason,
        };
        if held.len() > 1 {
            let from: Vec<String> = held.into_iter().map(|(from, _)| from).collect();
            let reason = format!(
                "{} entries hold this key; none is imported (import one entry at a time to choose)",
                from.len()
            );
            plan.skipped.push(skip(from, reason));
            continue;
        }
        let Some((from, value)) = held.pop() else {
            continue;
        };
        let refusal = crate::api::validate::secret_name(&name)
            .err()
            .or_else(|| match &value {
                KvValue::Other(kind) => Some(format!("its value is {kind}, not a string")),
                KvValue::Text(v) => crate::api::validate::secret_value(v.expose_secret()).err(),
            })
            .or_else(|| {
                existing.contains(&name).then(|| {
                    format!("already in {namespace}; not overwritten (`vaultty secret set {name}` rotates it)")
                })
            });
        match (refusal, value) {
            (Some(reason), _) => plan.skipped.push(skip(vec![from], reason)),
            (None, KvValue::Text(value)) => plan.write.push(ToWrite { name, value, from }),
            (None, KvValue::Other(_)) => {}
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::import::vault_kv::{KvData, KvPath};

    fn entry(path: &str, pairs: &[(&str, Option<&str>)]) -> (KvPath, KvData) {
        let data = pairs
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Some(v) => KvValue::Text(SecretString::from((*v).to_owned())),
                    None => KvValue::Other("a number"),
                };
                ((*k).to_owned(), value)
            })
            .collect();
        (KvPath::parse(path, None).unwrap(), data)
    }

    fn reasons(plan: &Plan) -> Vec<(String, String)> {
        plan.skipped
            .iter()
            .map(|s| (s.name.clone().unwrap_or_default(), s.reason.clone()))
            .collect()
    }

    #[test]
    fn each_key_is_written_under_its_own_name_or_reported() {
        let found = Found {
            entries: vec![
                entry(
                    "secret/app",
                    &[
                        ("GOOD", Some("v1")),
                        ("bad-name", Some("v")),
                        ("LD_PRELOAD", Some("x")),
                        ("PORT", None),
                        ("EMPTY", Some("")),
                        ("TAKEN", Some("v")),
                        ("SHARED", Some("a")),
                    ],
                ),
                entry("secret/app/db", &[("SHARED", Some("b")), ("DB_URL", Some("v2"))]),
            ],
            deleted: vec![KvPath::parse("secret/app/old", None).unwrap()],
        };
        let existing = HashSet::from(["TAKEN".to_owned()]);
        let plan = plan(found, &existing, "your secrets");
        let written: Vec<_> = plan
            .write
            .iter()
            .map(|w| (w.name.as_str(), w.value.expose_secret(), w.from.as_str()))
            .collect();
        assert_eq!(
            written,
            [("DB_URL", "v2", "secret/app/db"), ("GOOD", "v1", "secret/app")]
        );
        let skipped = reasons(&plan);
        let names: Vec<&str> = skipped.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["", "EMPTY", "LD_PRELOAD", "PORT", "SHARED", "TAKEN", "bad-name"]
        );
        let reason = |n: &str| &skipped.iter().find(|(name, _)| name == n).unwrap().1;
        assert!(reason("").contains("deleted"), "{skipped:?}");
        assert!(reason("EMPTY").contains("empty"), "{skipped:?}");
        assert!(reason("LD_PRELOAD").contains("refused"), "{skipped:?}");
        assert!(reason("PORT").contains("a number"), "{skipped:?}");
        assert!(reason("SHARED").contains("2 entries"), "{skipped:?}");
        assert!(reason("TAKEN").contains("already in your secrets"), "{skipped:?}");
        assert!(reason("bad-name").contains("letters, digits"), "{skipped:?}");
        let shared = plan
            .skipped
            .iter()
            .find(|s| s.name.as_deref() == Some("SHARED"))
            .unwrap();
        assert_eq!(shared.from, ["secret/app", "secret/app/db"]);
    }
}
