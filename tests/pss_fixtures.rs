//! kaudit's own PSS fixtures for what the upstream corpus does not cover: AppArmor fields,
//! ephemeral containers, Windows pods at v1.24-v1.29, Deployment and CronJob templates,
//! seccomp annotations before v1.19 and hostNetwork hostPort defaulting. Messages are
//! compared byte for byte with what the reference implementation prints.

use std::process::Command;

fn pss(level: &str, version: &str, file: &str, extra: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["pss", "--level", level, "--version", version])
        .args(extra)
        .arg(format!(
            "{}/tests/fixtures/pss/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .output()
        .expect("run kaudit");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The verdict printed for the object named `name` (text after `kind ns/name: `).
fn verdict(output: &str, name: &str) -> String {
    let line = output
        .lines()
        .find(|l| l.contains(&format!(" {name}: ")))
        .unwrap_or_else(|| panic!("{name} not in {output}"));
    line.split_once(&format!(" {name}: "))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

#[test]
fn apparmor_fields_and_annotations_at_every_version() {
    for version in ["v1.0", "v1.24", "latest"] {
        let (out, code) = pss("baseline", version, "apparmor-fields.yaml", &[]);
        assert_eq!(code, 1);
        assert_eq!(
            verdict(&out, "apparmor-fields"),
            format!(
                "violates PodSecurity \"baseline:{version}\": forbidden AppArmor profiles (pod and container \"sidecar\" and annotation must not set AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\")"
            )
        );
    }
}

#[test]
fn ephemeral_containers_are_checked_after_the_others() {
    let (out, _) = pss("restricted", "latest", "ephemeral.yaml", &[]);
    assert_eq!(
        verdict(&out, "with-debugger"),
        "violates PodSecurity \"restricted:latest\": privileged (container \"debugger-x7k2p\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container \"debugger-x7k2p\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"debugger-x7k2p\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"debugger-x7k2p\" must not include \"SYS_PTRACE\" in securityContext.capabilities.add)"
    );
}

#[test]
fn windows_pods_are_exempt_from_three_checks_from_v1_25() {
    let (out, _) = pss("restricted", "v1.24", "windows.yaml", &[]);
    assert!(
        verdict(&out, "windows-app").contains("allowPrivilegeEscalation != false"),
        "{out}"
    );
    for version in ["v1.25", "v1.28"] {
        let (out, _) = pss("restricted", version, "windows.yaml", &[]);
        assert_eq!(
            verdict(&out, "windows-app"),
            format!(
                "violates PodSecurity \"restricted:{version}\": runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)"
            )
        );
    }
    let (out, code) = pss("baseline", "v1.25", "windows.yaml", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        verdict(&out, "windows-app"),
        "allowed by PodSecurity \"baseline:v1.25\""
    );
}

#[test]
fn controllers_use_their_pod_template_and_its_annotations() {
    let (out, _) = pss("baseline", "v1.18", "deployment-template.yaml", &[]);
    // The Deployment's own AppArmor annotation is ignored; the template's seccomp annotation counts before v1.19.
    assert_eq!(
        verdict(&out, "shop/web"),
        "would violate PodSecurity \"baseline:v1.18\": host namespaces (hostPID=true, hostIPC=true), hostPort (container \"web\" uses hostPorts 443, 80), seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"
    );
    let (out, _) = pss("baseline", "v1.19", "deployment-template.yaml", &[]);
    assert!(
        !verdict(&out, "shop/web").contains("seccompProfile"),
        "{out}"
    );
    let (out, _) = pss("restricted", "latest", "deployment-template.yaml", &[]);
    // The source-less volume "scratch" is defaulted to emptyDir and allowed.
    assert_eq!(
        verdict(&out, "shop/backup"),
        "would violate PodSecurity \"restricted:latest\": forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/backup=\"unconfined\"\"), allowPrivilegeEscalation != false (container \"backup\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"backup\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"backup\" must not include \"CHOWN\", \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add), restricted volume types (volume \"data\" uses restricted volume type \"hostPath\"), runAsNonRoot != true (pod or container \"backup\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"backup\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
    );
}

#[test]
fn host_network_host_ports_are_defaulted_only_on_live_objects() {
    let (out, _) = pss("baseline", "latest", "host-network.yaml", &[]);
    assert_eq!(
        verdict(&out, "agent"),
        "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)"
    );
    let (out, _) = pss("baseline", "latest", "host-network.yaml", &["--live"]);
    assert_eq!(
        verdict(&out, "agent"),
        "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), hostPort (container \"agent\" uses hostPort 9100)"
    );
}

#[test]
fn json_lines_follow_the_contract() {
    let (out, _) = pss(
        "restricted",
        "v1.30",
        "deployment-template.yaml",
        &["--format", "json"],
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    let web = &lines[0];
    assert_eq!(web["kind"], "Deployment");
    assert_eq!(web["namespace"], "shop");
    assert_eq!(web["name"], "web");
    assert_eq!(web["level"], "restricted");
    assert_eq!(web["version"], "v1.30");
    assert_eq!(web["allowed"], false);
    assert_eq!(
        web["reasons"][0],
        "host namespaces (hostPID=true, hostIPC=true)"
    );
    assert!(
        web["path"]
            .as_str()
            .unwrap()
            .ends_with("deployment-template.yaml")
    );
}
