//! Which OS an image runs, from its release files, as Trivy's OS analyzers decide: Alpine's
//! `etc/alpine-release`, Debian's `etc/debian_version`, Ubuntu's `etc/lsb-release`, Amazon's
//! `etc/system-release`, else `os-release`'s `ID` and `VERSION_ID`.

use super::{Error, read_file};
use crate::vuln::Os;
use std::path::Path;

pub fn detect(root: &Path) -> Result<Option<Os>, Error> {
    let os = |family: &str, release: &str| {
        Some(Os {
            family: family.to_string(),
            release: release.trim().to_string(),
        })
    };
    if let Some(text) = read_file(root, "etc/alpine-release")?
        && let Some(line) = text.lines().next().filter(|l| !l.trim().is_empty())
    {
        return Ok(os("alpine", line));
    }
    if let Some(text) = read_file(root, "etc/lsb-release")? {
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        if field("DISTRIB_ID").as_deref() == Some("Ubuntu")
            && let Some(release) = field("DISTRIB_RELEASE")
        {
            return Ok(os("ubuntu", &release));
        }
    }
    if let Some(text) = read_file(root, "etc/debian_version")?
        && let Some(line) = text.lines().next().filter(|l| !l.trim().is_empty())
    {
        return Ok(os("debian", line));
    }
    if let Some(text) = read_file(root, "etc/system-release")?
        && let Some(rest) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Amazon Linux"))
    {
        // "Amazon Linux release 2 (Karoo)", "Amazon Linux AMI release 2018.03".
        let release = rest.rsplit("release").next().unwrap_or(rest);
        return Ok(os("amazon", release));
    }
    for path in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(text) = read_file(root, path)? {
            return Ok(from_os_release(&text));
        }
    }
    Ok(None)
}

/// `ID` and `VERSION_ID` of an os-release file, the family named as Trivy names it.
fn from_os_release(text: &str) -> Option<Os> {
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
    };
    let id = field("ID")?;
    let family = match id.as_str() {
        "alpine" | "debian" | "ubuntu" | "rocky" | "photon" | "wolfi" | "chainguard" | "fedora"
        | "centos" | "rhel" | "ol" | "sles" | "azurelinux" | "mariner" => match id.as_str() {
            "ol" => "oracle",
            "rhel" => "redhat",
            "sles" => "suse linux enterprise server",
            other => other,
        },
        "almalinux" => "alma",
        "amzn" => "amazon",
        "opensuse-leap" => "opensuse.leap",
        "opensuse-tumbleweed" => "opensuse.tumbleweed",
        _ => return None,
    };
    Some(Os {
        family: family.to_string(),
        release: field("VERSION_ID").unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_ids_become_trivy_families() {
        let os =
            from_os_release("NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"8.4\"\n").unwrap();
        assert_eq!((os.family.as_str(), os.release.as_str()), ("alma", "8.4"));
        assert!(from_os_release("ID=plan9\n").is_none());
        assert!(from_os_release("NAME=x\n").is_none());
    }
}
