//! The storage story, told in chapters, each generic over `Store` and run on every backend.
//!
//! A backend is a way to get a fresh, empty database (`backends.rs`); `every_chapter!` turns it
//! into one test per chapter, so adding a backend is one function and one line below. Sealed
//! texts here are arbitrary strings: a store never opens them.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backends;
mod fixtures;

mod audit_log;
mod changes;
mod concurrency;
mod edits;
mod kill;
mod listing;
mod providers;
mod pruning;
mod rekey;
mod reopen;
mod secrets;
mod sqlite_only;
mod two_stores;
mod users_and_tokens;

/// One test per chapter against the backend `backends::$backend()`.
/// `$attr` goes on every test (the `#[ignore]` of a backend that needs a server).
macro_rules! every_chapter {
    ($backend:ident $(, #[$attr:meta])*) => {
        mod $backend {
            use crate::backends;

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn users_and_tokens() {
                crate::users_and_tokens::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn secrets_rotation_and_check_and_set() {
                crate::secrets::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn pruning_to_max_versions() {
                crate::pruning::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn listing_and_delivery() {
                crate::listing::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn providers_stored_kept_and_filtered() {
                crate::providers::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn metadata_edits_and_deletes() {
                crate::edits::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn uses_and_the_audit_log() {
                crate::audit_log::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn concurrent_writes_and_racing_rotations() {
                crate::concurrency::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn master_key_rotation_walk() {
                crate::rekey::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn reopen_keeps_everything() {
                crate::reopen::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn change_events_after_commit() {
                crate::changes::chapter(&backends::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn two_stores_on_one_database() {
                crate::two_stores::chapter(&backends::$backend()).await;
            }

            /// Also the child it runs: the same test, told by the environment to write until killed.
            #[cfg(unix)]
            #[tokio::test(flavor = "multi_thread")]
            $(#[$attr])*
            async fn acknowledged_writes_survive_kill_9() {
                const SELF: &str = concat!(stringify!($backend), "::acknowledged_writes_survive_kill_9");
                crate::kill::chapter(SELF, backends::$backend).await;
            }
        }
    };
}

every_chapter!(sqlite);
every_chapter!(postgres, #[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]);
