//! Embeds the documented samples (`tests/samples/`: the manifest and the answers it names), so the
//! OpenAPI document and the Postman collection carry the same examples the tests check.

use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new("tests/samples");
    println!("cargo::rerun-if-changed={}", dir.display());
    // sqlx::migrate! embeds the migrations; naming any rerun-if-changed stops Cargo's default of
    // rebuilding on every change, so a new migration must be named too.
    println!("cargo::rerun-if-changed=migrations");
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("tests/samples")
        .map(|entry| entry.expect("a sample file").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let root = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let entries: String = names
        .iter()
        .map(|name| format!("    ({name:?}, include_str!({:?})),\n", Path::new(&root).join(dir).join(name).display().to_string()))
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("samples.rs");
    fs::write(out, format!("/// Every file of `tests/samples/`: name and text.\npub static FILES: &[(&str, &str)] = &[\n{entries}];\n"))
        .expect("writes samples.rs");
}
