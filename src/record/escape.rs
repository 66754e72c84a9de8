//! The escaping of a recording's data lines: any bytes as printable ASCII.

use std::fmt::Write as _;

/// Most characters of escaped text on one data line before the writer
/// breaks it (a line break carries no byte, so breaking is free): long
/// enough for a request line, short enough to read a binary body.
const LINE_WIDTH: usize = 100;

/// `bytes` as the text of data lines, without their `| ` prefix: printable
/// ASCII as is, `\\`, `\r`, `\n`, `\t`, `\xHH` for every other byte. A line
/// ends after each escaped `\n` and when it reaches [`LINE_WIDTH`]; a space
/// that would end a line is written `\x20`, so an editor that trims
/// trailing spaces cannot change the bytes.
pub(super) fn escape_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (index, &byte) in bytes.iter().enumerate() {
        let last_on_line = byte == b'\n' || index + 1 == bytes.len() || line.len() + 1 >= LINE_WIDTH;
        match byte {
            b'\\' => line.push_str("\\\\"),
            b'\r' => line.push_str("\\r"),
            b'\n' => line.push_str("\\n"),
            b'\t' => line.push_str("\\t"),
            b' ' if last_on_line => line.push_str("\\x20"),
            0x20..=0x7e => line.push(byte as char),
            _ => {
                let _ = write!(line, "\\x{byte:02x}");
            }
        }
        if byte == b'\n' || line.len() >= LINE_WIDTH {
            lines.push(std::mem::take(&mut line));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The bytes of one data line's text; the error says what is wrong and at
/// which column (1-based, counted in the text after `| `).
pub(super) fn unescape_line(text: &str, into: &mut Vec<u8>) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let column = index + 1;
        if byte != b'\\' {
            if !(0x20..=0x7e).contains(&byte) {
                return Err(format!(
                    "column {column}: {:?} must be escaped (only printable ASCII is written as is)",
                    text[index..].chars().next().unwrap_or('?')
                ));
            }
            into.push(byte);
            index += 1;
            continue;
        }
        let (value, length) = escape_at(&bytes[index + 1..]).ok_or_else(|| {
            let found: String = text[index..].chars().take(4).collect();
            format!("column {column}: bad escape {found:?} (expected \\\\, \\r, \\n, \\t or \\xHH)")
        })?;
        into.push(value);
        index += 1 + length;
    }
    Ok(())
}

/// The byte of the escape after a backslash, and how many characters it
/// took; `None` for an unknown or cut escape.
fn escape_at(rest: &[u8]) -> Option<(u8, usize)> {
    match rest.first()? {
        b'\\' => Some((b'\\', 1)),
        b'r' => Some((b'\r', 1)),
        b'n' => Some((b'\n', 1)),
        b't' => Some((b'\t', 1)),
        b'x' => {
            let hex = std::str::from_utf8(rest.get(1..3)?).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            Some((u8::from_str_radix(hex, 16).ok()?, 3))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_lines() {
        let lines = escape_lines(b"GET /a\r\nb HTTP/1.1\r\nHost: x \r\n\r\n\x00\xff\\");
        assert_eq!(
            lines,
            [
                "GET /a\\r\\n",
                "b HTTP/1.1\\r\\n",
                "Host: x \\r\\n",
                "\\r\\n",
                "\\x00\\xff\\\\"
            ]
        );
        assert_eq!(escape_lines(b"ends with a space "), ["ends with a space\\x20"]);
    }

    #[test]
    fn long_lines_are_broken() {
        let lines = escape_lines(&[b'a'; 250]);
        assert_eq!(lines.iter().map(String::len).collect::<Vec<_>>(), [100, 100, 50]);
    }

    #[test]
    fn bad_escapes_are_errors() {
        let mut bytes = Vec::new();
        assert_eq!(
            unescape_line("ab\\x4", &mut bytes).unwrap_err(),
            "column 3: bad escape \"\\\\x4\" (expected \\\\, \\r, \\n, \\t or \\xHH)"
        );
        assert!(
            unescape_line("a\\q", &mut bytes)
                .unwrap_err()
                .starts_with("column 2: bad escape")
        );
        assert!(unescape_line("a\\", &mut bytes).is_err());
        assert!(
            unescape_line("tab\there", &mut bytes)
                .unwrap_err()
                .starts_with("column 4:")
        );
        assert!(unescape_line("é", &mut bytes).unwrap_err().starts_with("column 1:"));
        bytes.clear();
        unescape_line("\\x41\\X", &mut bytes).unwrap_err();
        bytes.clear();
        unescape_line("\\x4a\\x4B\\\\\\t", &mut bytes).unwrap();
        assert_eq!(bytes, b"JK\\\t");
    }
}
