//! `var/lib/dpkg/status` (and distroless's `status.d/*`): one paragraph per package. Only
//! installed packages count; the source package and its version come from `Source:`
//! (`Source: glibc (2.28-10)`), else the package's own.

use crate::vuln::Package;

pub fn parse(text: &str) -> Vec<Package> {
    text.split("\n\n").filter_map(paragraph).collect()
}

fn paragraph(block: &str) -> Option<Package> {
    let mut package = Package::default();
    let mut installed = false;
    let mut source = "";
    for line in block.lines() {
        // Continuation lines (descriptions, conffiles) start with a space.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field {
            "Package" => package.name = value.to_string(),
            "Version" => package.version = value.to_string(),
            "Architecture" => package.arch = value.to_string(),
            "Source" => source = value,
            // `want ok status`: the package counts once its files are unpacked and set up.
            "Status" => installed = value.split_whitespace().nth(2) == Some("installed"),
            _ => {}
        }
    }
    if package.name.is_empty() || package.version.is_empty() || !installed {
        return None;
    }
    let (source_name, source_version) = match source.split_once('(') {
        Some((name, version)) => (name.trim(), version.trim_end_matches(')').trim()),
        None => (source.trim(), ""),
    };
    package.source_name = if source_name.is_empty() {
        package.name.clone()
    } else {
        source_name.to_string()
    };
    package.source_version = if source_version.is_empty() {
        package.version.clone()
    } else {
        source_version.to_string()
    };
    Some(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_packages_with_their_sources() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc (2.28-10)\nVersion: 2.28-10+deb10u1\nDescription: GNU C Library\n shared libraries\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.0-4\n";
        let found = parse(text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (
                found[0].source_name.as_str(),
                found[0].source_version.as_str()
            ),
            ("glibc", "2.28-10")
        );
        assert_eq!(found[0].version, "2.28-10+deb10u1");
        assert_eq!(
            (
                found[1].source_name.as_str(),
                found[1].source_version.as_str()
            ),
            ("bash", "5.0-4")
        );
    }
}
