//! A TCP proxy on 127.0.0.1 in front of a real server, with a switch:
//! [`Proxy::stall`] stops forwarding in both directions while every
//! socket stays open (a network path that silently drops everything:
//! no reset, no FIN, the peer's writes just go unanswered), and
//! [`Proxy::resume`] forwards again, bytes held meanwhile included.
//! Connections accepted while stalled are connected upstream but pass
//! nothing until resumed (the TCP handshake succeeds, the protocol's
//! does not).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub port: u16,
    stalled: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Forward 127.0.0.1:`port` (a new free one) to 127.0.0.1:`upstream`.
    pub async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (stalled, rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut pumps = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                    continue; // dropping the client closes it: as a refused connect
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                pumps.spawn(pump(cr, sw, rx.clone()));
                pumps.spawn(pump(sr, cw, rx.clone()));
            }
        });
        Proxy {
            port,
            stalled,
            task,
        }
    }

    /// Stop forwarding; sockets stay open.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Forward again.
    pub fn resume(&self) {
        self.stalled.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The accept loop's JoinSet goes with it: every pump is aborted and
        // every socket closed.
        self.task.abort();
    }
}

/// Copy `from` to `to` while not stalled. A read in progress when the
/// switch flips is given up (nothing is lost: the bytes stay in the
/// socket); bytes read just before are held until the switch flips back.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if stalled.wait_for(|s| !*s).await.is_err() {
            return;
        }
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = stalled.wait_for(|s| *s) => continue,
        };
        if stalled.wait_for(|s| !*s).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // One side closed: pass the close on.
    let _ = to.shutdown().await;
}
