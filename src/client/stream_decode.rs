//! Decoding a listing while it arrives, so that 100,000 secrets never sit in memory twice (once as
//! 29 MB of JSON, once as rows).
//!
//! The answer is an object holding one array (`{"secrets":[{...},{...}]}`). A small scanner
//! follows the JSON's nesting across the body's chunks, cuts out each element of the named array
//! as soon as its last byte arrives, decodes it with `serde_json::from_slice` and lets its bytes
//! go. Only the element being received is buffered. `from_slice` on each element is 2.5 times as
//! fast as `serde_json::from_reader` over the whole stream (which reads byte by byte), measured
//! at 10,000 and 100,000 rows. Used only for answers that carry no values: hyper's chunks are not
//! wiped.

use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;

use super::transport::{MAX_ANSWER_BYTES, too_large, undecodable};
use super::{ClientError, ClientResult};

/// Decodes the array under `field` of a successful answer's top-level object as the body arrives.
/// A broken connection is reported as such, not as the bad JSON it leaves; at most
/// `MAX_ANSWER_BYTES` are read, as for a buffered answer.
pub(super) async fn decode_array_streamed<T: DeserializeOwned>(
    mut resp: Response,
    field: &str,
    base: &str,
) -> ClientResult<Vec<T>> {
    let status = resp.status();
    let mut scanner = Scanner::new(field);
    let mut items = Vec::new();
    let mut read = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(|e| ClientError::from_transport(base, &e))? {
        read += chunk.len();
        if read > MAX_ANSWER_BYTES {
            return Err(too_large(status));
        }
        scanner.feed(&chunk, |element| {
            items.push(serde_json::from_slice(element).map_err(|e| undecodable(status, &e))?);
            Ok(())
        })?;
    }
    scanner.finish(status)?;
    Ok(items)
}

/// Where the scanner is in the JSON text.
struct Scanner {
    field: Vec<u8>,
    /// Open objects and arrays around the current byte.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The last string completed at depth 1 (the top-level object's latest key), while it is
    /// being read: compared with `field` when an array opens.
    key: Vec<u8>,
    /// Inside the wanted array (at depth 2).
    in_array: bool,
    seen_array: bool,
    /// Bytes of the element being received (empty between elements).
    element: Vec<u8>,
    /// Bytes that are neither whitespace nor structure where an element should start.
    stray: bool,
}

impl Scanner {
    fn new(field: &str) -> Scanner {
        Scanner {
            field: field.as_bytes().to_vec(),
            depth: 0,
            in_string: false,
            escaped: false,
            key: Vec::new(),
            in_array: false,
            seen_array: false,
            element: Vec::new(),
            stray: false,
        }
    }

    /// Scans `bytes`, handing `emit` each complete element of the wanted array.
    fn feed(&mut self, bytes: &[u8], mut emit: impl FnMut(&[u8]) -> ClientResult<()>) -> ClientResult<()> {
        // Where the element being received starts in `bytes`, if it started in this chunk.
        let mut start: Option<usize> = None;
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                if self.depth == 1 {
                    self.key.push(b);
                }
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 1 {
                        self.key.pop();
                    }
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 {
                        self.key.clear();
                    }
                }
                b'{' | b'[' => {
                    if self.depth == 1 && b == b'[' && self.key == self.field {
                        self.in_array = true;
                        self.seen_array = true;
                    } else if self.in_array && self.depth == 2 {
                        start = Some(i);
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.in_array && self.depth == 2 {
                        // An element ends: whole in this chunk, or its head kept from earlier ones.
                        match start.take() {
                            Some(s) => emit(&bytes[s..=i])?,
                            None => {
                                self.element.extend_from_slice(&bytes[..=i]);
                                emit(&self.element)?;
                                self.element.clear();
                            }
                        }
                    } else if self.in_array && self.depth == 1 {
                        self.in_array = false;
                    }
                }
                b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' => {}
                _ => {
                    // Only objects and arrays are elements here; a bare number or literal in the
                    // wanted array is not what a listing holds.
                    if self.in_array && self.depth == 2 {
                        self.stray = true;
                    }
                }
            }
        }
        // An element still open at the end of the chunk: keep its bytes for the next one.
        if self.in_array && self.depth > 2 {
            match start {
                Some(s) => self.element.extend_from_slice(&bytes[s..]),
                None => self.element.extend_from_slice(bytes),
            }
        }
        Ok(())
    }

    /// Checks that the answer was a whole object with the wanted array.
    fn finish(&self, status: StatusCode) -> ClientResult<()> {
        if self.seen_array && self.depth == 0 && !self.in_string && !self.stray {
            return Ok(());
        }
        Err(ClientError::Server {
            status: status.as_u16(),
            message: format!(
                "the answer is not what this client expects (no complete \"{}\" list); is the server a \
                 compatible vaultty?",
                String::from_utf8_lossy(&self.field)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `json` cut into pieces of `size` bytes; the elements found, as text.
    fn split(json: &str, size: usize) -> Result<Vec<String>, String> {
        let mut s = Scanner::new("secrets");
        let mut found = Vec::new();
        for piece in json.as_bytes().chunks(size) {
            s.feed(piece, |e| {
                found.push(String::from_utf8(e.to_vec()).unwrap());
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        }
        s.finish(StatusCode::OK).map_err(|e| e.to_string())?;
        Ok(found)
    }

    #[test]
    fn elements_are_cut_out_whatever_the_chunk_boundaries() {
        let json = r#" {"other":[1,{"x":2}], "secrets" : [ {"name":"A","d":"a \"}]{[\\"} , {"n":{"deep":[1,2]}}, {} ], "tail":"]"} "#;
        let want = vec![r#"{"name":"A","d":"a \"}]{[\\"}"#, r#"{"n":{"deep":[1,2]}}"#, "{}"];
        for size in 1..=json.len() {
            assert_eq!(split(json, size).unwrap(), want, "chunks of {size}");
        }
    }

    #[test]
    fn a_foreign_or_cut_answer_is_refused() {
        for json in [
            "<html>login</html>",
            r#"{"secrets":[{"name":"A"},"#,
            r#"{"items":[{"name":"A"}]}"#,
            r#"{"secrets":[1,2]}"#,
            r#"{"secrets":[{"name":"A"}]"#,
        ] {
            let err = split(json, 7).unwrap_err();
            assert!(err.contains("not what this client expects"), "{json}: {err}");
        }
        assert_eq!(split(r#"{"secrets":[]}"#, 3).unwrap(), Vec::<String>::new());
    }

    /// Objects whose strings carry everything the scanner must not be fooled by.
    fn element() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let text = proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('['),
                Just(']'),
                Just('{'),
                Just('}'),
                Just(','),
                any::<char>()
            ],
            0..12,
        )
        .prop_map(|cs| cs.into_iter().collect::<String>());
        let leaf = prop_oneof![
            text.clone().prop_map(serde_json::Value::String),
            any::<i64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        let nested = leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-z\"\\\\]{1,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        proptest::collection::btree_map(text, nested, 0..4)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Whatever the elements hold and wherever the chunks are cut, each arrives whole and once.
        #[test]
        fn every_element_arrives_whole(
            items in proptest::collection::vec(element(), 0..6),
            decoy in element(),
            size in 1usize..64,
        ) {
            let body = serde_json::json!({"aaa": [decoy.clone()], "secrets": items, "zzz": decoy});
            let found = split(&body.to_string(), size).unwrap();
            let found: Vec<serde_json::Value> = found.iter().map(|e| serde_json::from_str(e).unwrap()).collect();
            proptest::prop_assert_eq!(found, items);
        }

        /// Random bytes: an error or elements, never a panic.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), size in 1usize..16) {
            let mut s = Scanner::new("secrets");
            for piece in bytes.chunks(size) {
                if s.feed(piece, |_| Ok(())).is_err() {
                    return Ok(());
                }
            }
            let _ = s.finish(StatusCode::OK);
        }
    }
}
