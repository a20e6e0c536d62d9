//! A chat incoming-webhook receiver on 127.0.0.1: it reads each POST
//! whole (headers and body), keeps it, and answers as its script says,
//! one reply per request (then `then`, for every request after):
//!
//! | reply            | behaviour                                            |
//! |------------------|------------------------------------------------------|
//! | `Ok`             | 200 `ok` (what Slack answers)                        |
//! | `Status(n)`      | status n with a plain-text body                      |
//! | `TooMany(secs)`  | 429 with `Retry-After: secs`                         |
//! | `Hang`           | keeps the request, never answers                     |
//! | `Drop`           | keeps the request (it "posted"), closes unanswered   |

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reply {
    Ok,
    Status(u16),
    TooMany(u64),
    Hang,
    Drop,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

struct Script {
    replies: VecDeque<Reply>,
    then: Reply,
}

pub struct Receiver {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answer with `replies` in order, then `then` for ever.
    pub async fn start(replies: &[Reply], then: Reply) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(Script {
            replies: replies.iter().copied().collect(),
            then,
        }));
        let r = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (r, s) = (r.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, r, s).await;
                });
            }
        });
        Receiver {
            port,
            received,
            task,
        }
    }

    /// The webhook URL (its path stands for the secret part).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/T000-secret-B000", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut sock: TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Script>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..(head_end + len).min(buf.len())].to_vec();
    received.lock().unwrap().push(Received {
        at: Instant::now(),
        path,
        headers,
        body,
    });
    let reply = {
        let mut s = script.lock().unwrap();
        let then = s.then;
        s.replies.pop_front().unwrap_or(then)
    };
    let answer = |status: &str, extra: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    let text = match reply {
        Reply::Ok => answer("200 OK", "", "ok"),
        Reply::Status(n) => answer(&format!("{n} Whatever"), "", "rollup_error"),
        Reply::TooMany(secs) => answer(
            "429 Too Many Requests",
            &format!("retry-after: {secs}\r\n"),
            "rate_limited",
        ),
        Reply::Hang => {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            return Ok(());
        }
        Reply::Drop => return Ok(()),
    };
    sock.write_all(text.as_bytes()).await?;
    sock.shutdown().await
}
