//! A well-known independent client (ureq) agrees with the server.

mod common;

use common::TestServer;
use wsgiref::simple_server::{demo_app, echo_app};

#[test]
fn ureq_get_demo_app() {
    let server = TestServer::start(demo_app);
    let url = format!("http://{}/xyz?abc", server.address);
    let mut response = ureq::get(&url).call().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/plain; charset=utf-8"
    );
    let text = response.body_mut().read_to_string().unwrap();
    assert!(text.starts_with("Hello world!\n\n"));
    assert!(text.contains("PATH_INFO = '/xyz'\n"));
    assert!(text.contains("QUERY_STRING = 'abc'\n"));
    assert!(text.contains(&format!("HTTP_HOST = '{}'\n", server.address)));
}

#[test]
fn ureq_post_echo() {
    let server = TestServer::start(echo_app);
    let url = format!("http://{}/echo", server.address);
    let payload = "name=Ann&city=M%C3%BCnchen".repeat(1000);
    let mut response = ureq::post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(payload.as_bytes())
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-length").unwrap().to_str().unwrap(),
        payload.len().to_string()
    );
    assert_eq!(response.body_mut().read_to_string().unwrap(), payload);
}
