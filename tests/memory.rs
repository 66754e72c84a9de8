//! Memory stays flat while requests are served: nothing grows with the
//! number of requests (its own test binary, so no other test's threads or
//! buffers move the figure).

mod common;

use common::{TestServer, split_response, status};

/// Resident memory of this process in KiB, from /proc (Linux); None elsewhere.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn memory_does_not_grow_with_requests_served() {
    let server = TestServer::start(wsgiref::simple_server::demo_app);
    let request = |n: usize| {
        let target = format!("GET /item/{n}?q={n} HTTP/1.1\r\nHost: a\r\nX-Number: {n}\r\n\r\n");
        let (head, _) = split_response(&server.send(target.as_bytes()));
        assert_eq!(status(&head), 200);
    };
    // Warm up: thread stacks, allocator arenas, caches.
    for n in 0..2000 {
        request(n);
    }
    let Some(before) = resident_kib() else { return };
    for n in 0..8000 {
        request(n);
    }
    let after = resident_kib().unwrap();
    // A leak of even 100 bytes per request would add 800 KiB.
    assert!(
        after <= before + 512,
        "RSS grew from {before} KiB to {after} KiB over 8000 requests"
    );
}
