//! A small HTTP server that misbehaves on purpose, on 127.0.0.1.
//!
//! The first path segment picks the behaviour, so a base URL like
//! `http://127.0.0.1:PORT/hang/` makes every call of a client hang:
//!
//! | segment      | behaviour                                              |
//! |--------------|--------------------------------------------------------|
//! | `hang`       | reads the request, never answers                       |
//! | `slow`       | answers `[]` after [`SLOW`]                            |
//! | `500`        | 500 with a plain-text body                             |
//! | `503`        | 503 (retryable)                                        |
//! | `401`        | 401 with a JSON body                                   |
//! | `html`       | 200 with an HTML login page                            |
//! | `truncated`  | 200 with JSON cut in the middle (length matches)       |
//! | `cut`        | announces more bytes than it sends, then closes        |
//! | `huge`       | 200, `Content-Length` of 200 MiB (sends a little)      |
//! | `stream`     | 200, chunked, streams JSON-ish bytes forever           |
//! | `auth`       | `[]` with the right bearer token, else 401             |
//! | `ok`         | `[]`                                                   |
//! | `prom-bad`   | Prometheus `bad_data` error (400)                      |
//! | `deep`       | 200, valid JSON nested [`DEEP`] levels deep            |
//!
//! Requests are counted per segment, with the peak of concurrent ones.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const SLOW: Duration = Duration::from_millis(1500);
pub const TOKEN: &str = "s3cret-token-value";
/// How deep the `deep` answer nests.
pub const DEEP: usize = 10_000;

#[derive(Default)]
pub struct Counters {
    pub requests: Mutex<HashMap<String, usize>>,
    pub in_flight: AtomicUsize,
    pub peak: AtomicUsize,
    pub last_auth: Mutex<Option<String>>,
}

pub struct FaultServer {
    pub port: u16,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    pub async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, c).await;
                });
            }
        });
        FaultServer {
            port,
            counters,
            task,
        }
    }

    /// Base URL for a behaviour: `http://127.0.0.1:PORT/<segment>/`.
    pub fn url(&self, segment: &str) -> String {
        format!("http://127.0.0.1:{}/{segment}/", self.port)
    }

    pub fn count(&self, segment: &str) -> usize {
        self.counters
            .requests
            .lock()
            .map(|m| m.get(segment).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn peak(&self) -> usize {
        self.counters.peak.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct InFlight(Arc<Counters>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(mut sock: TcpStream, c: Arc<Counters>) -> std::io::Result<()> {
    // Read the request head (bodies are small and ignored).
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let segment = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .to_string();
    let auth = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
        .map(|l| {
            l.split_once(':')
                .map(|x| x.1.trim().to_string())
                .unwrap_or_default()
        });
    if let Ok(mut m) = c.requests.lock() {
        *m.entry(segment.clone()).or_default() += 1;
    }
    if let Ok(mut a) = c.last_auth.lock() {
        *a = auth.clone();
    }
    let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    c.peak.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(c.clone());

    let json = "application/json";
    match segment.as_str() {
        "hang" => {
            // Never answer; return when the client gives up and closes.
            let mut b = [0u8; 1024];
            while sock.read(&mut b).await? > 0 {}
            Ok(())
        }
        "slow" => {
            tokio::time::sleep(SLOW).await;
            respond(&mut sock, 200, json, b"[]").await
        }
        "500" => respond(&mut sock, 500, "text/plain", b"panic: runtime error: index out of range\n").await,
        "503" => respond(&mut sock, 503, "text/plain", b"upstream connect error\n").await,
        "401" => respond(&mut sock, 401, json, br#"{"message":"invalid or missing bearer token"}"#).await,
        "html" => {
            respond(
                &mut sock,
                200,
                "text/html; charset=utf-8",
                b"<!DOCTYPE html>\n<html><head><title>Sign in - Corp SSO</title></head><body>Please log in</body></html>",
            )
            .await
        }
        "truncated" => {
            respond(&mut sock, 200, json, br#"[{"labels":{"alertname":"A"},"status":{"state":"active"}},{"labels":{"alertn"#).await
        }
        "cut" => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n";
            sock.write_all(head.as_bytes()).await?;
            sock.write_all(br#"[{"labels":{"alertname":"A"}"#).await?;
            sock.shutdown().await
        }
        "huge" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                200u64 * 1024 * 1024
            );
            sock.write_all(head.as_bytes()).await?;
            sock.write_all(b"[").await?;
            Ok(())
        }
        "stream" => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            sock.write_all(head.as_bytes()).await?;
            let piece = vec![b' '; 64 * 1024];
            loop {
                sock.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
                sock.write_all(&piece).await?;
                sock.write_all(b"\r\n").await?;
            }
        }
        "auth" => {
            if auth.as_deref() == Some(&format!("Bearer {TOKEN}")) {
                respond(&mut sock, 200, json, b"[]").await
            } else {
                respond(&mut sock, 401, json, br#"{"message":"unauthorized"}"#).await
            }
        }
        "prom-bad" => {
            respond(
                &mut sock,
                400,
                json,
                br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#,
            )
            .await
        }
        "deep" => {
            // One body for every client: Alertmanager reads `alerts`
            // (a webhook body), Prometheus `data`, Unleash `features`.
            let d = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
            let body = format!(
                r#"{{"alerts":[{{"labels":{{"alertname":{d}}}}}],"status":"success","data":{{"resultType":"vector","result":{d}}},"features":{d}}}"#
            );
            respond(&mut sock, 200, json, body.as_bytes()).await
        }
        _ => respond(&mut sock, 200, json, b"[]").await,
    }
}

async fn respond(sock: &mut TcpStream, status: u16, ct: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body).await?;
    sock.shutdown().await
}
