//! API server audit logs: the event model and a streaming reader. Detections come next.

pub mod event;
pub mod reader;
