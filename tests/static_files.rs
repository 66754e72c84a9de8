//! `wsgiref::static_files` over a real socket: files, HEAD, 304, listings,
//! the mount next to an application, and every way out of the root that a
//! client may try (`..`, `%2e%2e`, absolute paths, backslashes, NUL,
//! symbolic links) refused without a byte from outside.
#![cfg(feature = "static")]

mod common;

use std::path::{Path, PathBuf};

use common::{TestServer, header, split_response, status};
use wsgiref::simple_server::hello_app;
use wsgiref::static_files::StaticFiles;

const SECRET: &str = "TOP-SECRET";

/// A temporary tree:
///
/// ```text
/// DIR/secret.txt              TOP-SECRET (outside the root)
/// DIR/root/hello.txt          Hello, file!
/// DIR/root/a b&<c>.txt
/// DIR/root/page.html
/// DIR/root/sub/inner.txt
/// DIR/root/site/index.html
/// DIR/root/link_in   -> hello.txt
/// DIR/root/link_out  -> ../secret.txt
/// DIR/root/up        -> ..
/// DIR/root/absolute  -> DIR/secret.txt (absolute link)
/// ```
struct Tree {
    dir: PathBuf,
    root: PathBuf,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let dir = std::env::temp_dir().join(format!("wsgiref-static-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join("site")).unwrap();
        std::fs::write(dir.join("secret.txt"), SECRET).unwrap();
        std::fs::write(root.join("hello.txt"), "Hello, file!\n").unwrap();
        std::fs::write(root.join("a b&<c>.txt"), "odd name\n").unwrap();
        std::fs::write(root.join("page.html"), "<p>hi</p>\n").unwrap();
        std::fs::write(root.join("sub").join("inner.txt"), "inner\n").unwrap();
        std::fs::write(root.join("site").join("index.html"), "<h1>index</h1>\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink("hello.txt", root.join("link_in")).unwrap();
            symlink("../secret.txt", root.join("link_out")).unwrap();
            symlink("..", root.join("up")).unwrap();
            symlink(dir.join("secret.txt"), root.join("absolute")).unwrap();
        }
        Tree { dir, root }
    }

    fn server(&self) -> TestServer {
        TestServer::start(StaticFiles::mount("/static", &self.root, hello_app).unwrap())
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn get(server: &TestServer, target: &str, extra_headers: &str) -> (u16, String, Vec<u8>) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\n{extra_headers}\r\n");
    let (head, body) = split_response(&server.send(request.as_bytes()));
    (status(&head), head, body)
}

#[test]
fn files_with_type_length_and_last_modified() {
    let tree = Tree::new("files");
    let server = tree.server();
    let (code, head, body) = get(&server, "/static/hello.txt", "");
    assert_eq!((code, body.as_slice()), (200, &b"Hello, file!\n"[..]));
    assert_eq!(
        header(&head, "Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&head, "Content-Length").as_deref(), Some("13"));
    let last_modified = header(&head, "Last-Modified").expect("Last-Modified");
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    let (_, head, _) = get(&server, "/static/page.html", "");
    assert_eq!(
        header(&head, "Content-Type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let (code, _, body) = get(&server, "/static/sub/inner.txt", "");
    assert_eq!((code, body.as_slice()), (200, &b"inner\n"[..]));
    let (code, _, body) = get(&server, "/static/a%20b%26%3Cc%3E.txt", "");
    assert_eq!((code, body.as_slice()), (200, &b"odd name\n"[..]));

    // HEAD: the same head, no body.
    let (head, body) = split_response(&server.send(b"HEAD /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(status(&head), 200);
    assert_eq!(header(&head, "Content-Length").as_deref(), Some("13"));
    assert!(body.is_empty());

    // Other methods: 405 with Allow.
    let (head, _) =
        split_response(&server.send(b"POST /static/hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    assert_eq!(status(&head), 405);
    assert_eq!(header(&head, "Allow").as_deref(), Some("GET, HEAD"));
}

#[test]
fn if_modified_since_gives_304() {
    let tree = Tree::new("304");
    let server = tree.server();
    let (_, head, _) = get(&server, "/static/hello.txt", "");
    let last_modified = header(&head, "Last-Modified").unwrap();

    let (code, head, body) = get(
        &server,
        "/static/hello.txt",
        &format!("If-Modified-Since: {last_modified}\r\n"),
    );
    assert_eq!(code, 304);
    assert!(body.is_empty());
    assert_eq!(header(&head, "Last-Modified"), Some(last_modified.clone()));
    assert_eq!(header(&head, "Content-Length"), None);

    // The obsolete RFC 850 and asctime formats are accepted too (RFC 9110 §5.6.7).
    for date in ["Friday, 01-Jan-99 00:00:00 GMT", "Fri Jan  1 00:00:00 2100"] {
        let (code, _, _) = get(&server, "/static/hello.txt", &format!("If-Modified-Since: {date}\r\n"));
        let expected = if date.contains("2100") { 304 } else { 200 };
        assert_eq!(code, expected, "{date}");
    }
    let older = "Thu, 01 Jan 1970 00:00:00 GMT";
    let (code, _, body) = get(&server, "/static/hello.txt", &format!("If-Modified-Since: {older}\r\n"));
    assert_eq!((code, body.len()), (200, 13));
    let (code, _, _) = get(&server, "/static/hello.txt", "If-Modified-Since: not a date\r\n");
    assert_eq!(code, 200);
    // If-None-Match wins over If-Modified-Since.
    let (code, _, _) = get(
        &server,
        "/static/hello.txt",
        &format!("If-Modified-Since: {last_modified}\r\nIf-None-Match: \"x\"\r\n"),
    );
    assert_eq!(code, 200);
}

#[test]
fn directory_listing_with_escaped_links() {
    let tree = Tree::new("listing");
    let server = tree.server();
    let (code, head, body) = get(&server, "/static/", "");
    assert_eq!(code, 200);
    assert_eq!(
        header(&head, "Content-Type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("<title>Directory listing for /static/</title>"), "{page}");
    assert!(
        page.contains("<li><a href=\"a%20b%26%3Cc%3E.txt\">a b&amp;&lt;c&gt;.txt</a></li>"),
        "{page}"
    );
    assert!(page.contains("<li><a href=\"hello.txt\">hello.txt</a></li>"), "{page}");
    assert!(page.contains("<li><a href=\"sub/\">sub/</a></li>"), "{page}");
    assert!(!page.contains(SECRET));

    // A directory without its slash is redirected; with index.html, that is served.
    let (code, head, _) = get(&server, "/static/sub", "");
    assert_eq!(
        (code, header(&head, "Location").as_deref()),
        (301, Some("/static/sub/"))
    );
    let (code, _, body) = get(&server, "/static/site/", "");
    assert_eq!((code, body.as_slice()), (200, &b"<h1>index</h1>\n"[..]));
    let (code, head, _) = get(&server, "/static", "");
    assert_eq!((code, header(&head, "Location").as_deref()), (301, Some("/static/")));
}

#[test]
fn other_paths_go_to_the_application() {
    let tree = Tree::new("mount");
    let server = tree.server();
    for target in ["/", "/staticfile", "/other/static/hello.txt"] {
        let (code, _, body) = get(&server, target, "");
        assert_eq!((code, body.as_slice()), (200, &b"Hello world!\n"[..]), "{target}");
    }
    let (code, _, _) = get(&server, "/static/missing.txt", "");
    assert_eq!(code, 404, "missing files under the mount do not reach the application");
}

#[test]
fn every_way_out_of_the_root_is_refused() {
    let tree = Tree::new("attacks");
    let server = tree.server();
    let secret_path = tree.dir.join("secret.txt");
    let absolute = secret_path.to_str().unwrap();
    let targets = [
        // Dot-dot, plain and percent-encoded in every case and mixture.
        "/static/../secret.txt".to_string(),
        "/static/sub/../../secret.txt".to_string(),
        "/static/%2e%2e/secret.txt".to_string(),
        "/static/%2E%2E/secret.txt".to_string(),
        "/static/.%2e/secret.txt".to_string(),
        "/static/%2e%2e%2fsecret.txt".to_string(),
        "/static/..%2F..%2Fsecret.txt".to_string(),
        "/static/sub/%2e%2e/%2e%2e/secret.txt".to_string(),
        "/static/%252e%252e/secret.txt".to_string(),
        // Backslashes (a Windows separator), raw and encoded.
        "/static/..\\secret.txt".to_string(),
        "/static/..%5csecret.txt".to_string(),
        "/static/sub%5c..%5c..%5csecret.txt".to_string(),
        // Absolute paths.
        format!("/static/{absolute}"),
        format!("/static/{}", absolute.replace('/', "%2f")),
        "/static//etc/passwd".to_string(),
        "/static/%2fetc%2fpasswd".to_string(),
        "/static/C:%5cWindows%5cwin.ini".to_string(),
        "/static/C:/Windows/win.ini".to_string(),
        // NUL.
        "/static/hello.txt%00.png".to_string(),
        "/static/%00/../secret.txt".to_string(),
        // Absolute-form target.
        "http://x/static/../secret.txt".to_string(),
        // Symbolic links that lead out (relative, to a directory, absolute).
        "/static/link_out".to_string(),
        "/static/up/secret.txt".to_string(),
        "/static/up/".to_string(),
        "/static/absolute".to_string(),
    ];
    for target in &targets {
        let response = server.send(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        let text = String::from_utf8_lossy(&response);
        let (head, _) = split_response(&response);
        let code = status(&head);
        assert!(code == 403 || code == 404 || code == 400, "{target}: {code}\n{text}");
        assert!(
            !text.contains(SECRET) && !text.contains("root:"),
            "{target} leaked:\n{text}"
        );
    }
    // A raw NUL in the target is refused by the request parser itself.
    let response = server.send(b"GET /static/hello.txt\x00 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status(&split_response(&response).0), 400);
    // The symlinks that lead out are 403, not 404: they exist, and are refused.
    #[cfg(unix)]
    for target in ["/static/link_out", "/static/absolute", "/static/up/secret.txt"] {
        assert_eq!(get(&server, target, "").0, 403, "{target}");
    }
    // A link that stays inside is served.
    #[cfg(unix)]
    assert_eq!(get(&server, "/static/link_in", "").2, b"Hello, file!\n");
}

#[test]
fn the_root_must_be_a_directory() {
    let tree = Tree::new("root");
    assert!(StaticFiles::new(tree.root.join("hello.txt")).is_err());
    assert!(StaticFiles::new(Path::new("/no/such/directory")).is_err());
    let files = StaticFiles::new(&tree.root).unwrap();
    assert_eq!(files.root(), tree.root.canonicalize().unwrap());
    assert_eq!(files.prefix(), "");
}
