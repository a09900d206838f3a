//! Which OS an image runs, from its release files, as Trivy's OS analyzers decide: Alpine's
//! `etc/alpine-release`, Debian's `etc/debian_version`, Ubuntu's `etc/lsb-release`, Amazon's
//! `etc/system-release`, else `os-release`'s `ID` and `VERSION_ID`.

use super::{Error, Files};
use crate::vuln::Os;

/// Every file [`detect`] may read: an image's layers keep these and the package databases.
pub const FILES: [&str; 7] = [
    "etc/alpine-release",
    "etc/apk/repositories",
    "etc/lsb-release",
    "etc/debian_version",
    "etc/system-release",
    "etc/os-release",
    "usr/lib/os-release",
];

pub fn detect(files: &dyn Files) -> Result<Option<Os>, Error> {
    let os = |family: &str, release: &str| {
        Some(Os {
            family: family.to_string(),
            release: release.trim().to_string(),
            repository: None,
        })
    };
    if let Some(text) = files.read("etc/alpine-release")?
        && let Some(line) = text.lines().next().filter(|l| !l.trim().is_empty())
    {
        let mut alpine = os("alpine", line);
        if let (Some(found), Some(repos)) = (&mut alpine, files.read("etc/apk/repositories")?) {
            found.repository = alpine_repository(&repos);
        }
        return Ok(alpine);
    }
    if let Some(text) = files.read("etc/lsb-release")? {
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
    if let Some(text) = files.read("etc/debian_version")?
        && let Some(line) = text.lines().next().filter(|l| !l.trim().is_empty())
    {
        return Ok(os("debian", line));
    }
    if let Some(text) = files.read("etc/system-release")?
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
        if let Some(text) = files.read(path)? {
            return Ok(from_os_release(&text));
        }
    }
    Ok(None)
}

/// The release named by the first Alpine repository line (`.../alpine/v3.19/main` → `3.19`,
/// `.../alpine/edge/community` → `edge`).
fn alpine_repository(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let after = line.split("/alpine/").nth(1)?;
            let release = after.split('/').next()?;
            let release = release.strip_prefix('v').unwrap_or(release);
            let valid = release == "edge"
                || (release.split('.').count() == 2
                    && release
                        .split('.')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())));
            valid.then(|| release.to_string())
        })
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
        repository: None,
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

    #[test]
    fn alpine_repositories_name_their_release() {
        let text = "# mirrors\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n";
        assert_eq!(alpine_repository(text).as_deref(), Some("3.19"));
        assert_eq!(
            alpine_repository("http://x/alpine/edge/testing").as_deref(),
            Some("edge")
        );
        assert_eq!(
            alpine_repository("http://x/alpine/latest-stable/main"),
            None
        );
    }
}
