//! A metrics exporter on 127.0.0.1 that the shared Prometheus scrapes
//! every second: tests set a gauge (`firebreak_test_value{key="..."}`,
//! each test its own key) and a real Prometheus serves it back, as a
//! service's error ratio would be served.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

pub struct Exporter {
    pub port: u16,
    values: Mutex<BTreeMap<String, f64>>,
}

impl Exporter {
    /// Serve `value` under `key` from now on.
    pub fn set(&self, key: &str, value: f64) {
        if let Ok(mut v) = self.values.lock() {
            v.insert(key.to_string(), value);
        }
    }

    fn page(&self) -> String {
        let mut out = String::from("# TYPE firebreak_test_value gauge\n");
        if let Ok(v) = self.values.lock() {
            for (k, x) in v.iter() {
                out.push_str(&format!("firebreak_test_value{{key=\"{k}\"}} {x}\n"));
            }
        }
        out
    }
}

/// The exporter of the test binary (started by the first who asks).
pub fn exporter() -> &'static Exporter {
    static E: OnceLock<&'static Exporter> = OnceLock::new();
    E.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the exporter");
        let port = listener.local_addr().expect("its port").port();
        let e: &'static Exporter = Box::leak(Box::new(Exporter {
            port,
            values: Mutex::new(BTreeMap::new()),
        }));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut buf = [0u8; 4096];
                // One request per connection, headers only (a GET).
                let _ = conn.read(&mut buf);
                let body = e.page();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        e
    })
}
