//! Chapter: uses (last_used_at only moves forward, with their audit records) and reading the
//! audit log: newest first, by actor, action and secret, paged; then the audit chain's key:
//! sealed in the database, the same for every store on it, needed to link and to verify.

use vaultty::crypto::{ChainKey, Keyring, MasterKey};
use vaultty::store::{
    self, AuditAction, AuditChain, AuditFilter, ChainKeyRecord, NewAudit, Outcome, Owner, Store, StoreError,
};
use vaultty::vault::VaultError;

use crate::backends::{Db, KEY, keyring};
use crate::fixtures::{T0, acme, audit, audit_count, put, verify_chain};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (_, bob) = acme(s).await;
    let rotated = put(s, Owner::Org, "API_KEY", 2).await;
    let mine = put(s, Owner::User(bob.id), "API_KEY", 1).await;

    let before = audit_count(s).await;
    let reveal = NewAudit {
        visibility: Some(store::Visibility::Org),
        version: Some(2),
        ..audit(AuditAction::Reveal, "bob", Some("API_KEY"))
    };
    let env = audit(AuditAction::Env, "bob", None);
    s.record_use(&[rotated.id, mine.id], T0 + 100, vec![reveal.clone(), env])
        .await
        .unwrap();
    s.record_use(&[rotated.id], T0 + 50, vec![]).await.unwrap();
    assert_eq!(
        s.get_secret(Owner::Org, "API_KEY").await.unwrap().unwrap().last_used_at,
        Some(T0 + 100),
        "an older use does not move it back"
    );
    assert_eq!(
        s.get_secret(Owner::User(bob.id), "API_KEY")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(T0 + 100)
    );
    assert_eq!(audit_count(s).await, before + 2);
    let denied = NewAudit {
        outcome: Outcome::Denied,
        ..audit(AuditAction::AuthFailed, "nobody", None)
    };
    s.append_audit(vec![denied]).await.unwrap();

    // ---- reading the audit log ----
    let newest = s
        .list_audit(&AuditFilter {
            limit: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(newest.len(), 3);
    assert!(
        newest[0].id > newest[1].id && newest[1].id > newest[2].id,
        "newest first"
    );
    assert_eq!(
        (newest[0].event.action, newest[0].event.outcome),
        (AuditAction::AuthFailed, Outcome::Denied)
    );
    let bobs_reveals = s
        .list_audit(&AuditFilter {
            actor: Some("bob".into()),
            action: Some(AuditAction::Reveal),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bobs_reveals.len(), 1);
    let r = &bobs_reveals[0].event;
    assert_eq!(
        (r.secret.as_deref(), r.visibility, r.version, r.client.as_deref()),
        (Some("API_KEY"), reveal.visibility, Some(2), Some("vaultty-test/0"))
    );
    let on_key = s
        .list_audit(&AuditFilter {
            secret: Some("API_KEY".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(on_key.iter().all(|e| e.event.secret.as_deref() == Some("API_KEY")) && on_key.len() >= 4);
    let older = s
        .list_audit(&AuditFilter {
            before: Some(on_key[0].id),
            secret: Some("API_KEY".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(older.len(), on_key.len() - 1);

    verify_chain(s).await;
    chain_key(db).await;
}

async fn chain_key(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let record = s
        .audit_chain_key()
        .await
        .unwrap()
        .expect("the chain was keyed at the first open");
    assert_eq!(record.keyed_from, 1, "a new database is keyed from its first event");
    assert_eq!(
        Keyring::chain_key_sealed_under(&record.sealed),
        Some(keyring().primary().id())
    );
    let events = verify_chain(s).await;

    // Keying again keeps the stored key: a second process opening at once gets the first one's.
    let next = i64::try_from(events).unwrap() + 1;
    let other = ChainKeyRecord {
        sealed: keyring().seal_chain_key(&ChainKey::generate(), next),
        keyed_from: next,
    };
    assert_eq!(s.key_audit_chain(other).await.unwrap(), record);

    // The events do not verify under another key.
    let wrong = AuditChain::new(ChainKey::from_bytes([0x55; 32]), 1);
    let first = &s.audit_range(0, 1).await.unwrap()[0];
    assert_ne!(wrong.link(&first.prev_hash, first), first.hash);
    assert_eq!(s.audit_chain().unwrap().link(&first.prev_hash, first), first.hash);

    // Without a master key that sealed it, the chain key does not open, so no writer starts.
    let stranger = Keyring::new(vec![MasterKey::from_bytes([6; 32])]).unwrap();
    let refused = vaultty::vault::open_store(&db.url, &stranger).await.err();
    assert!(
        matches!(&refused, Some(VaultError::ChainKeyMissing(id)) if id == keyring().primary().id()),
        "{refused:?}"
    );

    // A store opened without its chain key reads, but appends nothing.
    let bare = store::open(&db.url).await.unwrap();
    let no_key = bare
        .append_audit(vec![audit(AuditAction::AuthFailed, "nobody", None)])
        .await;
    assert!(matches!(no_key, Err(StoreError::NoChainKey)), "{no_key:?}");
    assert_eq!(verify_chain(s).await, events);

    // A rekey re-seals it under the new primary (only if it still holds what was read); the old
    // master key can then go, and the chain still verifies and grows.
    assert!(!s.reseal_audit_chain_key("not what is stored", "x").await.unwrap());
    let rotated = Keyring::new(vec![MasterKey::from_bytes([7; 32]), MasterKey::from_bytes(KEY)]).unwrap();
    assert!(vaultty::vault::reseal_chain_key(&store, &rotated).await.unwrap());
    assert!(
        !vaultty::vault::reseal_chain_key(&store, &rotated).await.unwrap(),
        "already under the primary"
    );
    let only_new = Keyring::new(vec![MasterKey::from_bytes([7; 32])]).unwrap();
    let reopened = vaultty::vault::open_store(&db.url, &only_new).await.unwrap();
    let denied = NewAudit {
        outcome: Outcome::Denied,
        count: Some(3),
        ..audit(AuditAction::AuthFailed, "nobody", None)
    };
    reopened.append_audit(vec![denied]).await.unwrap();
    assert_eq!(verify_chain(&*reopened).await, events + 1);
    assert_eq!(verify_chain(s).await, events + 1, "one key for both stores");
}
