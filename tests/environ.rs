//! The environ our server builds, key by key, for exact request bytes,
//! against what CPython 3.11's `wsgiref.simple_server` gives for the same
//! bytes.
//!
//! The expected values were checked against CPython 3.11.7 on 2026-11-25
//! with `tests/compare_environ_with_cpython.py` (which also prints these
//! tables: `--rust`); CI does not run CPython. Values are Python `repr`s, as
//! `demo_app` prints them. Where our server deliberately differs (README,
//! "Differences from CPython"), the expected value is ours and a comment says
//! what CPython gave. `REFUSED` lists requests we answer with an error
//! status while CPython serves them (or the other way round, in `CASES`).

mod common;

use std::collections::BTreeMap;

use common::{TestServer, split_response, status};
use wsgiref::simple_server::{SERVER_SOFTWARE, demo_app};

/// A request CPython and our server both serve with `demo_app`.
struct Case {
    name: &'static str,
    request: &'static [u8],
    /// Every key not in `common_keys`, and the common keys whose value
    /// differs in this case.
    expected: &'static [(&'static str, &'static str)],
}

/// A request our server refuses.
struct Refused {
    name: &'static str,
    request: &'static [u8],
    status: u16,
    /// What CPython 3.11.7 answered: 200, or 0 for no status line.
    #[allow(dead_code)] // documentation
    cpython_status: u16,
}

/// Keys every request gets, with our values (repr). CPython gives the same
/// except `SERVER_SOFTWARE` (`'WSGIServer/0.2'`), `wsgi.multithread`
/// (`False`), and its own objects for `wsgi.input`, `wsgi.errors`,
/// `wsgi.file_wrapper`; it also copies `os.environ`, which we do not.
fn common_keys(port: u16) -> BTreeMap<String, String> {
    [
        ("GATEWAY_INTERFACE", "'CGI/1.1'".to_string()),
        ("REMOTE_ADDR", "'127.0.0.1'".to_string()),
        ("REMOTE_HOST", "''".to_string()),
        ("SCRIPT_NAME", "''".to_string()),
        // socket.getfqdn('127.0.0.1') with the usual /etc/hosts.
        ("SERVER_NAME", "'localhost'".to_string()),
        ("SERVER_PORT", format!("'{port}'")),
        ("SERVER_SOFTWARE", format!("'{SERVER_SOFTWARE}'")),
        ("wsgi.errors", "<wsgiref::Errors>".to_string()),
        ("wsgi.file_wrapper", "<wsgiref::util::FileWrapper>".to_string()),
        ("wsgi.input", "<wsgiref::Input>".to_string()),
        ("wsgi.multiprocess", "False".to_string()),
        ("wsgi.multithread", "True".to_string()),
        ("wsgi.run_once", "False".to_string()),
        ("wsgi.url_scheme", "'http'".to_string()),
        ("wsgi.version", "(1, 0)".to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value))
    .collect()
}

/// The CGI keys that come from the request itself.
const REQUEST_KEYS: [&str; 6] = [
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_METHOD",
    "SERVER_PROTOCOL",
];

/// Send `request`; the status and, for a 200, the `KEY = repr` lines of
/// `demo_app`'s body.
fn environ_of(server: &TestServer, request: &[u8]) -> (u16, BTreeMap<String, String>) {
    let response = server.send(request);
    let (head, body) = split_response(&response);
    let code = status(&head);
    let mut environ = BTreeMap::new();
    if code == 200 {
        let body = String::from_utf8(body).expect("demo_app answers UTF-8");
        let lines = body.strip_prefix("Hello world!\n\n").expect("demo_app's greeting");
        for line in lines.lines() {
            let (key, value) = line.split_once(" = ").expect("a KEY = value line");
            environ.insert(key.to_string(), value.to_string());
        }
    }
    (code, environ)
}

/// What differs between two environs, one line per key.
fn differences(expected: &BTreeMap<String, String>, actual: &BTreeMap<String, String>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    keys.into_iter()
        .filter(|key| expected.get(*key) != actual.get(*key))
        .map(|key| format!("{key}: expected {:?}, got {:?}", expected.get(key), actual.get(key)))
        .collect()
}

#[test]
fn environ_is_the_one_cpython_gives() {
    let server = TestServer::start(demo_app);
    let mut failures = Vec::new();
    for case in CASES {
        let mut expected = common_keys(server.address.port());
        for (key, value) in case.expected {
            expected.insert(key.to_string(), value.to_string());
        }
        let (code, environ) = environ_of(&server, case.request);
        if code != 200 {
            failures.push(format!("{}: status {code}, expected 200", case.name));
            continue;
        }
        for difference in differences(&expected, &environ) {
            failures.push(format!("{}: {difference}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn refused_where_cpython_serves() {
    let server = TestServer::start(demo_app);
    let mut failures = Vec::new();
    for case in REFUSED {
        let (code, _) = environ_of(&server, case.request);
        if code != case.status {
            failures.push(format!("{}: status {code}, expected {}", case.name, case.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The deliberate differences, each asserted on its own.
#[test]
fn deliberate_differences_from_cpython() {
    let server = TestServer::start(demo_app);
    let request = b"GET / HTTP/1.1\r\nHost: example.com\r\nX_Under: 1\r\nX-Dash: 2\r\nX_Dash: 3\r\n\r\n";
    let (code, environ) = environ_of(&server, request);
    assert_eq!(code, 200);
    let get = |key: &str| environ.get(key).map(String::as_str);
    // Headers with '_' in the name are dropped (CPython: HTTP_X_UNDER = '1', HTTP_X_DASH = '2,3').
    assert_eq!(get("HTTP_X_UNDER"), None);
    assert_eq!(get("HTTP_X_DASH"), Some("'2'"));
    assert_eq!(get("SERVER_SOFTWARE"), Some(format!("'{SERVER_SOFTWARE}'").as_str()));
    assert!(SERVER_SOFTWARE.starts_with("WSGIServer/0.2 wsgiref-rs/"));
    assert_eq!(get("wsgi.multithread"), Some("True"));
    // CPython copies os.environ (PATH, HOME, ...) into the environ; we do not.
    for (name, _) in std::env::vars() {
        let request_key = name.starts_with("HTTP_") || REQUEST_KEYS.contains(&name.as_str());
        if !request_key && !common_keys(0).contains_key(&name) {
            assert_eq!(
                get(&name),
                None,
                "process environment variable {name} leaked into the environ"
            );
        }
    }
    assert_eq!(get("PATH"), None);
    assert_eq!(get("HOME"), None);
}

// The tables below were printed by `python3 tests/compare_environ_with_cpython.py --rust`.

const CASES: &[Case] = &[
    Case {
        name: "get_root_http11",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "get_http10_no_host",
        request: b"GET /xyz HTTP/1.0\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("PATH_INFO", r#"'/xyz'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.0'"#),
        ],
    },
    Case {
        name: "get_http10_with_host",
        request: b"GET /xyz HTTP/1.0\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/xyz'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.0'"#),
        ],
    },
    Case {
        name: "query_simple",
        request: b"GET /xyz?abc HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/xyz'"#),
            ("QUERY_STRING", r#"'abc'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "query_empty",
        request: b"GET /path? HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/path'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "query_only",
        request: b"GET /? HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "query_several_question_marks",
        request: b"GET /a?b?c??d HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a'"#),
            ("QUERY_STRING", r#"'b?c??d'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "query_pairs",
        request: b"GET /search?q=rust&lang=en&empty=&flag HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/search'"#),
            ("QUERY_STRING", r#"'q=rust&lang=en&empty=&flag'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "fragment_in_path",
        request: b"GET /a#frag HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a#frag'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "fragment_in_query",
        request: b"GET /a?b=1#frag HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a'"#),
            ("QUERY_STRING", r#"'b=1#frag'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "plus_signs",
        request: b"GET /a+b?c+d=e+f HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a+b'"#),
            ("QUERY_STRING", r#"'c+d=e+f'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_space",
        request: b"GET /a%20b?q=a%20b HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a b'"#),
            ("QUERY_STRING", r#"'q=a%20b'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_slash",
        request: b"GET /a%2Fb%2fc HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a/b/c'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_percent",
        request: b"GET /100%25?x=%25 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/100%'"#),
            ("QUERY_STRING", r#"'x=%25'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_malformed",
        request: b"GET /%zz/%4/%/%g1/%%41 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/%zz/%4/%/%g1/%A'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_at_end",
        request: b"GET /a%4 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a%4'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_controls",
        request: b"GET /a%00b%0Ac%7F%FF HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a\x00b\nc\x7fÿ'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "percent_utf8",
        request: b"GET /caf%C3%A9?q=caf%C3%A9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cafÃ©'"#),
            ("QUERY_STRING", r#"'q=caf%C3%A9'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "raw_utf8_path",
        request: b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cafÃ©'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "raw_utf8_query",
        request: b"GET /q?name=\xc3\xa9t\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/q'"#),
            ("QUERY_STRING", r#"'name=Ã©tÃ©'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "raw_utf8_then_percent",
        request: b"GET /\xc3\xa9%41%\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/Ã©A%Ã©'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "leading_double_slash",
        request: b"GET //evil.example/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/evil.example/x'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "leading_triple_slash",
        request: b"GET ///a//b?c//d HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a//b'"#),
            ("QUERY_STRING", r#"'c//d'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "double_slash_query",
        request: b"GET //?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"'x=1'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "dot_segments",
        request: b"GET /a/./b/../c/%2e%2e/d HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/a/./b/../c/../d'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "dot_dot_at_root",
        request: b"GET /../../etc/passwd HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/../../etc/passwd'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "quotes_in_path",
        request: b"GET /it's/%22q%22/%5C HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/it\'s/"q"/\\'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "repeated_headers",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Foo: a\r\nX-Foo: b\r\nx-foo: c\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_FOO", r#"'a,b,c'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "repeated_headers_with_spaces",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-R:  a \r\nX-R:\tb\t\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_R", r#"'a,b'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "repeated_accept",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\nAccept: */*;q=0.1\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_ACCEPT", r#"'text/html,*/*;q=0.1'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "underscore_header",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX_Only: under\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            // CPython: HTTP_X_ONLY = 'under' (deliberate: headers with '_' in the name are dropped)
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "underscore_and_dash_header",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Foo: dash\r\nX_Foo: under\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            // CPython: HTTP_X_FOO = 'dash,under' (deliberate: headers with '_' in the name are dropped)
            ("HTTP_X_FOO", r#"'dash'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "underscore_cgi_name",
        request: b"GET /real HTTP/1.1\r\nHost: example.com\r\nPath_Info: /evil\r\nContent_Type: evil\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/real'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "cgi_name_headers",
        request: b"GET /real?q HTTP/1.1\r\nHost: example.com\r\nPath-Info: /evil\r\nQuery-String: evil\r\nRemote-Addr: 10.0.0.1\r\nServer-Name: evil\r\nRequest-Method: evil\r\nScript-Name: /evil\r\nGateway-Interface: evil\r\nServer-Port: 1\r\nServer-Protocol: evil\r\nServer-Software: evil\r\nRemote-Host: evil\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/real'"#),
            ("QUERY_STRING", r#"'q'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "http_prefixed_header_after",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nFoo: 1\r\nHttp-Foo: 2\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_FOO", r#"'1'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "http_prefixed_header_before",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nHttp-Foo: 2\r\nFoo: 1\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_FOO", r#"'1'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_HTTP_FOO", r#"'2'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_type_twice",
        request: b"POST /ct HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/html\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        expected: &[
            ("CONTENT_LENGTH", r#"'2'"#),
            ("CONTENT_TYPE", r#"'text/html'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/ct'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_type_empty",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type:\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"''"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_type_leading_spaces",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: \t text/html; charset=utf-8\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/html; charset=utf-8'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_type_trailing_spaces",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/html \t \r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            // CPython: CONTENT_TYPE = 'text/html \t ' (deliberate: httparse trims trailing spaces and tabs)
            ("CONTENT_TYPE", r#"'text/html'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_list",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5, 5\r\n\r\nhello",
        expected: &[
            // CPython: '5, 5' (ours: one plain number, see README).
            ("CONTENT_LENGTH", r#"'5'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_twice",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        expected: &[
            ("CONTENT_LENGTH", r#"'5'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_zero",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"'0'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_trailing_space",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5 \r\n\r\nhello",
        expected: &[
            // CPython: CONTENT_LENGTH = '5 ' (deliberate: httparse trims trailing spaces and tabs)
            ("CONTENT_LENGTH", r#"'5'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "header_whitespace",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A:   value  \r\nX-B:\t\tvalue\t\t\r\nX-C: \t mid  dle \t \r\nX-D: a\tb\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_A", r#"'value'"#),
            ("HTTP_X_B", r#"'value'"#),
            ("HTTP_X_C", r#"'mid  dle'"#),
            ("HTTP_X_D", r#"'a\tb'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "header_empty_values",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\nX-Spaces:   \r\nX-Tabs:\t\t\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_EMPTY", r#"''"#),
            ("HTTP_X_SPACES", r#"''"#),
            ("HTTP_X_TABS", r#"''"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "obs_text_values",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Latin: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\nX-Nbsp: \xa0a\xa0\r\nX-Nel: \x85b\x85\r\nX-High: \x80\xad\xff\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_HIGH", r#"'\x80\xadÿ'"#),
            ("HTTP_X_LATIN", r#"'café'"#),
            ("HTTP_X_NBSP", r#"'a'"#),
            ("HTTP_X_NEL", r#"'b'"#),
            ("HTTP_X_UTF8", r#"'cafÃ©'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "obs_text_content_type",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain; name=\xe9\xa0\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain; name=é\xa0'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "quotes_in_header",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Q1: it's\r\nX-Q2: say \"hi\"\r\nX-Q3: it's \"both\"\r\nX-Q4: back\\slash\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_Q1", r#""it's""#),
            ("HTTP_X_Q2", r#"'say "hi"'"#),
            ("HTTP_X_Q3", r#"'it\'s "both"'"#),
            ("HTTP_X_Q4", r#"'back\\slash'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "header_name_case",
        request: b"GET / HTTP/1.1\r\nhost: example.com\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-MiXeD-cAsE: 3\r\nCONTENT-TYPE: text/x\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/x'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_LOWER", r#"'1'"#),
            ("HTTP_X_MIXED_CASE", r#"'3'"#),
            ("HTTP_X_UPPER", r#"'2'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "header_name_digits_symbols",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-1.2: a\r\nX+Y: b\r\nX!#$%&'*^`|~: c\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X!#$%&'*^`|~", r#"'c'"#),
            ("HTTP_X+Y", r#"'b'"#),
            ("HTTP_X_1.2", r#"'a'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "host_with_port",
        request: b"GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com:8080'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "host_ipv6",
        request: b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'[::1]:8080'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "post_form",
        request: b"POST /form?next=/ HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2",
        expected: &[
            ("CONTENT_LENGTH", r#"'7'"#),
            ("CONTENT_TYPE", r#"'application/x-www-form-urlencoded'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/form'"#),
            ("QUERY_STRING", r#"'next=/'"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "post_http10",
        request: b"POST /form HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
        expected: &[
            ("CONTENT_LENGTH", r#"'3'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("PATH_INFO", r#"'/form'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.0'"#),
        ],
    },
    Case {
        name: "post_chunked",
        request: b"POST /up HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_TRANSFER_ENCODING", r#"'chunked'"#),
            ("PATH_INFO", r#"'/up'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
            // CPython: wsgi.input_terminated = (absent) (deliberate: added for chunked request bodies)
            ("wsgi.input_terminated", r#"True"#),
        ],
    },
    Case {
        name: "put_json",
        request: b"PUT /item/1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        expected: &[
            ("CONTENT_LENGTH", r#"'2'"#),
            ("CONTENT_TYPE", r#"'application/json'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/item/1'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'PUT'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "options_asterisk",
        request: b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'*'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'OPTIONS'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "options_path",
        request: b"OPTIONS /x HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/x'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'OPTIONS'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "delete",
        request: b"DELETE /item/1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/item/1'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'DELETE'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "purge_custom_method",
        request: b"PURGE /cache HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cache'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'PURGE'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "lowercase_method",
        request: b"get /lower HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/lower'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'get'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "expect_100_continue",
        request: b"POST /e HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        expected: &[
            ("CONTENT_LENGTH", r#"'2'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_EXPECT", r#"'100-continue'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/e'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "common_browser_headers",
        request: b"GET /page HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\nUpgrade-Insecure-Requests: 1\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_ACCEPT", r#"'text/html,*/*;q=0.8'"#),
            ("HTTP_ACCEPT_ENCODING", r#"'gzip, deflate'"#),
            ("HTTP_ACCEPT_LANGUAGE", r#"'en-US,en;q=0.5'"#),
            ("HTTP_CONNECTION", r#"'keep-alive'"#),
            ("HTTP_COOKIE", r#"'a=1; b=2'"#),
            ("HTTP_HOST", r#"'localhost:8000'"#),
            ("HTTP_UPGRADE_INSECURE_REQUESTS", r#"'1'"#),
            ("HTTP_USER_AGENT", r#"'Mozilla/5.0 (X11; Linux x86_64)'"#),
            ("PATH_INFO", r#"'/page'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_leading_zero",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 05\r\n\r\nhello",
        expected: &[
            ("CONTENT_LENGTH", r#"'05'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_list_no_space",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5,5\r\n\r\nhello",
        expected: &[
            // CPython: '5,5' (ours: one plain number, see README).
            ("CONTENT_LENGTH", r#"'5'"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_length_underscore",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent_Length: 5\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/cl'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'POST'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "content_type_whitespace_only",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type:  \t \r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"''"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "repeated_header_first_empty",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-E:\r\nX-E: b\r\nX-E:\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_E", r#"',b,'"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "host_empty",
        request: b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"''"#),
            ("PATH_INFO", r#"'/'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "lf_line_endings",
        request: b"GET /lf?x HTTP/1.1\nHost: example.com\nX-A: 1\n\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("HTTP_X_A", r#"'1'"#),
            ("PATH_INFO", r#"'/lf'"#),
            ("QUERY_STRING", r#"'x'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "http_version_1_2",
        request: b"GET /v HTTP/1.2\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/v'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.2'"#),
        ],
    },
    Case {
        name: "http_version_1_9",
        request: b"GET /v HTTP/1.9\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/v'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.9'"#),
        ],
    },
    Case {
        name: "utf8_path_with_byte_85",
        // CPython answers 400 (kept: CPython splits its latin-1 request line on U+0085/U+00A0 as whitespace)
        request: b"GET /\xc3\x85ngstr\xc3\xb6m HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/Ã\x85ngstrÃ¶m'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "leading_empty_line",
        // CPython answers nothing (kept: RFC 9112 §2.2, ignore an empty line before the request line)
        request: b"\r\nGET /after-crlf HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            ("HTTP_HOST", r#"'example.com'"#),
            ("PATH_INFO", r#"'/after-crlf'"#),
            ("QUERY_STRING", r#"''"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
    Case {
        name: "absolute_form",
        request: b"GET http://example.com:8080/p%41th?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n",
        expected: &[
            ("CONTENT_LENGTH", r#"''"#),
            ("CONTENT_TYPE", r#"'text/plain'"#),
            // CPython: HTTP_HOST = 'other.example' (deliberate: absolute-form target: HTTP_HOST, SERVER_NAME from its authority)
            ("HTTP_HOST", r#"'example.com:8080'"#),
            // CPython: PATH_INFO = 'http://example.com:8080/pAth' (deliberate: absolute-form target: HTTP_HOST, SERVER_NAME from its authority)
            ("PATH_INFO", r#"'/pAth'"#),
            ("QUERY_STRING", r#"'q=1'"#),
            ("REQUEST_METHOD", r#"'GET'"#),
            // CPython: SERVER_NAME = 'localhost' (deliberate: absolute-form target: HTTP_HOST, SERVER_NAME from its authority)
            ("SERVER_NAME", r#"'example.com'"#),
            ("SERVER_PROTOCOL", r#"'HTTP/1.1'"#),
        ],
    },
];

const REFUSED: &[Refused] = &[
    // deliberate: a bad Content-Length is refused (RFC 9112 framing)
    Refused {
        name: "content_length_empty",
        request: b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length:\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: HTTP/0.9 is malformed; CPython answers without a status line
    Refused {
        name: "http09",
        request: b"GET /nine\r\n",
        status: 400,
        cpython_status: 0,
    },
    // deliberate: not an origin-, absolute- or asterisk-form target (RFC 9112 §3.2)
    Refused {
        name: "relative_target",
        request: b"GET x/y HTTP/1.1\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: not an origin-, absolute- or asterisk-form target (RFC 9112 §3.2)
    Refused {
        name: "asterisk_with_get",
        request: b"GET * HTTP/1.1\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: Transfer-Encoding with Content-Length (RFC 9112 §6.1)
    Refused {
        name: "te_and_cl",
        request:
            b"POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "double_space_before_version",
        request: b"GET /a  HTTP/1.1\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "header_without_colon",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nGarbage\r\nX-After: 1\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: a target that is not UTF-8 is refused (httparse)
    Refused {
        name: "raw_latin1_path",
        request: b"GET /caf\xe9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: a target that is not UTF-8 is refused (httparse)
    Refused {
        name: "raw_latin1_query",
        request: b"GET /q?x=\xff HTTP/1.1\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: an HTTP/1.1 request needs exactly one Host
    Refused {
        name: "http11_without_host",
        request: b"GET / HTTP/1.1\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: an HTTP/1.1 request needs exactly one Host
    Refused {
        name: "http_version_1_9_without_host",
        request: b"GET /v HTTP/1.9\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: an HTTP/1.1 request needs exactly one Host
    Refused {
        name: "host_twice",
        request: b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "obs_fold",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Fold: a\r\n b\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "space_before_colon",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A : v\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "control_char_in_value",
        request: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Ctl: a\x1c\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
    // deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient
    Refused {
        name: "http_version_leading_zero",
        request: b"GET / HTTP/1.01\r\nHost: example.com\r\n\r\n",
        status: 400,
        cpython_status: 200,
    },
];
