//! The README claims only what is there: its two setup commands first, an install section,
//! and every path of the repository it names exists.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn the_two_setup_commands_come_first_then_how_to_install() {
    let text = readme();
    let first_block = text.split("```").nth(1).unwrap();
    let commands: Vec<&str> = first_block
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('#').next().unwrap().trim())
        .collect();
    assert_eq!(commands, ["cargo run --release -- demo", "cargo test"]);
    let install = text.find("## Install").expect("an install section");
    assert!(text[install..].contains("cargo install --path ."));
    assert!(text[install..].contains("assets/demo/"));
}

#[test]
fn every_repository_path_it_names_exists() {
    let text = readme();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for quoted in text.split('`').skip(1).step_by(2) {
        let path = quoted.trim_end_matches('/');
        let in_repo = ["assets/", "tests/", "src/", "benches/", ".ci/"]
            .iter()
            .any(|p| path.starts_with(p));
        if !in_repo || path.contains(' ') || path.contains('*') || path.contains('<') {
            continue;
        }
        assert!(
            root.join(path).exists(),
            "README names {path}, which is not in the repository"
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} paths checked");
    assert!(
        !text.contains("see `issues`"),
        "the repository has no issue tracker to point at"
    );
}
