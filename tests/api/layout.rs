//! The layout of `api/src`: its top-level modules depend on each other without cycles, so each
//! can be read (and moved) from the bottom up, and `lib.rs` names every one of them in its map.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src")
}

/// The top-level modules: `api/src/<name>.rs` and `api/src/<name>/`.
fn modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_string();
            (p.is_dir() || p.extension().is_some_and(|x| x == "rs")).then_some(name)
        })
        .filter(|n| n != "lib")
        .collect()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The modules a file names by `crate::<module>` or `crate::{<module>, ..}`, outside comments
/// and its test module (everything after the file's first `#[cfg(test)]`: every file of
/// `api/src` keeps its tests in one module at its end).
fn named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names = match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                group.split(',').map(ident).collect::<Vec<_>>()
            }
            None => vec![ident(rest)],
        };
        out.extend(names.into_iter().filter(|n| modules.contains(n)));
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut all = Vec::new();
    files(&src(), &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in all {
        let relative = file.strip_prefix(src()).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = Path::new(first)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.matches("#[cfg(test)]").count() <= 1,
            "{}: keep the tests in one module at the end",
            file.display()
        );
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(named(&text, &modules).into_iter().filter(|m| *m != module));
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it (the first one repeated last).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_depend_on_each_other_without_cycles() {
    let graph = graph();
    assert!(graph.len() > 10, "{graph:?}");
    assert!(
        graph["schema"].contains("query"),
        "the reader sees `crate::` paths"
    );
    assert_eq!(
        cycle(&graph),
        None,
        "an import cycle between modules of api/src"
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut graph = graph();
    graph
        .get_mut("engine")
        .unwrap()
        .insert("schema".to_string());
    let found = cycle(&graph).expect("engine -> schema closes a cycle");
    assert_eq!(found.first(), found.last());
}

/// The layers of `lib.rs`'s map, top first: the modules each bullet names.
fn layers() -> Vec<BTreeSet<String>> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut layers: Vec<String> = Vec::new();
    for line in lib.lines().filter_map(|l| l.strip_prefix("//!")) {
        if let Some(bullet) = line.strip_prefix(" - ") {
            layers.push(bullet.to_string());
        } else if let (Some(last), true) = (layers.last_mut(), line.starts_with("   ")) {
            last.push_str(line);
        }
    }
    let modules = modules();
    layers
        .iter()
        .map(|text| {
            modules
                .iter()
                .filter(|m| text.contains(&format!("`{m}`")) || text.contains(&format!("`{m}/`")))
                .cloned()
                .collect()
        })
        .collect()
}

#[test]
fn lib_rs_maps_every_module_and_modules_use_only_the_layers_above() {
    let layers = layers();
    let layer_of = |m: &str| layers.iter().position(|l| l.contains(m));
    let missing: Vec<String> = modules()
        .into_iter()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(missing.is_empty(), "lib.rs's map leaves out {missing:?}");
    let mut upward = Vec::new();
    for (module, uses) in graph() {
        for used in uses {
            if layer_of(&used) > layer_of(&module) {
                upward.push(format!("{module} -> {used}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "modules using a layer below them: {upward:?}"
    );
}
