//! Resolution Center: settles disputes between buyers and sellers over
//! escrowed marketplace orders.

pub mod app;
pub mod config;
pub mod console;
pub mod domain;
pub mod evidence;
pub mod http;
pub mod notify;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod workers;

#[cfg(test)]
mod layout {
    /// The README's layout names only files that exist, and every room under `src/`.
    #[test]
    fn the_readme_layout_matches_the_tree() {
        let root = env!("CARGO_MANIFEST_DIR");
        let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
        let section = readme.split("## Layout").nth(1).expect("a layout section");
        let block = section.split("```").nth(1).expect("a drawing of the tree");
        let mut dir = String::new();
        let mut named = std::collections::BTreeSet::new();
        for line in block.lines() {
            if let Some(first) = line.split_whitespace().next().filter(|_| !line.starts_with(' ')) {
                named.insert(first.to_string());
                dir = if first.ends_with('/') { first.to_string() } else { String::new() };
                assert!(std::path::Path::new(&format!("{root}/{first}")).exists(), "{first} is not in the tree");
            }
            if line.starts_with(' ') && !dir.is_empty() {
                for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || "_./".contains(c))) {
                    if word.ends_with(".rs") {
                        let path = format!("{root}/{dir}{word}");
                        assert!(std::path::Path::new(&path).exists(), "{dir}{word} is not in the tree");
                    }
                }
            }
        }
        for entry in std::fs::read_dir(format!("{root}/src")).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let shown = if entry.path().is_dir() { format!("src/{name}/") } else { format!("src/{name}") };
            assert!(shown == "src/lib.rs" || named.contains(&shown), "the layout does not show {shown}");
        }
    }
}
