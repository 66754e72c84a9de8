//! The shape of the library, checked: no import cycle between its top-level
//! modules, no file over 600 lines before its tests, no function over 40
//! lines. Why: the crate is read by learners module by module, in the
//! order of Python's wsgiref (`types`, `util`, `headers`, `handlers`,
//! `simple_server`, `validate`), which only works if a module never needs
//! one that depends on it; and "the crate has no import cycle" is a claim a
//! reviewer should be able to check, not take on trust. How it is checked:
//! this test reads every file under `src/` (the library; `src/main.rs`,
//! the binary, only calls `wsgiref::cli::main`), blanks out comments, doc
//! comments and string literals, and takes an edge `a -> b` from each `crate::b` (or a name
//! `lib.rs` re-exports from `b`, or an entry of `use crate::{b, ..}`) in
//! module `a`'s code before its `#[cfg(test)] mod tests`. Strongly
//! connected components (Tarjan) find the cycles; each is reported with the
//! file and line of every edge in it. `cargo test --test architecture --
//! --nocapture` also prints the module graph.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;

/// Most lines a library file may have before its test module.
const FILE_BUDGET_LINES: usize = 600;

/// Most lines a function may have, from its `fn` line to its closing brace,
/// unless the comment line above it says `Long: <reason>`.
const FUNCTION_BUDGET_LINES: usize = 40;

/// Modules that must use nothing else from the crate, so anything may use them.
const LEAF_MODULES: &[&str] = &["date", "input", "native", "uri"];

/// Module name -> the modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// One library file.
struct SourceFile {
    /// Relative to the crate root, with `/`: `src/handlers/cgi.rs`.
    path: String,
    /// The top-level module it belongs to (`handlers`), `None` for `src/lib.rs`.
    module: Option<String>,
    /// The text before its `#[cfg(test)] mod tests` (all of it when it has none).
    non_test: String,
    /// How many lines that is.
    non_test_lines: usize,
    /// `non_test` with comments, doc comments and literals blanked out, line for line.
    code: String,
}

/// Every `.rs` file under `src/` except the binary's `src/main.rs`, sorted by path.
fn library_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect_rs_files(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{relative}: {error}"));
            let non_test_lines = test_module_line(&text);
            let non_test = text.lines().take(non_test_lines).collect::<Vec<_>>().join("\n");
            SourceFile {
                non_test_lines,
                module: module_of(&relative),
                code: blank_comments_and_literals(&non_test),
                non_test,
                path: relative,
            }
        })
        .collect()
}

fn collect_rs_files(directory: &Path, paths: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "bin") {
                collect_rs_files(&path, paths);
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") && !path.ends_with("src/main.rs") {
            paths.push(path);
        }
    }
}

/// `src/handlers.rs` and `src/handlers/cgi.rs` are module `handlers`;
/// `src/lib.rs` is the root, which only declares and re-exports.
fn module_of(path: &str) -> Option<String> {
    let first = path.strip_prefix("src/")?.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

/// The index of the `#[cfg(test)]` line that precedes `mod tests`, or the
/// number of lines when there is none: the count of non-test lines.
fn test_module_line(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let next = lines[index + 1..].iter().find(|line| !line.trim().is_empty());
        if line.trim() == "#[cfg(test)]" && next.is_some_and(|next| next.trim().starts_with("mod tests")) {
            return index;
        }
    }
    lines.len()
}

/// The text with every comment (`//`, `///`, `//!`, `/* */`) and every
/// string and char literal (quotes included) replaced by spaces; newlines
/// are kept, so line numbers still match. Lifetimes (`'a`) stay.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let end = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => (i..chars.len()).find(|&j| chars[j] == '\n').unwrap_or(chars.len()),
            ('/', Some('*')) => block_comment_end(&chars, i),
            ('"', _) => string_end(&chars, i + 1, None),
            ('r', _) if is_raw_string_start(&chars, i) => {
                let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                string_end(&chars, i + hashes + 2, Some(hashes))
            }
            ('\'', _) => char_literal_end(&chars, i).unwrap_or(i + 1),
            _ => i + 1,
        };
        // A plain character is copied; a comment or literal is blanked
        // except for its newlines.
        if end == i + 1 {
            out.push(chars[i]);
        } else {
            out.extend(chars[i..end].iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
        }
        i = end;
    }
    out
}

/// Where a `/* */` comment starting at `start` ends (they nest in Rust).
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let (mut depth, mut i) = (0, start);
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => (depth, i) = (depth + 1, i + 2),
            ('*', Some('/')) if depth == 1 => return i + 2,
            ('*', Some('/')) => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    chars.len()
}

/// Where a string whose contents start at `start` ends: after its closing
/// `"`, and for a raw string (`Some(hashes)`, no escapes) its `#`s.
fn string_end(chars: &[char], start: usize, raw_hashes: Option<usize>) -> usize {
    let hashes = raw_hashes.unwrap_or(0);
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' if raw_hashes.is_none() => i += 2,
            '"' if chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes => {
                return i + 1 + hashes;
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// `r"`, `r#"`, `br"`: an `r` that starts a word and is followed by `#`s and `"`.
fn is_raw_string_start(chars: &[char], i: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let starts_word = match i {
        0 => true,
        1 => !is_word(chars[0]) || chars[0] == 'b',
        _ => !is_word(chars[i - 1]) || (chars[i - 1] == 'b' && !is_word(chars[i - 2])),
    };
    let after_hashes = chars[i + 1..].iter().find(|&&c| c != '#');
    starts_word && after_hashes == Some(&'"')
}

/// Where a char literal starting at `start` ends (`'a'`, `'\n'`,
/// `'\u{20ac}'`), or `None` for a lifetime (`'a`).
fn char_literal_end(chars: &[char], start: usize) -> Option<usize> {
    match (chars.get(start + 1), chars.get(start + 2)) {
        (Some('\\'), _) => (start + 3..chars.len()).find(|&j| chars[j] == '\'').map(|j| j + 1),
        (Some(_), Some('\'')) => Some(start + 3),
        _ => None,
    }
}

/// The line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Each `crate::NAME` in `code`, and each entry of `crate::{a, b::c}`:
/// `(byte offset, NAME)`.
fn crate_references(code: &str) -> Vec<(usize, String)> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut references = Vec::new();
    for (offset, _) in code.match_indices("crate::") {
        if code[..offset].chars().next_back().is_some_and(is_word) {
            continue; // `my_crate::`, not the crate
        }
        let rest = &code[offset + "crate::".len()..];
        let rest_offset = offset + "crate::".len();
        if let Some(group) = rest.trim_start().strip_prefix('{') {
            let group_offset = rest_offset + rest.len() - group.len();
            references.extend(group_entries(group, group_offset));
        } else {
            let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
            references.push((offset, name));
        }
    }
    references
}

/// The first path segment of each top-level entry of a `{a, b::{c}, d}`
/// group (`group` starts after the `{`), with its byte offset.
fn group_entries(group: &str, group_offset: usize) -> Vec<(usize, String)> {
    let mut entries = Vec::new();
    let (mut depth, mut entry_start) = (0, 0);
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                entries.push(entry_start..index);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(entry_start..index);
                entry_start = index + 1;
            }
            _ => {}
        }
    }
    entries
        .into_iter()
        .filter_map(|range| {
            let entry = &group[range.clone()];
            let trimmed = entry.trim_start();
            let name: String = trimmed
                .chars()
                .take_while(|&c| c.is_alphanumeric() || c == '_')
                .collect();
            let offset = group_offset + range.start + entry.len() - trimmed.len();
            (!name.is_empty() && name != "self").then_some((offset, name))
        })
        .collect()
}

/// What `lib.rs` re-exports at the root: item name -> the module it comes
/// from (`pub use simple_server::{make_server, ..}` gives `make_server ->
/// simple_server`), so `crate::make_server` counts as using `simple_server`.
fn root_reexports(files: &[SourceFile]) -> BTreeMap<String, String> {
    let lib = files.iter().find(|file| file.path == "src/lib.rs").expect("src/lib.rs");
    let mut reexports = BTreeMap::new();
    for statement in lib.code.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            reexports.insert(name.to_string(), module.trim().to_string());
        }
    }
    reexports
}

/// The module graph with, for each edge, where it comes from
/// (`src/handlers.rs:20: use crate::http::civil_time;`).
struct ModuleGraph {
    graph: Graph,
    evidence: BTreeMap<(String, String), Vec<String>>,
}

fn module_graph(files: &[SourceFile]) -> ModuleGraph {
    let modules: BTreeSet<String> = files.iter().filter_map(|file| file.module.clone()).collect();
    let reexports = root_reexports(files);
    let mut graph: Graph = modules.iter().map(|module| (module.clone(), BTreeSet::new())).collect();
    let mut evidence: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let Some(from) = &file.module else { continue };
        for (offset, name) in crate_references(&file.code) {
            let to = match reexports.get(&name) {
                _ if modules.contains(&name) => name.clone(),
                Some(module) => module.clone(),
                None => panic!(
                    "{}:{}: `crate::{name}` is neither a top-level module nor re-exported by src/lib.rs",
                    file.path,
                    line_of(&file.code, offset)
                ),
            };
            if &to == from {
                continue;
            }
            let line = line_of(&file.code, offset);
            let shown = file.non_test.lines().nth(line - 1).unwrap_or_default().trim();
            graph.get_mut(from).unwrap().insert(to.clone());
            evidence
                .entry((from.clone(), to))
                .or_default()
                .push(format!("{}:{line}: {shown}", file.path));
        }
    }
    ModuleGraph { graph, evidence }
}

/// Tarjan's algorithm: the strongly connected components that hold a
/// cycle (more than one module, or a module that uses itself), each
/// sorted, in order of their first module.
fn cyclic_components(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a str) {
            let index = self.index.len();
            self.index.insert(node, index);
            self.low.insert(node, index);
            self.stack.push(node);
            self.on_stack.insert(node);
            let graph = self.graph;
            for next in graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    self.low.insert(node, self.low[node].min(self.low[next.as_str()]));
                } else if self.on_stack.contains(next.as_str()) {
                    self.low.insert(node, self.low[node].min(self.index[next.as_str()]));
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_string());
                    if member == node {
                        break;
                    }
                }
                let self_loop = self.graph[node].contains(node);
                if component.len() > 1 || self_loop {
                    component.sort();
                    self.components.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.components.sort();
    tarjan.components
}

/// The cycles to break: for each edge inside a cyclic component, the
/// shortest cycle through it (breadth-first back to where it started).
/// Each cycle is listed once, rotated to start at its smallest module, and
/// shortest first: `[handlers, http]` is `handlers -> http -> handlers`.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = BTreeSet::new();
    for component in cyclic_components(graph) {
        let inside: BTreeSet<&String> = component.iter().collect();
        for from in &component {
            for to in graph[from].iter().filter(|to| inside.contains(to)) {
                // `from -> to`, then back from `to` to `from` (not repeated).
                let mut back = shortest_path(graph, to, from);
                back.pop();
                let mut cycle = vec![from.clone()];
                cycle.extend(back);
                let smallest = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap();
                cycle.rotate_left(smallest);
                found.insert((cycle.len(), cycle));
            }
        }
    }
    found.into_iter().map(|(_, cycle)| cycle).collect()
}

/// The modules on a shortest path `from` .. `to` (both included; just
/// `[from]` when they are the same), breadth-first.
fn shortest_path(graph: &Graph, from: &str, to: &str) -> Vec<String> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![to.to_string()];
            let mut at = to;
            while at != from {
                at = came_from[at];
                path.push(at.to_string());
            }
            path.reverse();
            return path;
        }
        for next in graph.get(node).into_iter().flatten() {
            if next != from && !came_from.contains_key(next.as_str()) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    panic!("no path from {from} to {to} inside a strongly connected component");
}

/// The graph as text, one line per module: `handlers -> headers, types, util`.
fn graph_text(graph: &Graph) -> String {
    let mut text = String::new();
    for (module, uses) in graph {
        let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
        let uses = if uses.is_empty() {
            "(nothing)".to_string()
        } else {
            uses.join(", ")
        };
        text.push_str(&format!("{module} -> {uses}\n"));
    }
    text
}

/// A cycle with the evidence for each of its edges (at most three places each).
fn describe_cycle(cycle: &[String], evidence: &BTreeMap<(String, String), Vec<String>>) -> String {
    let mut shown = cycle.to_vec();
    shown.push(cycle[0].clone());
    let mut text = format!("  {}\n", shown.join(" -> "));
    for pair in shown.windows(2) {
        let places = &evidence[&(pair[0].clone(), pair[1].clone())];
        text.push_str(&format!("    {} -> {}:\n", pair[0], pair[1]));
        for place in places.iter().take(3) {
            text.push_str(&format!("      {place}\n"));
        }
        if places.len() > 3 {
            text.push_str(&format!("      (and {} more)\n", places.len() - 3));
        }
    }
    text
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let ModuleGraph { graph, evidence } = module_graph(&library_files());
    println!(
        "The module graph (module -> the modules it uses):\n{}",
        graph_text(&graph)
    );
    let cycles = cycles(&graph);
    let components = cyclic_components(&graph);
    let report: String = cycles.iter().map(|cycle| describe_cycle(cycle, &evidence)).collect();
    assert!(
        cycles.is_empty(),
        "{} import cycle(s) between top-level modules (strongly connected: {}):\n{report}",
        cycles.len(),
        components
            .iter()
            .map(|c| format!("{{{}}}", c.join(", ")))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

#[test]
fn leaf_modules_use_nothing_from_the_crate() {
    let ModuleGraph { graph, evidence } = module_graph(&library_files());
    let mut failures = Vec::new();
    for leaf in LEAF_MODULES {
        for used in &graph[*leaf] {
            let places = &evidence[&(leaf.to_string(), used.clone())];
            failures.push(format!("{leaf} uses {used}: {}", places.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "leaf modules must not use the crate:\n{}",
        failures.join("\n")
    );
}

#[test]
fn files_within_budget() {
    let over: Vec<String> = library_files()
        .iter()
        .filter(|file| file.non_test_lines > FILE_BUDGET_LINES)
        .map(|file| format!("  {}: {} lines before its tests", file.path, file.non_test_lines))
        .collect();
    assert!(
        over.is_empty(),
        "{} file(s) over the budget of {FILE_BUDGET_LINES} lines before the test module:\n{}",
        over.len(),
        over.join("\n")
    );
}

/// A function found in the code: where, its name and its length in lines.
struct Function {
    line: usize,
    name: String,
    lines: usize,
}

/// Every `fn` with a body in `code` (blanked), with its length from the
/// `fn` line to the line of its closing brace.
fn functions(code: &str) -> Vec<Function> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        if let Some(end) = body_end_line(&lines, index) {
            found.push(Function {
                line: index + 1,
                name,
                lines: end - index + 1,
            });
        }
    }
    found
}

/// The name declared by a line such as `    pub(crate) const fn name<T>(`
/// (blanked: `extern "C"` reads `extern` and spaces).
fn fn_name(line: &str) -> Option<String> {
    let mut words = line.trim_start();
    // Skip what may come before `fn`: visibility, `const`, `async`, `unsafe`, `extern "C"`.
    loop {
        let rest = if let Some(rest) = words.strip_prefix("pub(") {
            &rest[rest.find(')')? + 1..]
        } else if let Some(rest) = ["pub ", "const ", "async ", "unsafe ", "extern "]
            .iter()
            .find_map(|qualifier| words.strip_prefix(qualifier))
        {
            rest
        } else {
            break;
        };
        words = rest.trim_start();
    }
    let name: String = words
        .strip_prefix("fn ")?
        .chars()
        .take_while(|&c| c.is_alphanumeric() || c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The index of the line that closes the body of the `fn` on line
/// `start`, or `None` when it has no body (a trait method's `;`).
fn body_end_line(lines: &[&str], start: usize) -> Option<usize> {
    let (mut parens, mut braces) = (0i32, 0i32);
    for (index, line) in lines.iter().enumerate().skip(start) {
        for c in line.chars() {
            match c {
                '(' | '[' => parens += 1,
                ')' | ']' => parens -= 1,
                ';' if parens == 0 && braces == 0 => return None,
                '{' => braces += 1,
                '}' => {
                    braces -= 1;
                    if braces == 0 {
                        return Some(index);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// Whether the comment line just above the function (above its attributes)
/// says `Long:` and gives a reason.
fn marked_long(original_lines: &[&str], fn_index: usize) -> bool {
    let mut index = fn_index;
    while index > 0 {
        index -= 1;
        let line = original_lines[index].trim();
        if line.starts_with("#[") || line.starts_with("#!") {
            continue;
        }
        // A multi-line attribute: `#[allow(` .. `)]`.
        if line.ends_with(']') && !line.starts_with("//") {
            match original_lines[..index]
                .iter()
                .rposition(|line| line.trim().starts_with("#["))
            {
                Some(attribute) => {
                    index = attribute;
                    continue;
                }
                None => return false,
            }
        }
        return line.starts_with("//")
            && line
                .split_once("Long:")
                .is_some_and(|(_, reason)| !reason.trim().is_empty());
    }
    false
}

#[test]
fn functions_within_budget() {
    let mut over = Vec::new();
    for file in library_files() {
        let original_lines: Vec<&str> = file.non_test.lines().collect();
        for function in functions(&file.code) {
            if function.lines > FUNCTION_BUDGET_LINES && !marked_long(&original_lines, function.line - 1) {
                over.push(format!(
                    "  {}:{}: fn {} is {} lines",
                    file.path, function.line, function.name, function.lines
                ));
            }
        }
    }
    assert!(
        over.is_empty(),
        "{} function(s) over the budget of {FUNCTION_BUDGET_LINES} lines (split them, or put \
         `// Long: <reason>` on the line above):\n{}",
        over.len(),
        over.join("\n")
    );
}

// The checks' own parts, on hand-made input.

fn graph_of(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph.entry(from.to_string()).or_default().insert(to.to_string());
        graph.entry(to.to_string()).or_default();
    }
    graph
}

#[test]
fn cycle_finder_on_a_hand_made_graph() {
    let graph = graph_of(&[
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("c", "d"),
        ("d", "e"),
        ("e", "d"),
        ("b", "a"),
        ("f", "f"),
        ("x", "y"),
        ("y", "z"),
    ]);
    let components = cyclic_components(&graph);
    assert_eq!(components, [vec!["a", "b", "c"], vec!["d", "e"], vec!["f"]]);
    let found = cycles(&graph);
    assert_eq!(
        found,
        [vec!["f"], vec!["a", "b"], vec!["d", "e"], vec!["a", "b", "c"]],
        "shortest first, each once"
    );
    let acyclic = graph_of(&[("a", "b"), ("b", "c"), ("a", "c")]);
    assert!(cyclic_components(&acyclic).is_empty());
    assert!(cycles(&acyclic).is_empty());
}

#[test]
fn references_and_blanking_on_hand_made_code() {
    let source = r##"//! See [`crate::doc_only`].
use crate::{alpha, beta::{x, y}, self};
use crate::gamma::Thing; // crate::comment_only
/* crate::block /* nested */ crate::still_block */
let s = "crate::in_string"; let r = r#"crate::raw "quoted""#; let c = '"';
fn f<'a>(x: &'a str) { crate::delta::go(x) }
"##;
    let code = blank_comments_and_literals(source);
    assert_eq!(code.lines().count(), source.lines().count(), "lines kept");
    let names: Vec<(usize, String)> = crate_references(&code)
        .into_iter()
        .map(|(offset, name)| (line_of(&code, offset), name))
        .collect();
    let expected = [(2, "alpha"), (2, "beta"), (3, "gamma"), (6, "delta")];
    let expected: Vec<(usize, String)> = expected.iter().map(|(line, name)| (*line, name.to_string())).collect();
    assert_eq!(names, expected);
}

#[test]
fn function_lengths_on_hand_made_code() {
    let source = "\
impl X {
    /// Docs.
    // Long: a reason.
    #[inline]
    pub(crate) fn long(a: [u8; 2]) -> u8 {
        let s = \"}\";
        a[0]
    }
    fn declared(&self);
    const fn one() -> u8 { 1 }
}
";
    let code = blank_comments_and_literals(source);
    let found: Vec<(usize, String, usize)> = functions(&code)
        .into_iter()
        .map(|function| (function.line, function.name, function.lines))
        .collect();
    assert_eq!(found, [(5, "long".to_string(), 4), (10, "one".to_string(), 1)]);
    let original: Vec<&str> = source.lines().collect();
    assert!(marked_long(&original, 4));
    assert!(!marked_long(&original, 9));
    assert_eq!(test_module_line("a\n#[cfg(test)]\n\nmod tests {\n}\n"), 1);
    assert_eq!(module_of("src/handlers/cgi.rs").as_deref(), Some("handlers"));
    assert_eq!(module_of("src/lib.rs"), None);
}
