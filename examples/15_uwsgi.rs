//! Chapter 15: WSGI, uwsgi, uWSGI, ASGI and nginx: decode a uwsgi packet
//! that nginx sent (`uwsgi_pass`), turn it into an environ, and answer it
//! with chapter 13's application.
//!
//! ```text
//! cargo run --example 15_uwsgi                      # the captured packet
//! cargo run --example 15_uwsgi -- other-packet.bin  # one you captured
//! ```
//!
//! See `tutorial/15-wsgi-uwsgi-asgi.md`.

use std::fmt::Write as _;

use wsgiref::handlers::SimpleHandler;
use wsgiref::util::from_latin1;
use wsgiref::{AppError, Environ, Input};

#[allow(dead_code)] // chapter 13's `main`
#[path = "13_cgi.rs"]
pub mod cgi; // chapter 13's file, unchanged

/// The packet nginx 1.22 sent for
/// `curl -d 'hi!' 'http://127.0.0.1:8000/hello?name=ferris'`.
pub const CAPTURED: &str = "tutorial/captured/nginx-uwsgi.bin";

// ANCHOR: header
/// The 4-byte header of every uwsgi packet.
pub struct Header {
    /// What the packet is: 0 for a WSGI request (a "vars" block).
    pub modifier1: u8,
    /// How many bytes of variables follow the header.
    pub datasize: u16,
    /// A sub-type; 0 here.
    pub modifier2: u8,
}

pub fn header(packet: &[u8]) -> Result<Header, AppError> {
    let [modifier1, low, high, modifier2] = *packet.first_chunk::<4>().ok_or("shorter than a header")?;
    // Little-endian: the low byte comes first.
    let datasize = u16::from_le_bytes([low, high]);
    Ok(Header {
        modifier1,
        datasize,
        modifier2,
    })
}
// ANCHOR_END: header

// ANCHOR: vars
/// The variables after the header: key, value, key, value, ..., each a
/// 2-byte little-endian length and then that many bytes.
pub fn vars(mut data: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let mut vars = Vec::new();
    while !data.is_empty() {
        let key = take_string(&mut data)?;
        let value = take_string(&mut data)?;
        vars.push((key, value));
    }
    Ok(vars)
}

/// One length-prefixed string, taken off the front of `data`.
fn take_string(data: &mut &[u8]) -> Result<String, AppError> {
    let (size, rest) = data.split_first_chunk::<2>().ok_or("a length cut short")?;
    let size = usize::from(u16::from_le_bytes(*size));
    if rest.len() < size {
        return Err("a string cut short".into());
    }
    let (string, rest) = rest.split_at(size);
    *data = rest;
    // Bytes to a native string, as the environ holds them (chapter 2).
    Ok(from_latin1(string))
}
// ANCHOR_END: vars

// ANCHOR: describe
/// The packet, byte by byte where it matters.
pub fn describe(packet: &[u8]) -> Result<String, AppError> {
    let header = header(packet)?;
    let end = 4 + usize::from(header.datasize);
    let data = packet.get(4..end).ok_or("fewer bytes than datasize says")?;
    let mut out = String::new();
    writeln!(out, "header: {:02x?}", &packet[..4])?;
    writeln!(out, "  modifier1 = {} (a WSGI request)", header.modifier1)?;
    writeln!(out, "  datasize  = {} (bytes of variables)", header.datasize)?;
    writeln!(out, "  modifier2 = {}", header.modifier2)?;
    let first_key = 2 + usize::from(u16::from_le_bytes([data[0], data[1]]));
    writeln!(out, "first key: {:02x?}", &data[..first_key])?;
    let vars = vars(data)?;
    writeln!(out, "{} variables:", vars.len())?;
    for (key, value) in &vars {
        writeln!(out, "  {key} = {value:?}")?;
    }
    writeln!(out, "then the body: {:?}", String::from_utf8_lossy(&packet[end..]))?;
    Ok(out)
}
// ANCHOR_END: describe

// ANCHOR: answer
/// What a uwsgi server does with the packet: the variables become the
/// environ, the bytes after them `wsgi.input`; the application runs; the
/// answer goes back to nginx as plain HTTP.
pub fn answer(packet: &[u8]) -> Result<String, AppError> {
    let end = 4 + usize::from(header(packet)?.datasize);
    let mut environ = Environ::new();
    for (key, value) in vars(packet.get(4..end).ok_or("cut short")?)? {
        environ.insert(key, value);
    }
    environ.input = Input::from_bytes(packet[end..].to_vec());

    let mut handler = SimpleHandler::new(Vec::new());
    handler.run(&cgi::app, environ);
    let response = handler.into_output().ok_or("no output")?;
    Ok(String::from_utf8_lossy(&response).replace("\r\n", "\n"))
}
// ANCHOR_END: answer

/// The captured packet, described and answered (what `main` prints).
pub fn captured() -> Result<String, AppError> {
    let packet = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CAPTURED))?;
    Ok(describe(&packet)? + "\n" + &answer(&packet)?)
}

fn main() -> Result<(), AppError> {
    match std::env::args().nth(1) {
        Some(file) => {
            let packet = std::fs::read(file)?;
            print!("{}\n{}", describe(&packet)?, answer(&packet)?);
        }
        None => print!("{}", captured()?),
    }
    Ok(())
}
