pub mod apiserver;
pub mod tmux;
