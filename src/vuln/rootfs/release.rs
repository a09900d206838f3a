//! Which OS an image runs, from its release files, as Trivy's OS analyzers decide: Alpine's
//! `etc/alpine-release`, Debian's `etc/debian_version`, Ubuntu's `etc/lsb-release`, Amazon's
//! `etc/system-release`, else `os-release`'s `ID` and `VERSION_ID`.

use super::{Error, Files};
use crate::vuln::Os;

/// Every file [`detect`] may read: an image's layers keep these and the package databases.
pub const FILES: [&str; 9] = [
    "etc/alpine-release",
    "etc/apk/repositories",
    "etc/lsb-release",
    "etc/debian_version",
    "etc/system-release",
    "etc/centos-release",
    "etc/redhat-release",
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
    let mut found = None;
    for path in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(text) = files.read(path)? {
            found = from_os_release(&text);
            break;
        }
    }
    // CentOS and RHEL: their release files give the full version (`7.6.1810`, where
    // os-release says `7`), and are all CentOS 6 has. Another family's os-release stands
    // (Oracle Linux ships a redhat-release too).
    if found
        .as_ref()
        .is_none_or(|os| matches!(os.family.as_str(), "centos" | "redhat"))
    {
        for path in ["etc/centos-release", "etc/redhat-release"] {
            if let Some(os) = files.read(path)?.as_deref().and_then(from_redhat_release)
                && found.as_ref().is_none_or(|f| f.family == os.family)
            {
                return Ok(Some(os));
            }
        }
    }
    Ok(found)
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

/// `ID` and `VERSION_ID` of an os-release file, the family named as Trivy v0.74 names it
/// (`idToOSFamily`); like Trivy, a file without `VERSION_ID` names no OS.
fn from_os_release(text: &str) -> Option<Os> {
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
    };
    let id = field("ID")?;
    let family = match id.as_str() {
        "alpine"
        | "debian"
        | "ubuntu"
        | "rocky"
        | "photon"
        | "wolfi"
        | "chainguard"
        | "fedora"
        | "sles"
        | "azurelinux"
        | "opensuse-leap"
        | "opensuse-tumbleweed" => id.as_str(),
        "centos" if field("NAME").as_deref() == Some("CentOS Stream") => "centos-stream",
        "centos" => "centos",
        "rhel" => "redhat",
        "ol" => "oracle",
        "almalinux" => "alma",
        "amzn" => "amazon",
        // Leap 42 wrote `opensuse`; SLE Micro has had three names.
        "opensuse" => "opensuse-leap",
        "sle-micro" | "sl-micro" | "sle-micro-rancher" => "slem",
        "mariner" => "cbl-mariner",
        _ => return None,
    };
    let release = field("VERSION_ID").filter(|v| !v.is_empty())?;
    Some(Os {
        family: family.to_string(),
        release,
        repository: None,
    })
}

/// `etc/centos-release` or `etc/redhat-release`: `CentOS Linux release 7.6.1810 (Core)` →
/// (`centos`, `7.6.1810`), `Red Hat Enterprise Linux Server release 7.7 (Maipo)` →
/// (`redhat`, `7.7`), as Trivy's redhatbase analyzer reads them (`(.*) release (\d[\d.]*)`).
fn from_redhat_release(text: &str) -> Option<Os> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.rsplit_once(" release ")?;
    let release: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !release.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    let family = if name == "centos" || name == "centos linux" {
        "centos"
    } else if name.starts_with("rocky") {
        "rocky"
    } else if name.starts_with("alma") {
        "alma"
    } else if name.starts_with("oracle") {
        "oracle"
    } else if name.starts_with("fedora") {
        "fedora"
    } else {
        "redhat"
    };
    Some(Os {
        family: family.into(),
        release,
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
        assert!(from_os_release("ID=wolfi\n").is_none(), "no VERSION_ID");
        let family = |text: &str| from_os_release(text).map(|os| os.family);
        assert_eq!(
            family("ID=opensuse\nVERSION_ID=42.3").as_deref(),
            Some("opensuse-leap")
        );
        assert_eq!(
            family("ID=sl-micro\nVERSION_ID=6.0").as_deref(),
            Some("slem")
        );
        assert_eq!(
            family("ID=mariner\nVERSION_ID=1.0").as_deref(),
            Some("cbl-mariner")
        );
        assert_eq!(
            family("NAME=\"CentOS Stream\"\nID=centos\nVERSION_ID=9").as_deref(),
            Some("centos-stream")
        );
        assert!(from_os_release("NAME=x\n").is_none());
    }

    #[test]
    fn red_hat_release_files_name_family_and_full_version() {
        let os = |t: &str| from_redhat_release(t).map(|o| format!("{} {}", o.family, o.release));
        assert_eq!(
            os("CentOS Linux release 7.6.1810 (Core)\n").as_deref(),
            Some("centos 7.6.1810")
        );
        assert_eq!(
            os("CentOS release 6.10 (Final)").as_deref(),
            Some("centos 6.10")
        );
        assert_eq!(
            os("Red Hat Enterprise Linux Server release 7.7 (Maipo)").as_deref(),
            Some("redhat 7.7")
        );
        assert_eq!(
            os("Rocky Linux release 8.4 (Green Obsidian)").as_deref(),
            Some("rocky 8.4")
        );
        assert_eq!(os("no release here"), None);
        assert_eq!(os("X release beta"), None);
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
