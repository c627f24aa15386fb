//! A race must not undo write-only: a rotation that leaves `revealable` (or any other field) out
//! keeps what is stored when it commits, not what it read before, and a create that loses a race
//! with another create keeps the winner's fields.

use vaultty::api::{Category, PatchSecret};

use crate::common::TestVault;
use crate::upsert;

/// Rounds per race: each round is one fresh secret; the unguarded code lost a good share of them.
const ROUNDS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotation_racing_an_edit_to_write_only_never_undoes_it() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut undone = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("RACE_{round:03}");
        admin.upsert_secret(&upsert(&name, "first-value-0000")).await.unwrap();
        let edit = {
            let (admin, name) = (admin.clone(), name.clone());
            tokio::spawn(async move {
                let patch = PatchSecret {
                    revealable: Some(false),
                    ..Default::default()
                };
                admin.patch_secret(&name, false, &patch).await.unwrap();
            })
        };
        let rotate = {
            let (admin, name) = (admin.clone(), name.clone());
            tokio::spawn(async move {
                admin.upsert_secret(&upsert(&name, "second-value-000")).await.unwrap();
            })
        };
        edit.await.unwrap();
        rotate.await.unwrap();
        let meta = admin.get_secret(&name, false).await.unwrap();
        assert_eq!(meta.version, 2);
        if meta.revealable {
            undone.push(name);
        }
    }
    assert!(undone.is_empty(), "write-only undone by a racing rotation: {undone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_racing_another_create_keeps_the_fields_it_left_out() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut reset = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("BORN_{round:03}");
        let careful = {
            let (admin, name) = (admin.clone(), name.clone());
            tokio::spawn(async move {
                let mut req = upsert(&name, "careful-value-00");
                req.revealable = Some(false);
                req.category = Some(Category::Tool);
                req.description = Some("set by the careful writer".into());
                admin.upsert_secret(&req).await.unwrap();
            })
        };
        let plain = {
            let (admin, name) = (admin.clone(), name.clone());
            tokio::spawn(async move {
                admin.upsert_secret(&upsert(&name, "plain-value-0000")).await.unwrap();
            })
        };
        careful.await.unwrap();
        plain.await.unwrap();
        let meta = admin.get_secret(&name, false).await.unwrap();
        assert_eq!(meta.version, 2, "both writes are versions");
        if meta.revealable || meta.category != Category::Tool || meta.description.is_none() {
            reset.push(name);
        }
    }
    assert!(reset.is_empty(), "a racing create reset fields to defaults: {reset:?}");
}
