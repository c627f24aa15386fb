//! An answer the client does not read: the server gives it up after the request timeout instead
//! of holding the connection (and its slot) for as long as the client likes.

use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::time::timeout;

use super::{PATIENCE, header, limits, status_of, vault_with};
use crate::upsert;

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_left_unread_for_the_request_timeout_is_given_up() {
    let v = vault_with(limits(30, 1, 30, 64)).await;
    // About 12 MiB of values: more than the kernel buffers between the two ends hold.
    let value = "v".repeat(vaultty::api::MAX_VALUE_BYTES);
    for i in 0..192 {
        v.admin()
            .upsert_secret(&upsert(&format!("BIG_{i}"), &value))
            .await
            .unwrap();
    }
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut conn = socket.connect(v.server.addr).await.unwrap();
    let request = format!(
        "POST /v1/env HTTP/1.1\r\nHost: vault\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\n\r\n",
        v.admin_token.expose_secret()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    // Not reading for a while: the server's writes stall, and after the request timeout (1 s) it
    // gives the answer up. A generous pause, so that a loaded machine's late timer still fires in it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut got = Vec::new();
    timeout(PATIENCE, conn.read_to_end(&mut got))
        .await
        .expect("the server kept the connection open")
        .ok();
    let text = String::from_utf8_lossy(&got[..got.len().min(4096)]).into_owned();
    assert_eq!(status_of(&text), 200);
    let length: usize = header(&text, "content-length").unwrap().parse().unwrap();
    assert!(
        got.len() < length,
        "the whole answer ({length} bytes) was delivered: the server waited for the reader"
    );
}
