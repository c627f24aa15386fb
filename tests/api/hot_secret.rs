//! Many writers on one secret at once, without `expectedVersion`: last writer wins, and every
//! writer gets its own version (409 is for a failed `expectedVersion` only).

use std::collections::BTreeMap;

use secrecy::ExposeSecret;
use vaultty::api::{AuditAction, AuditQuery, Outcome};

use crate::common::{Options, TestVault};
use crate::upsert;

const WRITERS: usize = 16;
const ROUNDS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_unconditional_rotations_all_succeed_with_distinct_versions() {
    let v = TestVault::start_with(Options {
        max_versions: 100,
        ..Options::default()
    })
    .await;
    let admin = v.admin();
    // The secret does not exist before the first round: its writers race to create it too.
    let mut answered: BTreeMap<i64, String> = BTreeMap::new();
    let mut created = 0;
    for round in 0..ROUNDS {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                // A client each: its own connection, as 16 separate processes would have.
                let c = v.client(&v.admin_token);
                let value = format!("hot-value-round-{round}-writer-{w}");
                tokio::spawn(async move {
                    let answer = c.upsert_secret(&upsert("HOT_KEY", &value)).await;
                    (value, answer)
                })
            })
            .collect();
        for writer in writers {
            let (value, answer) = writer.await.unwrap();
            let (meta, was_created) = answer.unwrap_or_else(|e| panic!("round {round}: a writer was refused: {e:?}"));
            created += usize::from(was_created);
            let before = answered.insert(meta.version, value);
            assert!(
                before.is_none(),
                "round {round}: version {} answered twice",
                meta.version
            );
        }
    }
    let n = WRITERS * ROUNDS;
    let last = i64::try_from(n).unwrap();
    assert_eq!(created, 1, "exactly one writer created the secret");
    assert_eq!(
        answered.keys().copied().collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>(),
        "the versions answered are 1..={last} without gaps"
    );

    let history: Vec<i64> = admin
        .versions("HOT_KEY", false)
        .await
        .unwrap()
        .iter()
        .map(|vi| vi.version)
        .collect();
    assert_eq!(history, (1..=last).rev().collect::<Vec<_>>());
    assert_eq!(admin.get_secret("HOT_KEY", false).await.unwrap().version, last);

    // One audit record per answer, each with the version its writer was told.
    let audit = admin
        .audit(&AuditQuery {
            secret: Some("HOT_KEY".into()),
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut audited: Vec<(i64, AuditAction)> = audit
        .iter()
        .filter(|e| matches!(e.action, AuditAction::Create | AuditAction::Rotate))
        .map(|e| {
            assert_eq!(e.outcome, Outcome::Ok);
            (e.version.unwrap(), e.action)
        })
        .collect();
    audited.sort_by_key(|(version, _)| *version);
    let expected: Vec<(i64, AuditAction)> = (1..=last)
        .map(|version| {
            let action = if version == 1 {
                AuditAction::Create
            } else {
                AuditAction::Rotate
            };
            (version, action)
        })
        .collect();
    assert_eq!(audited, expected);

    // Each version holds the value of the writer told that version (its seal is bound to it),
    // and the current value is the one answered with the highest version.
    for (version, value) in &answered {
        let revealed = admin.reveal("HOT_KEY", false, Some(*version)).await.unwrap();
        assert_eq!(revealed.value.expose_secret(), value, "version {version}");
    }
    let current = admin.reveal("HOT_KEY", false, None).await.unwrap();
    assert_eq!(current.version, last);
    assert_eq!(current.value.expose_secret(), answered[&last]);
}
