//! A burst of 2,000 requests against the real binary with few file descriptors.

use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{PATIENCE, header, status_of};

/// 2,000 requests at once against `vaultty serve` run with only 256 file descriptors (`ulimit -n`):
/// every one is answered 200 or 503, none fails for want of a file (accept, or SQLite opening a
/// reader). The server lowers its connection cap to fit and the rest wait in the listen backlog.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_2000_requests_gets_answers_or_503s_within_256_files() {
    const BURST: usize = 2000;
    raise_own_file_limit(BURST as u64 + 1024);
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("vault.db").display());
    // The key of KEY_BASE64, which the server below is given.
    let keys = crate::common::keyring(&[[7; 32]]);
    let token = vaultty::vault::admin_init(&db_url, &keys, "acme", "alice")
        .await
        .unwrap();
    let mut server = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_vaultty"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db_url])
        .env("VAULTTY_MASTER_KEY", KEY_BASE64)
        .env_remove("VAULTTY_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (addr, log) = listening_address(&mut server).await;
    let (list, me) = (
        format!(
            "GET /v1/secrets HTTP/1.1\r\nHost: vault\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            token.expose_secret()
        ),
        format!(
            "GET /v1/me HTTP/1.1\r\nHost: vault\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            token.expose_secret()
        ),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..BURST {
        // Half point lookups (on the async threads), half listings (on the blocking readers).
        let request = if i % 2 == 0 { me.clone() } else { list.clone() };
        tasks.spawn(async move {
            let mut conn = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
            conn.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
            let mut answer = Vec::new();
            conn.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&answer).into_owned();
            Ok::<_, String>((status_of(&text), text))
        });
    }
    let mut ok = 0;
    let all = async {
        while let Some(done) = tasks.join_next().await {
            let (status, answer) = done.unwrap().unwrap_or_else(|e| panic!("a request got no answer: {e}"));
            match status {
                200 => ok += 1,
                503 => assert_eq!(header(&answer, "retry-after"), Some("1"), "{answer}"),
                _ => panic!("answered {status} in the burst: {answer}"),
            }
        }
    };
    timeout(Duration::from_secs(180), all).await.expect("the burst hung");
    assert!(ok > 0, "nothing was answered 200");
    server.kill().await.unwrap();
    let log = log.await.unwrap();
    // Without the cap, accept fails with EMFILE (and retries a second later), and so can SQLite.
    assert!(
        !log.iter()
            .any(|l| l.contains("os error 24") || l.contains("Too many open files")),
        "the server ran out of files: {log:#?}"
    );
}

/// The master key of `common::keyring(&[[7; 32]])`, which `admin_init` does not need.
const KEY_BASE64: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// The server's address, and its log from then on (complete once it has exited).
async fn listening_address(
    server: &mut tokio::process::Child,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<Vec<String>>) {
    use tokio::io::AsyncBufReadExt;
    let stderr = server.stderr.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let addr = timeout(PATIENCE, async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the server exited before it listened");
            if let Some(rest) = line.split("serving on http://").nth(1) {
                return rest.trim().parse().unwrap();
            }
        }
    })
    .await
    .expect("the server did not start");
    let log = tokio::spawn(async move {
        let mut log = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            log.push(line);
        }
        log
    });
    (addr, log)
}

/// This test process holds the burst's client sockets: raise its soft limit toward the hard one.
fn raise_own_file_limit(wanted: u64) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|soft| soft < wanted) {
        limit.current = Some(limit.maximum.map_or(wanted, |hard| hard.min(wanted)));
        setrlimit(Resource::Nofile, limit).unwrap();
    }
    let soft = getrlimit(Resource::Nofile).current;
    assert!(
        soft.is_none_or(|s| s >= wanted),
        "this test needs {wanted} open files (ulimit -n); the hard limit allows {soft:?}"
    );
}
