//! Pod Security levels and policy versions, parsed exactly as the admission plugin parses
//! namespace labels.

use std::fmt;
use std::str::FromStr;

/// The newest policy version this build knows (`latest` evaluates as this, unless clamped
/// to an older API server).
pub const NEWEST_MINOR: u32 = 37;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    /// Case-sensitive, as in the reference: `Restricted` is not a level.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(format!(
                "invalid level {s:?}: must be privileged, baseline or restricted"
            )),
        }
    }
}

/// A policy version: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    Minor(u32),
}

impl Version {
    /// The minor version the checks are evaluated at: `latest` and anything newer than this
    /// build (or than the API server, when known) are clamped, as the reference does.
    pub fn effective_minor(self, server_minor: Option<u32>) -> u32 {
        let max = server_minor.map_or(NEWEST_MINOR, |s| s.min(NEWEST_MINOR));
        match self {
            Version::Latest => max,
            Version::Minor(m) => m.min(max),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

impl FromStr for Version {
    type Err = String;
    /// `latest` or `v1.N` with no leading zero (`v1.05` and `1.30` are invalid).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let invalid = || format!("invalid version {s:?}: must be latest or v1.N (such as v1.30)");
        let minor = s.strip_prefix("v1.").ok_or_else(invalid)?;
        let well_formed = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !well_formed {
            return Err(invalid());
        }
        minor.parse().map(Version::Minor).map_err(|_| invalid())
    }
}

/// A level at a version, such as `restricted:v1.30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    pub level: Level,
    pub version: Version,
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_like_the_admission_plugin() {
        assert_eq!("latest".parse(), Ok(Version::Latest));
        assert_eq!("v1.0".parse(), Ok(Version::Minor(0)));
        assert_eq!("v1.30".parse(), Ok(Version::Minor(30)));
        for bad in ["v1.05", "1.30", "v2.1", "v1.", "V1.3", "v1.3a", ""] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert!("Restricted".parse::<Level>().is_err());
    }

    #[test]
    fn clamps_to_newest_and_to_server() {
        assert_eq!(Version::Latest.effective_minor(None), NEWEST_MINOR);
        assert_eq!(Version::Minor(99).effective_minor(None), NEWEST_MINOR);
        assert_eq!(Version::Latest.effective_minor(Some(32)), 32);
        assert_eq!(Version::Minor(36).effective_minor(Some(32)), 32);
        assert_eq!(Version::Minor(20).effective_minor(Some(32)), 20);
    }
}
