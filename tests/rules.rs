//! Rule semantics, one small manifest at a time: each rule fires where it should and stays
//! quiet where it should not.

use kaudit::checks::{self, ScanConfig};
use kaudit::findings::Finding;
use kaudit::inventory::input::Loaded;
use kaudit::inventory::{SourceInfo, build};
use kaudit::sources::manifests::load_text;

fn scan_with(yaml: &str, complete: bool, allowed: &[&str]) -> Vec<Finding> {
    let mut loaded = Loaded::default();
    load_text("t.yaml", yaml, &mut loaded);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let source = SourceInfo::new("manifests", "test", complete, false);
    let inv = build::from_loaded(source, loaded);
    assert!(inv.errors.is_empty(), "{:?}", inv.errors);
    let config = ScanConfig {
        allowed_registries: allowed.iter().map(|s| s.to_string()).collect(),
        ..ScanConfig::default()
    };
    checks::run_all(&inv, &config).0.findings
}

fn scan(yaml: &str) -> Vec<Finding> {
    scan_with(yaml, false, &[])
}

fn fired(findings: &[Finding], rule: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.message().into_owned())
        .collect()
}

fn pod(spec: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: apps\nspec:\n{spec}")
}

#[test]
fn root_user_rules_follow_effective_security_context() {
    // Pod-level runAsNonRoot covers containers.
    let f = scan(&pod(
        "  securityContext: {runAsNonRoot: true}\n  containers: [{name: a, image: x}]\n",
    ));
    assert!(fired(&f, "POD003").is_empty());
    // A container-level runAsUser: 0 overrides the pod's non-root user.
    let f = scan(&pod(
        "  securityContext: {runAsUser: 1000}\n  containers: [{name: a, image: x, securityContext: {runAsUser: 0}}]\n",
    ));
    let m = fired(&f, "POD003");
    assert_eq!(m.len(), 1);
    assert!(m[0].contains("runs as UID 0"), "{m:?}");
    assert_eq!(
        f.iter().find(|x| x.rule_id == "POD003").unwrap().severity,
        kaudit::severity::Severity::High
    );
    // Nothing set: the image decides, which may be root.
    let f = scan(&pod("  containers: [{name: a, image: x}]\n"));
    assert!(fired(&f, "POD003")[0].contains("may run as root"));
}

#[test]
fn ids_below_10000_and_unset_ids() {
    let f = scan(&pod(
        "  securityContext: {runAsUser: 10001, runAsGroup: 10001}\n  containers: [{name: a, image: x}]\n",
    ));
    assert!(fired(&f, "POD004").is_empty());
    let f = scan(&pod(
        "  securityContext: {runAsUser: 1000}\n  containers: [{name: a, image: x}]\n",
    ));
    let m = fired(&f, "POD004");
    assert!(
        m[0].contains("runAsUser=1000") && m[0].contains("runAsGroup not set"),
        "{m:?}"
    );
    // The evidence points where each value is set (or would be): the pod's low UID at the
    // pod, the missing GID at the container.
    let paths = |f: &[Finding]| -> Vec<(String, String)> {
        f.iter()
            .filter(|x| x.rule_id == "POD004")
            .flat_map(|x| x.evidence.iter().map(|e| (e.path(), e.value.to_string())))
            .collect()
    };
    assert_eq!(
        paths(&f),
        [
            ("spec.securityContext.runAsUser".into(), "1000".into()),
            (
                "spec.containers[0].securityContext".into(),
                "runAsGroup not set".into()
            ),
        ]
    );
    let f = scan(&pod(
        "  securityContext: {runAsUser: 20000}\n  containers: [{name: a, image: x, securityContext: {runAsUser: 5, runAsGroup: 6}}]\n",
    ));
    assert_eq!(
        paths(&f),
        [
            (
                "spec.containers[0].securityContext.runAsUser".into(),
                "5".into()
            ),
            (
                "spec.containers[0].securityContext.runAsGroup".into(),
                "6".into()
            ),
        ],
        "the container's values win over the pod's"
    );
}

#[test]
fn capabilities_are_normalized() {
    let f = scan(&pod(
        "  containers: [{name: a, image: x, securityContext: {capabilities: {add: [cap_sys_admin], drop: [all]}}}]\n",
    ));
    assert_eq!(
        fired(&f, "POD007").len(),
        1,
        "CAP_ prefix and case do not hide SYS_ADMIN"
    );
    assert!(
        fired(&f, "POD006").is_empty(),
        "drop: [all] drops NET_RAW for the runtime"
    );
    let f = scan(&pod(
        "  containers: [{name: a, image: x, securityContext: {capabilities: {drop: [NET_RAW], add: [NET_BIND_SERVICE]}}}]\n",
    ));
    assert!(fired(&f, "POD006").is_empty() && fired(&f, "POD007").is_empty());
}

#[test]
fn host_paths_sockets_sensitive_and_writable() {
    let spec = "  volumes:\n  - {name: sock, hostPath: {path: /run/containerd/containerd.sock}}\n  - {name: etc, hostPath: {path: /etc/../etc/}}\n  - {name: data, hostPath: {path: /srv/data}}\n  containers:\n  - name: a\n    image: x\n    volumeMounts:\n    - {name: etc, mountPath: /host/etc, readOnly: true}\n    - {name: data, mountPath: /data}\n";
    let f = scan(&pod(spec));
    assert_eq!(fired(&f, "POD008").len(), 1);
    let sensitive = fired(&f, "POD009");
    assert_eq!(sensitive.len(), 1);
    assert!(sensitive[0].contains("/etc/../etc/"), "{sensitive:?}");
    let writable = fired(&f, "POD010");
    assert_eq!(writable.len(), 1, "only the mount without readOnly");
    assert!(writable[0].contains("/srv/data"));
}

#[test]
fn service_account_token_follows_pod_then_service_account() {
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: apps}\nautomountServiceAccountToken: false\n---\n";
    let f = scan(&format!(
        "{sa}{}",
        pod("  serviceAccountName: app\n  containers: [{name: a, image: x}]\n")
    ));
    assert!(
        fired(&f, "POD011").is_empty(),
        "the service account disables it"
    );
    assert!(fired(&f, "POD012").is_empty());
    let f = scan(&format!(
        "{sa}{}",
        pod(
            "  serviceAccountName: app\n  automountServiceAccountToken: true\n  containers: [{name: a, image: x}]\n"
        )
    ));
    assert_eq!(fired(&f, "POD011").len(), 1, "the pod re-enables it");
    let f = scan(&pod("  containers: [{name: a, image: x}]\n"));
    assert_eq!(fired(&f, "POD012").len(), 1);
}

#[test]
fn image_rules() {
    let spec = "  containers:\n  - {name: a, image: nginx}\n  - {name: b, image: 'nginx:1.27', imagePullPolicy: Always}\n  - {name: c, image: 'registry.example.com/app:1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', imagePullPolicy: IfNotPresent}\n  - {name: d, image: 'nginx:1.27'}\n";
    let f = scan_with(&pod(spec), false, &["registry.example.com"]);
    let containers = |rule: &str| -> Vec<String> {
        f.iter()
            .filter(|x| x.rule_id == rule)
            .map(|x| {
                x.subject
                    .container
                    .as_deref()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(containers("IMG001"), ["a"]);
    assert_eq!(containers("IMG002"), ["a", "b", "d"]);
    assert_eq!(containers("IMG003"), ["a", "b", "d"]);
    // a: no tag defaults to Always; d: a tag defaults to IfNotPresent.
    assert_eq!(containers("IMG004"), ["d"]);
    let none = scan(&pod(spec));
    assert!(
        fired(&none, "IMG003").is_empty(),
        "no allow-list: not evaluated, never a pass or a fail"
    );
}

#[test]
fn network_policies_need_to_select_all_pods() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n---\n";
    let partial = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: apps}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n---\n";
    let f = scan_with(
        &format!(
            "{ns}{partial}{}",
            pod("  containers: [{name: a, image: x}]\n")
        ),
        true,
        &[],
    );
    assert!(fired(&f, "NET001")[0].contains("none selects all pods"));
    let deny = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: apps}\nspec:\n  podSelector: {}\n---\n";
    let f = scan_with(
        &format!("{ns}{deny}{}", pod("  containers: [{name: a, image: x}]\n")),
        true,
        &[],
    );
    assert!(
        fired(&f, "NET001").is_empty(),
        "no policyTypes means Ingress"
    );
    // A partial manifest set without any NetworkPolicy cannot tell.
    let f = scan(&format!(
        "{ns}{}",
        pod("  containers: [{name: a, image: x}]\n")
    ));
    assert!(fired(&f, "NET001").is_empty());
}

#[test]
fn rbac_grants_through_bindings() {
    let rbac = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list"]
- apiGroups: [""]
  resources: ["pods/*"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["one"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
- {kind: Group, name: devs}
- {kind: Group, name: "system:masters"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:public"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects:
- {kind: Group, name: "system:unauthenticated"}
"#;
    let f = scan(rbac);
    let secrets = fired(&f, "RBAC003");
    assert_eq!(secrets.len(), 2, "{secrets:?}");
    assert!(
        secrets
            .iter()
            .any(|m| m.starts_with("Group devs can read secrets in namespace apps")),
        "{secrets:?}"
    );
    assert!(
        !secrets.iter().any(|m| m.contains("system:masters")),
        "system groups are not reported"
    );
    let anonymous = f
        .iter()
        .find(|x| x.rule_id == "RBAC003" && x.message().contains("system:unauthenticated"))
        .expect("anonymous grant reported even on a system: binding");
    assert_eq!(anonymous.severity, kaudit::severity::Severity::Critical);
    assert_eq!(fired(&f, "RBAC004").len(), 2, "pods/* covers pods/exec");
    assert!(
        fired(&f, "RBAC008").iter().all(|m| !m.contains("devs")),
        "a RoleBinding outside kube-system cannot create pods there"
    );
}

fn ingress(spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n{spec}"
    )
}

#[test]
fn ingress_hosts_are_served_over_tls_with_a_certificate_of_their_own() {
    let rule = "  rules:\n  - host: shop.acme.example\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n";
    // No TLS at all.
    let m = fired(&scan(&ingress(rule)), "NET002");
    assert_eq!(m.len(), 1);
    assert!(
        m[0].contains("plain HTTP only") && m[0].contains("shop.acme.example"),
        "{m:?}"
    );
    // TLS for the host, with its Secret: quiet.
    let tls = "  tls:\n  - hosts: [shop.acme.example]\n    secretName: shop-tls\n";
    assert!(fired(&scan(&ingress(&format!("{tls}{rule}"))), "NET002").is_empty());
    // A wildcard certificate covers one label.
    let wildcard = "  tls:\n  - hosts: ['*.acme.example']\n    secretName: acme-wildcard\n";
    assert!(fired(&scan(&ingress(&format!("{wildcard}{rule}"))), "NET002").is_empty());
    // TLS for another host leaves this one in the clear.
    let other = "  tls:\n  - hosts: [api.acme.example]\n    secretName: api-tls\n";
    let m = fired(&scan(&ingress(&format!("{other}{rule}"))), "NET002");
    assert!(
        m[0].contains("serves shop.acme.example without TLS"),
        "{m:?}"
    );
    // No secretName: the controller's default certificate.
    let nosecret = "  tls:\n  - hosts: [shop.acme.example]\n";
    let m = fired(&scan(&ingress(&format!("{nosecret}{rule}"))), "NET002");
    assert!(m[0].contains("names no secretName"), "{m:?}");
    // Nothing routed: nothing served.
    assert!(fired(&scan(&ingress("  ingressClassName: nginx\n")), "NET002").is_empty());
    // Only a default backend answers every host in the clear.
    let m = fired(
        &scan(&ingress(
            "  defaultBackend: {service: {name: web, port: {number: 80}}}\n",
        )),
        "NET002",
    );
    assert!(m[0].contains("every host"), "{m:?}");
}
