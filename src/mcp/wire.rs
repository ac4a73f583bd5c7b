//! Every request gets an answer: incoming JSON-RPC text is checked here before rmcp sees it. A line (stdio)
//! or body (HTTP) that is not JSON (too deeply nested, a number beyond f64 like `1e400`, a lone surrogate
//! `\ud800`, garbage) is answered with -32700; JSON that is not an MCP message with -32600. The id is
//! recovered from the raw text when it can be, so the client can match the answer to its request.
//! rmcp's own stdio transport drops such lines silently, so stdio is served through [`stdio`] instead.

use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::RoleServer;
use rmcp::transport::Transport;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
/// The longest stdio line read (rmcp's HTTP transport caps bodies at 4 MiB; stdio gets more room).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Decodes one JSON-RPC message, or returns the JSON-RPC error answer to send back instead.
pub fn check_message(bytes: &[u8]) -> Result<ClientJsonRpcMessage, Value> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let why = if e.to_string().contains("recursion limit") {
                "the JSON nests deeper than 128 levels".to_string()
            } else {
                e.to_string()
            };
            return Err(error_reply(recover_id(bytes), PARSE_ERROR, &format!("Parse error: {why}")));
        }
    };
    let id = match value.get("id") {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    if value.is_array() {
        return Err(error_reply(id, INVALID_REQUEST, "Invalid request: JSON-RPC batches are not supported"));
    }
    serde_json::from_value(value).map_err(|e| {
        let why = crate::text::cut_bytes(&e.to_string(), 300);
        error_reply(id, INVALID_REQUEST, &format!("Invalid request: not an MCP message ({why})"))
    })
}

pub fn error_reply(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The top-level `"id"` of a message that does not parse as a whole (a string or a number), else null.
pub fn recover_id(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let b = text.as_bytes();
    let mut depth = 0i64;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if depth == 1 && b.get(start..=i) == Some(b"\"id\"".as_slice()) {
                    let mut j = i + 1;
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if b.get(j) == Some(&b':') {
                        let rest = text[j + 1..].trim_start();
                        let mut de = serde_json::Deserializer::from_str(rest);
                        if let Ok(v @ (Value::String(_) | Value::Number(_))) = Value::deserialize(&mut de) {
                            return v;
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Value::Null
}

/// An MCP transport over a reader and a writer of JSON lines (stdin/stdout) that answers undecodable lines
/// itself and hands the rest to rmcp.
pub struct GuardedLines {
    incoming: mpsc::Receiver<ClientJsonRpcMessage>,
    out: mpsc::Sender<String>,
}

/// The transport over stdin/stdout, and a task that ends once every answer is written.
pub fn stdio() -> (GuardedLines, tokio::task::JoinHandle<()>) {
    lines(tokio::io::stdin(), tokio::io::stdout())
}

pub fn lines<R, W>(reader: R, writer: W) -> (GuardedLines, tokio::task::JoinHandle<()>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (msg_tx, incoming) = mpsc::channel::<ClientJsonRpcMessage>(64);
    let (out, mut out_rx) = mpsc::channel::<String>(64);
    let written = tokio::spawn(async move {
        let mut writer = writer;
        while let Some(line) = out_rx.recv().await {
            let ok = writer.write_all(line.as_bytes()).await.is_ok()
                && writer.write_all(b"\n").await.is_ok()
                && writer.flush().await.is_ok();
            if !ok {
                break;
            }
        }
    });
    let errors = out.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = match (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if n > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
                // Skip the rest of the over-long line, then answer it.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    match (&mut reader).take(1024 * 1024).read_until(b'\n', &mut rest).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) if rest.last() == Some(&b'\n') => break,
                        Ok(_) => {}
                    }
                }
                let reply = error_reply(
                    recover_id(&buf[..buf.len().min(64 * 1024)]),
                    INVALID_REQUEST,
                    &format!("Invalid request: a line longer than {MAX_LINE_BYTES} bytes"),
                );
                tracing::warn!("refused a stdio line longer than {MAX_LINE_BYTES} bytes");
                if errors.send(reply.to_string()).await.is_err() {
                    break;
                }
                continue;
            }
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            match check_message(line) {
                Ok(message) => {
                    if msg_tx.send(message).await.is_err() {
                        break;
                    }
                }
                Err(reply) => {
                    tracing::warn!(error = %reply["error"]["message"], "answered an undecodable stdio line");
                    if errors.send(reply.to_string()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    (GuardedLines { incoming, out }, written)
}

impl Transport<RoleServer> for GuardedLines {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        let out = self.out.clone();
        async move {
            let line = serde_json::to_string(&item).map_err(std::io::Error::other)?;
            out.send(line).await.map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "output closed"))
        }
    }

    fn receive(&mut self) -> impl std::future::Future<Output = Option<ClientJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.incoming.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<ClientJsonRpcMessage, Value>) -> (i64, Value) {
        let e = r.unwrap_err();
        (e["error"]["code"].as_i64().unwrap(), e["id"].clone())
    }

    #[test]
    fn undecodable_messages_get_an_answer_with_their_id() {
        let deep = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(code(check_message(deep.as_bytes())), (PARSE_ERROR, json!(7)));
        let big = r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{"n":1e400}}}"#;
        assert_eq!(code(check_message(big.as_bytes())), (PARSE_ERROR, json!("a")));
        let sur = r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"\ud800"},"id":3}"#;
        assert_eq!(code(check_message(sur.as_bytes())), (PARSE_ERROR, json!(3)));
        assert_eq!(code(check_message(b"garbage")), (PARSE_ERROR, Value::Null));
        assert_eq!(code(check_message(br#"{"id":9,"x":1}"#)), (INVALID_REQUEST, json!(9)));
        assert_eq!(code(check_message(br#"[{"id":9}]"#)), (INVALID_REQUEST, Value::Null));
        assert!(check_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_ok());
    }

    #[test]
    fn ids_are_found_only_at_the_top_level() {
        assert_eq!(recover_id(br#"{"params":{"id":5},"id":"x",1e400}"#), json!("x"));
        assert_eq!(recover_id(br#"{"method":"id","params":{"id":5}}"#), Value::Null);
        assert_eq!(recover_id(br#"{"a":"\"id\"","id" : 12 , "#), json!(12));
    }
}
