//! Alpine's `lib/apk/db/installed`: one paragraph per package, one letter a field (`P:` name,
//! `V:` version, `A:` arch, `o:` origin, the source package Alpine's advisories name).

use crate::vuln::Package;

pub fn parse(text: &str) -> Vec<Package> {
    text.split("\n\n").filter_map(paragraph).collect()
}

fn paragraph(block: &str) -> Option<Package> {
    let mut package = Package::default();
    for line in block.lines() {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        match field {
            "P" => package.name = value.to_string(),
            "V" => package.version = value.to_string(),
            "A" => package.arch = value.to_string(),
            "o" => package.source_name = value.to_string(),
            _ => {}
        }
    }
    if package.name.is_empty() || package.version.is_empty() {
        return None;
    }
    if package.source_name.is_empty() {
        package.source_name = package.name.clone();
    }
    package.source_version = package.version.clone();
    Some(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_with_their_origin() {
        let found = parse(
            "P:libcrypto1.1\nV:1.1.1c-r0\nA:x86_64\no:openssl\n\nP:noversion\n\nP:musl\nV:1.1.22-r3\n",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].source_name, "openssl");
        assert_eq!(found[1].source_name, "musl");
    }
}
