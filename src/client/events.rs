//! `GET /v1/events`: the Server-Sent Events stream of secret changes, read as it arrives.
//!
//! A small parser of the SSE format (WHATWG HTML, "Server-sent events"): lines end with LF, CRLF
//! or CR; `event:` names the event, `data:` lines are joined with LF, a line starting with `:` is
//! a comment (the server's keep-alives) and a blank line dispatches. Events this client does not
//! know are skipped, so that a newer server may add some. The stream carries no values.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::Stream;
use reqwest::Response;
use reqwest::header::CONTENT_TYPE;

use super::{ClientError, ClientResult, VaultClient};
use crate::api::{self, EVENT_RESYNC, EVENT_SECRET};

/// The server writes at least every 15 s (a keep-alive comment): this much quiet means the
/// connection is gone without a word (a server that died, a network that dropped).
const QUIET_LIMIT: Duration = Duration::from_secs(45);
/// Longest event (or line) accepted: the server's are a few hundred bytes.
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// One event of `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A secret the caller can see changed.
    Secret(api::SecretEvent),
    /// Changes were missed: re-list rather than trust what is held.
    Resync,
}

/// The subscription: [`EventStream::next`] until it gives `None` (the server ended it: the token
/// expired or stopped authenticating, or the server is stopping) or an error. Either way, what
/// changed meanwhile is unknown: re-list after subscribing again.
pub struct EventStream {
    resp: Response,
    parser: Parser,
    base: String,
    ended: bool,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl VaultClient {
    /// `GET /v1/events`: subscribes to the changes of the secrets the caller can see. Returns once
    /// the server has answered: every change committed after that is heard. Not retried (a
    /// subscriber reconnects, and re-lists, itself).
    pub async fn events(&self) -> ClientResult<EventStream> {
        let url = self.url(&["v1", "events"], &[])?;
        let resp = self.send_long_lived(url).await?;
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
        if !is_sse {
            return Err(ClientError::Server {
                status: resp.status().as_u16(),
                message: "the answer is not an event stream; is the server a compatible vaultty?".into(),
            });
        }
        Ok(EventStream {
            resp,
            parser: Parser::default(),
            base: self.inner.base_str.clone(),
            ended: false,
        })
    }
}

impl EventStream {
    /// The next event; `None` once the server has ended the stream. After an error the stream
    /// is over too.
    pub async fn next(&mut self) -> Option<ClientResult<ServerEvent>> {
        loop {
            if let Some(event) = self.parser.ready.pop_front() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            let chunk = match tokio::time::timeout(QUIET_LIMIT, self.resp.chunk()).await {
                Err(_) => Err(ClientError::Timeout { url: self.base.clone() }),
                Ok(Err(e)) => Err(ClientError::from_transport(&self.base, &e)),
                Ok(Ok(chunk)) => Ok(chunk),
            };
            match chunk {
                Ok(Some(bytes)) => {
                    if let Err(e) = self.parser.feed(&bytes) {
                        self.ended = true;
                        self.parser.ready.clear();
                        return Some(Err(e));
                    }
                }
                Ok(None) => self.ended = true,
                Err(e) => {
                    self.ended = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// The same events as a `Stream`, for a `select!` over several sources (the TUI).
    pub fn into_stream(self) -> impl Stream<Item = ClientResult<ServerEvent>> + Send + Unpin {
        Box::pin(futures_util::stream::unfold(self, |mut events| async move {
            let next = events.next().await?;
            Some((next, events))
        }))
    }
}

/// The SSE parser's state between chunks.
#[derive(Default)]
struct Parser {
    /// The current line, without its end.
    line: Vec<u8>,
    /// The last byte fed was a CR: a LF right after it ends nothing more.
    after_cr: bool,
    event: String,
    data: String,
    /// Whether a `data:` line came: an event without one is not dispatched (the spec's rule).
    has_data: bool,
    ready: VecDeque<ClientResult<ServerEvent>>,
}

impl Parser {
    fn feed(&mut self, bytes: &[u8]) -> ClientResult<()> {
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.line(&line)?;
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() >= MAX_EVENT_BYTES {
                        return Err(too_long());
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8]) -> ClientResult<()> {
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let line = std::str::from_utf8(line).map_err(|_| not_sse("a line that is not UTF-8"))?;
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > MAX_EVENT_BYTES {
                    return Err(too_long());
                }
            }
            // `id`, `retry` and unknown fields: nothing this client uses.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        let (event, data, has_data) = (
            std::mem::take(&mut self.event),
            std::mem::take(&mut self.data),
            std::mem::replace(&mut self.has_data, false),
        );
        if !has_data {
            return;
        }
        match event.as_str() {
            EVENT_SECRET => self
                .ready
                .push_back(serde_json::from_str(&data).map(ServerEvent::Secret).map_err(|e| {
                    not_sse(&format!(
                        "a `secret` event that does not decode ({:?} error)",
                        e.classify()
                    ))
                })),
            EVENT_RESYNC => self.ready.push_back(Ok(ServerEvent::Resync)),
            _ => {}
        }
    }
}

fn too_long() -> ClientError {
    not_sse(&format!("an event longer than {MAX_EVENT_BYTES} bytes"))
}

/// An answer this client cannot read. Never quotes it.
fn not_sse(what: &str) -> ClientError {
    ClientError::Server {
        status: 200,
        message: format!("the event stream holds {what}; is the server a compatible vaultty?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<ServerEvent> {
        let mut p = Parser::default();
        for c in chunks {
            p.feed(c).unwrap();
        }
        p.ready.into_iter().map(Result::unwrap).collect()
    }

    const SECRET: &str = r#"{"name":"A","visibility":"org","version":2,"action":"rotate","at":"2026-12-02T12:00:00Z"}"#;

    #[test]
    fn reads_events_across_chunks_and_line_ends() {
        let whole =
            format!(": subscribed\n\nevent: secret\ndata: {SECRET}\n\n: keep-alive\n\nevent: resync\ndata: {{}}\n\n");
        let expected = parse(&[whole.as_bytes()]);
        assert_eq!(expected.len(), 2);
        assert!(matches!(&expected[0], ServerEvent::Secret(e) if e.name == "A" && e.version == Some(2)));
        assert_eq!(expected[1], ServerEvent::Resync);
        // Byte by byte, and with CRLF and CR line ends.
        let bytes: Vec<&[u8]> = whole.as_bytes().chunks(1).collect();
        assert_eq!(parse(&bytes), expected);
        let crlf = whole.replace('\n', "\r\n");
        let halves = crlf.as_bytes().split_at(crlf.find("\r\n").unwrap() + 1);
        assert_eq!(parse(&[halves.0, halves.1]), expected);
        assert_eq!(parse(&[whole.replace('\n', "\r").as_bytes()]), expected);
    }

    #[test]
    fn skips_unknown_events_and_events_without_data() {
        let text = format!("event: future\ndata: x\n\nevent: secret\n\nevent:secret\ndata:{SECRET}\n\n");
        let events = parse(&[text.as_bytes()]);
        assert_eq!(events.len(), 1);
        assert!(matches!(&events[0], ServerEvent::Secret(e) if e.name == "A"));
    }

    #[test]
    fn refuses_bad_data_without_quoting_it() {
        let mut p = Parser::default();
        p.feed(b"event: secret\ndata: {\"name\": \"hunter2\"}\n\n").unwrap();
        let err = p.ready.pop_front().unwrap().unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let mut p = Parser::default();
        assert!(p.feed(&vec![b'x'; MAX_EVENT_BYTES + 1]).is_err());
    }
}
