pub mod app;
pub mod filter;
pub mod keymap;
pub mod model;
pub mod run;
pub mod svg;
pub mod theme;
pub mod ui;
mod views;
