//! `kaudit image scan`: one image's known vulnerabilities; `kaudit image verify`: images'
//! signatures.

use super::{
    EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, ImageFormat, ImageScanArgs, ImageVerifyArgs,
    TextOrJson,
};
use crate::registry::{auth, client::RemoteOptions};
use crate::report::image_scan;
use crate::session::image_scan::{self as scanning, Databases, Options, Target};
use crate::vuln::severity;
use std::io::Write;

pub fn scan(args: &ImageScanArgs) -> anyhow::Result<u8> {
    let cache = args.store.dir.cache_dir();
    let databases = Databases::open(
        args.vuln_db.trivy_db.as_deref(),
        args.vuln_db.java_db.as_deref(),
        cache.as_deref(),
    )
    .map_err(anyhow::Error::msg)?;
    let target = if let Some(reference) = &args.reference {
        Target::Reference(reference.clone())
    } else if let Some(dir) = &args.oci_layout {
        Target::Layout(dir.clone())
    } else if let Some(file) = &args.image_tar {
        Target::Archive(file.clone())
    } else {
        Target::Rootfs(args.rootfs.clone().unwrap_or_default())
    };
    let credentials = match &args.reference {
        Some(reference) => {
            let registry = crate::image_ref::ImageRef::parse(reference)
                .map(|r| r.registry)
                .unwrap_or_default();
            auth::from_docker_config(&registry).map_err(anyhow::Error::msg)?
        }
        None => auth::Credentials::Anonymous,
    };
    let options = Options {
        platform: args.platform.platform(),
        remote: RemoteOptions {
            insecure: args.registry.insecure_registry.clone(),
            timeout: args.registry.timeout(),
            credentials,
        },
        store: args.store.used_path(),
    };
    let (read, cached) = scanning::read(&target, &options).map_err(anyhow::Error::msg)?;
    let scan = scanning::scan(
        target.describe(),
        read,
        cached,
        &databases,
        &crate::time::today(),
        options.store.as_deref().filter(|_| target.caches()),
    )
    .map_err(anyhow::Error::msg)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ImageFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &scan)?;
            writeln!(out)?;
        }
        ImageFormat::Text => out.write_all(image_scan::text(&scan).as_bytes())?,
        ImageFormat::Md => out.write_all(image_scan::markdown(&scan).as_bytes())?,
        ImageFormat::Sarif => {
            serde_json::to_writer_pretty(&mut out, &image_scan::sarif(&scan))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let Some(threshold) = args.fail_on
        && scan
            .vulnerabilities
            .iter()
            .any(|v| severity(v.severity) >= threshold)
    {
        return Ok(EXIT_FINDINGS);
    }
    Ok(EXIT_OK)
}

pub fn verify(args: &ImageVerifyArgs) -> anyhow::Result<u8> {
    let (given, remote) = (&args.trust, &args.registry);
    use crate::signatures::{Status, discover, keyless::TrustRoot, keys::TrustedKey, trust};
    let identity = given.identity()?;
    if given.keys.is_empty() && identity.is_none() {
        anyhow::bail!(
            "give what to trust: public keys with --key FILE (cosign.pub), or a keyless signer with --certificate-identity and --certificate-oidc-issuer"
        );
    }
    let keys = given
        .keys
        .iter()
        .map(|path| TrustedKey::load(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let root = TrustRoot::chosen(given.trusted_root.as_deref()).map_err(anyhow::Error::msg)?;
    let trust = trust::Trust {
        keys,
        identities: identity.into_iter().collect(),
        root: Some(std::sync::Arc::new(root)),
    };
    let mut verdicts = Vec::new();
    for reference in &args.references {
        let registry = crate::image_ref::ImageRef::parse(reference)
            .map(|r| r.registry)
            .unwrap_or_default();
        let credentials = auth::from_docker_config(&registry).map_err(anyhow::Error::msg)?;
        let options = RemoteOptions {
            insecure: remote.insecure_registry.clone(),
            timeout: remote.timeout(),
            credentials,
        };
        verdicts.push(discover::verify(
            reference,
            &trust,
            &args.platform.platform(),
            options,
        ));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &verdicts)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            out.write_all(crate::report::image_verify::text(&verdicts).as_bytes())?
        }
    }
    out.flush()?;
    let failed = verdicts.iter().any(|v| {
        matches!(
            v.status,
            Status::Unverified | Status::Invalid | Status::Unsigned
        )
    });
    Ok(if failed {
        EXIT_FINDINGS
    } else if verdicts.iter().any(|v| v.status == Status::Error) {
        EXIT_INCOMPLETE
    } else {
        EXIT_OK
    })
}
