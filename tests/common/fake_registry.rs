//! A registry that fails or lies, played by a small HTTP server on 127.0.0.1: each request's
//! path goes to the test's script, which answers or keeps silent. Bounded: at most 20
//! connections, 30 seconds.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Send only this many bytes of the body (with the full length announced), then hold
    /// the connection open without a word.
    pub stall_after: Option<usize>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            body,
            stall_after: None,
        }
    }
}

/// What the fake registry sends for a path; `None` holds the connection open in silence.
pub type Script = Box<dyn Fn(&str) -> Option<Reply> + Send>;

/// Serves `script`; returns `host:port`.
pub fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        for stream in listener.incoming().take(20) {
            if Instant::now() > deadline {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 << 10 {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&head);
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            match script(&path) {
                Some(reply) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.status,
                        reply.content_type,
                        reply.body.len()
                    );
                    let sent = reply.stall_after.unwrap_or(reply.body.len());
                    let _ = stream.write_all(&reply.body[..sent.min(reply.body.len())]);
                    if reply.stall_after.is_some() {
                        let _ = stream.flush();
                        std::thread::sleep(Duration::from_secs(10));
                    }
                }
                None => std::thread::sleep(Duration::from_secs(5)),
            }
        }
    });
    addr
}
