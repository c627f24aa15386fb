//! Decoding an answer while it arrives, so that a listing of 100,000 secrets never sits in memory
//! twice (once as 29 MB of JSON, once as rows).
//!
//! serde_json pulls bytes from a blocking `Read`, so it runs on a blocking thread reading from a
//! channel; this task feeds it the body's chunks as they come off the connection, holding at most
//! `IN_FLIGHT` of them. Used only for answers that carry no values (hyper's chunks are not wiped).

use std::io::{self, BufReader, Read};

use bytes::{Buf, Bytes};
use reqwest::Response;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::transport::undecodable;
use super::{ClientError, ClientResult};

/// Chunks received but not yet decoded. Each can pin one of hyper's read buffers (up to 400 KB)
/// until it is decoded; with 16 the 100,000-row listing peaked 6 MB higher than with 2, and was
/// no faster: the decoder, not the connection, is the slower side.
const IN_FLIGHT: usize = 2;

/// serde_json reads byte by byte; a `BufReader` makes each of those reads a copy from memory.
const READ_BUFFER: usize = 64 * 1024;

/// Decodes a successful answer as its body arrives. A transport failure wins over the decode
/// error it causes (the JSON simply ends early); at most `limit` bytes are read.
pub(super) async fn decode_streamed<T>(mut resp: Response, base: &str, limit: usize) -> ClientResult<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let status = resp.status();
    let (tx, rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
    let decoder = tokio::task::spawn_blocking(move || {
        let reader = BufReader::with_capacity(
            READ_BUFFER,
            ChunkReader {
                rx,
                current: Bytes::new(),
            },
        );
        serde_json::from_reader::<_, T>(reader)
    });
    let mut read = 0usize;
    let mut failure = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if read > limit {
                    failure = Some(ClientError::Server {
                        status: status.as_u16(),
                        message: format!("the answer is larger than {} MiB", limit >> 20),
                    });
                    break;
                }
                // The decoder stopped early (malformed JSON): its error says why.
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                failure = Some(ClientError::from_transport(base, &e));
                break;
            }
        }
    }
    // The end of the channel is the end of the body for the decoder.
    drop(tx);
    let decoded = decoder.await.map_err(|_| ClientError::Server {
        status: status.as_u16(),
        message: "decoding the answer stopped unexpectedly".into(),
    })?;
    match failure {
        Some(e) => Err(e),
        None => decoded.map_err(|e| undecodable(status, &e)),
    }
}

/// The body's chunks as one `Read`, blocking until the next one arrives.
struct ChunkReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        self.current.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}
