//! One view over init, regular and ephemeral containers.
//!
//! The Pod Security Standards and most least-privilege checks look at every container a pod
//! can run, in the order the reference implementation visits them: init containers, then
//! containers, then ephemeral containers.

use k8s_openapi::api::core::v1::{
    ContainerPort, EnvFromSource, EnvVar, Lifecycle, PodSpec, Probe, ResourceRequirements,
    SecurityContext, VolumeMount,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    /// The field of the pod spec that holds containers of this kind.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// Borrowed fields of one container of any kind.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRef<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    /// Position in visit order over all kinds (matches `Workload::container_ids`).
    pub pos: usize,
    pub name: &'a str,
    pub image: Option<&'a str>,
    pub image_pull_policy: Option<&'a str>,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    pub env: &'a [EnvVar],
    pub env_from: &'a [EnvFromSource],
    pub volume_mounts: &'a [VolumeMount],
    pub resources: Option<&'a ResourceRequirements>,
    pub probes: [Option<&'a Probe>; 3],
    pub lifecycle: Option<&'a Lifecycle>,
}

impl ContainerRef<'_> {
    /// JSON pointer (relative to the pod) of this container, e.g. `/spec/containers/1`;
    /// displayed, not built, as it is mostly a prefix of a longer pointer.
    pub fn pointer(&self) -> ContainerPointer {
        ContainerPointer {
            kind: self.kind,
            index: self.index,
        }
    }
}

/// A container's JSON pointer inside its pod, written out by `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerPointer {
    kind: ContainerKind,
    index: usize,
}

impl std::fmt::Display for ContainerPointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/spec/{}/{}", self.kind.field(), self.index)
    }
}

fn slice<T>(v: &Option<Vec<T>>) -> &[T] {
    v.as_deref().unwrap_or(&[])
}

/// Builds a [`ContainerRef`] from `Container` or `EphemeralContainer`, which share these
/// fields but no trait.
macro_rules! container_ref {
    ($kind:expr, $index:expr, $pos:expr, $c:expr) => {
        ContainerRef {
            kind: $kind,
            index: $index,
            pos: $pos,
            name: &$c.name,
            image: $c.image.as_deref(),
            image_pull_policy: $c.image_pull_policy.as_deref(),
            security_context: $c.security_context.as_ref(),
            ports: slice(&$c.ports),
            env: slice(&$c.env),
            env_from: slice(&$c.env_from),
            volume_mounts: slice(&$c.volume_mounts),
            resources: $c.resources.as_ref(),
            probes: [
                $c.liveness_probe.as_ref(),
                $c.readiness_probe.as_ref(),
                $c.startup_probe.as_ref(),
            ],
            lifecycle: $c.lifecycle.as_ref(),
        }
    };
}

/// Every container of a pod, in reference visiting order.
pub fn containers(spec: &PodSpec) -> Vec<ContainerRef<'_>> {
    let mut out = Vec::with_capacity(spec.containers.len() + 2);
    for (i, c) in slice(&spec.init_containers).iter().enumerate() {
        out.push(container_ref!(ContainerKind::Init, i, out.len(), c));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        out.push(container_ref!(ContainerKind::Regular, i, out.len(), c));
    }
    for (i, c) in slice(&spec.ephemeral_containers).iter().enumerate() {
        out.push(container_ref!(ContainerKind::Ephemeral, i, out.len(), c));
    }
    out
}
