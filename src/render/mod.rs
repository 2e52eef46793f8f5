//! Renderers: turn gathered facts (and, later, findings) into text for people or programs.
//! They never decide what is good or bad; they only show what they are given.

pub mod check;
pub mod connectivity;
pub mod diagnose;
pub mod findings;
pub mod health;
pub mod style;
pub mod update;
