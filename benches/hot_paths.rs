//! The server's hot paths without HTTP: crypto, the SQLite store and the vault's rules, each timed
//! alone, so that a change to one shows up here before it shows up in `benches/compare.sh`.
//!
//! `cargo bench --bench hot_paths` (release build; `-- --quick` for fewer iterations). Prints one
//! line per case with p50 and p99, and for the concurrent cases the throughput. Timings are for
//! reading, not asserting: they depend on the machine, and above all on its fsync latency, which is
//! printed first because every durable write waits for it.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use vaultty::api::{ListQuery, SecretList, UpsertSecret};
use vaultty::crypto::{Binding, Keyring, MasterKey, hash_token};
use vaultty::store::{AuditAction, DynStore, NewAudit, Outcome, Owner, SecretFilter, SecretWrite, UserRow, Visibility};
use vaultty::vault::{Origin, Vault, VaultSettings};

mod common;
use common::{Stats, fsync_latency, time_each, wanted};

const LIST_SIZE: usize = 10_000;
/// Concurrent callers for the throughput cases: what `compare.sh` gives wrk (16 connections).
const CONCURRENCY: usize = 16;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let iters = if quick { 200 } else { 2_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    Stats::header();
    let case = "fsync of a 4 KiB append (the disk)";
    if wanted(case) {
        fsync_latency(dir.path(), if quick { 50 } else { 300 }).print(case);
    }
    if wanted("crypto: ") {
        crypto(iters);
    }
    runtime.block_on(store_and_vault(dir.path(), iters, quick));
}

fn keyring() -> Keyring {
    Keyring::new(vec![MasterKey::from_bytes([7; 32])]).expect("keyring")
}

fn crypto(iters: usize) {
    let ring = keyring();
    let value = SecretString::from("sk-bench-0123456789abcdef0123456789abcdef".to_owned());
    let binding = Binding {
        namespace: "user:1",
        name: "OPENAI_API_KEY",
        identity: "0123456789abcdef01234567",
        version: 3,
    };
    time_each(iters * 10, || {
        std::hint::black_box(ring.seal(&binding, &value));
    })
    .print("crypto: seal a 40-byte value");
    let sealed = ring.seal(&binding, &value);
    time_each(iters * 10, || {
        std::hint::black_box(ring.open(&binding, &sealed).expect("open"));
    })
    .print("crypto: open it");
    let token = SecretString::from("vt_0123456789abcdef0123456789abcdef0123456789a".to_owned());
    time_each(iters * 10, || {
        std::hint::black_box(hash_token(&token));
    })
    .print("crypto: hash a token");
    let t = time::OffsetDateTime::now_utc();
    time_each(iters * 10, || {
        std::hint::black_box(vaultty::api::timestamp::format(std::hint::black_box(t)));
    })
    .print("api: format a timestamp (3 per listed secret)");
}

fn audit(actor: &str, secret: &str, at: i64) -> NewAudit {
    NewAudit {
        at,
        actor: Some(actor.to_owned()),
        action: AuditAction::Reveal,
        secret: Some(secret.to_owned()),
        visibility: Some(Visibility::User),
        owner: Some(actor.to_owned()),
        version: Some(1),
        outcome: Outcome::Ok,
        client: Some("bench/1".into()),
        ip: Some("127.0.0.1".into()),
        target: None,
        count: None,
    }
}

async fn store_and_vault(dir: &std::path::Path, iters: usize, quick: bool) {
    let url = format!("sqlite://{}/vault.db", dir.display());
    let ring = Arc::new(keyring());
    let token = vaultty::vault::admin_init(&url, &ring, "bench", "admin")
        .await
        .expect("init");
    let store: DynStore = vaultty::vault::open_store(&url, &ring).await.expect("open");
    let vault = Vault::new(store.clone(), ring.clone(), VaultSettings::default());
    let caller = vault
        .authenticate(
            Some(&token),
            Origin {
                client: Some("bench/1".into()),
                ip: Some("127.0.0.1".into()),
            },
        )
        .await
        .expect("authenticate");
    let me = caller.user.clone();
    seed(&store, &ring, &me, if quick { 2_000 } else { LIST_SIZE }).await;

    let hash = hash_token(&token);
    let case = "store: token_by_hash (read pool)";
    if wanted(case) {
        time_async(iters, || async {
            store.token_by_hash(&hash).await.expect("token");
        })
        .await
        .print(case);
    }
    let case = "store: get_secret";
    if wanted(case) {
        time_async(iters, || async {
            store.get_secret(Owner::User(me.id), "LIST_00042").await.expect("get");
        })
        .await
        .print(case);
    }
    let row = store
        .get_secret(Owner::User(me.id), "LIST_00042")
        .await
        .expect("get")
        .expect("row");
    let case = "store: version (sealed text)";
    if wanted(case) {
        time_async(iters, || async {
            store.version(row.id, row.version).await.expect("version");
        })
        .await
        .print(case);
    }
    let case = "store: record_use alone (one commit, one fsync)";
    if wanted(case) {
        time_async(iters / 10, || async {
            store
                .record_use(&[row.id], now(), vec![audit(&me.name, "LIST_00042", now())])
                .await
                .expect("record_use");
        })
        .await
        .print(case);
    }
    let case = format!("store: record_use, {CONCURRENCY} at once (group commit)");
    if wanted(&case) {
        concurrent(iters, CONCURRENCY, |_| {
            let store = store.clone();
            let name = me.name.clone();
            async move {
                store
                    .record_use(&[row.id], now(), vec![audit(&name, "LIST_00042", now())])
                    .await
                    .expect("record_use");
            }
        })
        .await
        .print(&case);
    }

    let filter = SecretFilter {
        owners: vec![Owner::User(me.id), Owner::Org],
        ..SecretFilter::default()
    };
    let list_iters = if quick { 10 } else { 50 } * repeat();
    let case = "store: list_secrets of every seeded secret";
    if wanted(case) {
        time_async(list_iters, || async {
            std::hint::black_box(store.list_secrets(&filter).await.expect("list"));
        })
        .await
        .print(case);
    }
    let case = "vault: list (rows to SecretMeta)";
    if wanted(case) {
        time_async(list_iters, || async {
            std::hint::black_box(vault.list(&caller, &ListQuery::default()).await.expect("list"));
        })
        .await
        .print(case);
    }
    let case = "vault: list + JSON, as GET /v1/secrets answers";
    if wanted(case) {
        time_async(list_iters, || async {
            let secrets = vault.list(&caller, &ListQuery::default()).await.expect("list");
            std::hint::black_box(serde_json::to_vec(&SecretList { secrets }).expect("json"));
        })
        .await
        .print(case);
    }

    let case = "vault: reveal alone (reads, open, audit commit)";
    if wanted(case) {
        time_async(iters / 10, || async {
            vault.reveal(&caller, "LIST_00042", false, None).await.expect("reveal");
        })
        .await
        .print(case);
    }
    let case = format!("vault: reveal, {CONCURRENCY} at once");
    if wanted(&case) {
        concurrent(iters, CONCURRENCY, |_| {
            let vault = vault.clone();
            let caller = caller.clone();
            async move {
                vault.reveal(&caller, "LIST_00042", false, None).await.expect("reveal");
            }
        })
        .await
        .print(&case);
    }
    // Rotations without expectedVersion, as `POST /v1/secrets` sends them: each writer on a name
    // of its own, then every writer on one name (last writer wins: no call may fail).
    let per_writer = iters / CONCURRENCY;
    for (case, hot) in [
        (format!("vault: rotate, {CONCURRENCY} at once, a name each"), false),
        (format!("vault: rotate, {CONCURRENCY} at once, one name"), true),
    ] {
        if !wanted(&case) {
            continue;
        }
        concurrent(iters, CONCURRENCY, |i| {
            let vault = vault.clone();
            let caller = caller.clone();
            let name = if hot {
                "ROT_HOT".to_owned()
            } else {
                format!("ROT_{:02}", i / per_writer.max(1))
            };
            let req = UpsertSecret::new(name, SecretString::from(format!("sk-bench-rotation-{i:024}")));
            async move {
                vault.upsert(&caller, &req).await.expect("rotate");
            }
        })
        .await
        .print(&case);
    }
    let case = format!("vault: authenticate, {CONCURRENCY} at once");
    if wanted(&case) {
        concurrent(iters, CONCURRENCY, |_| {
            let vault = vault.clone();
            let token = token.clone();
            async move {
                vault
                    .authenticate(Some(&token), Origin::default())
                    .await
                    .expect("authenticate");
            }
        })
        .await
        .print(&case);
    }
}

/// `BENCH_REPEAT=n` runs the listing cases n times as often (for a profile).
fn repeat() -> usize {
    std::env::var("BENCH_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1)
}

/// Creates `n` secrets owned by `me`, many writes at a time so that the seeding group-commits.
async fn seed(store: &DynStore, ring: &Arc<Keyring>, me: &UserRow, n: usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in 0..64 {
        let (store, ring, me) = (store.clone(), ring.clone(), me.clone());
        tasks.push(tokio::spawn(async move {
            let ns = Owner::User(me.id).namespace();
            for i in (chunk..n).step_by(64) {
                let name = format!("LIST_{i:05}");
                let value = SecretString::from(format!("sk-bench-{i:032}"));
                let identity = vaultty::crypto::new_identity();
                let sealed = ring.seal(
                    &Binding {
                        namespace: &ns,
                        name: &name,
                        identity: &identity,
                        version: 1,
                    },
                    &value,
                );
                let write = SecretWrite {
                    owner: Owner::User(me.id),
                    name: name.clone(),
                    expected: None,
                    new_version: 1,
                    identity,
                    sealed,
                    preview: "sk-b****0042".into(),
                    category: None,
                    scope: None,
                    description: Some(Some("a listed secret".into())),
                    provider: None,
                    revealable: None,
                    at: now(),
                    by: me.name.clone(),
                    max_versions: 10,
                };
                let mut a = audit(&me.name, &name, now());
                a.action = AuditAction::Create;
                store.write_secret(write, a).await.expect("seed write");
            }
        }));
    }
    for t in tasks {
        t.await.expect("seed task");
    }
    eprintln!("seeded {n} secrets in {:.1} s", started.elapsed().as_secs_f64());
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn time_async<F, Fut>(iters: usize, mut f: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..iters.min(20) {
        f().await;
    }
    let mut samples = Vec::with_capacity(iters);
    let started = Instant::now();
    for _ in 0..iters {
        let t = Instant::now();
        f().await;
        samples.push(t.elapsed());
    }
    Stats::new(samples, started.elapsed())
}

/// `total` calls spread over `width` tasks; per-call latency and the throughput of all together.
async fn concurrent<F, Fut>(total: usize, width: usize, f: F) -> Stats
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let f = Arc::new(f);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..width {
        let per = total / width;
        let calls: Vec<Fut> = (0..per).map(|i| f(w * per + i)).collect();
        tasks.push(tokio::spawn(async move {
            let mut samples: Vec<Duration> = Vec::with_capacity(per);
            for call in calls {
                let t = Instant::now();
                call.await;
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("bench task"));
    }
    Stats::new(all, started.elapsed())
}
