pub mod containers;
