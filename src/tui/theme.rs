//! Colours. Severity always also has a word, so `mono` (and `NO_COLOR`) lose nothing.

use crate::severity::Severity;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Dark,
    Light,
    Mono,
}

impl std::str::FromStr for ThemeName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dark" => Ok(ThemeName::Dark),
            "light" => Ok(ThemeName::Light),
            "mono" => Ok(ThemeName::Mono),
            _ => Err(format!("unknown theme {s:?}: use dark, light or mono")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub name: ThemeName,
    pub base: Style,
    pub header: Style,
    pub title: Style,
    pub border: Style,
    pub selected: Style,
    pub dim: Style,
    pub key: Style,
    pub highlight: Style,
    pub good: Style,
    pub bad: Style,
}

impl Theme {
    pub fn new(name: ThemeName) -> Self {
        let plain = Style::default();
        match name {
            // Default foreground and background: the terminal's own, as k9s users ask for.
            ThemeName::Dark => Theme {
                name,
                base: plain,
                header: Style::default().fg(Color::Cyan),
                title: Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
                border: Style::default().fg(Color::DarkGray),
                selected: Style::default().add_modifier(Modifier::REVERSED),
                dim: Style::default().fg(Color::DarkGray),
                key: Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                highlight: Style::default().fg(Color::Black).bg(Color::Yellow),
                good: Style::default().fg(Color::Green),
                bad: Style::default().fg(Color::Red),
            },
            ThemeName::Light => Theme {
                name,
                base: plain,
                header: Style::default().fg(Color::Blue),
                title: Style::default()
                    .fg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
                border: Style::default().fg(Color::Gray),
                selected: Style::default().add_modifier(Modifier::REVERSED),
                dim: Style::default().fg(Color::Gray),
                key: Style::default()
                    .fg(Color::Magenta)
                    .add_modifier(Modifier::BOLD),
                highlight: Style::default().fg(Color::Black).bg(Color::LightYellow),
                good: Style::default().fg(Color::Green),
                bad: Style::default().fg(Color::Red),
            },
            ThemeName::Mono => Theme {
                name,
                base: plain,
                header: plain.add_modifier(Modifier::BOLD),
                title: plain.add_modifier(Modifier::BOLD),
                border: plain,
                selected: plain.add_modifier(Modifier::REVERSED),
                dim: plain,
                key: plain.add_modifier(Modifier::BOLD),
                highlight: plain.add_modifier(Modifier::REVERSED),
                good: plain,
                bad: plain.add_modifier(Modifier::BOLD),
            },
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        if self.name == ThemeName::Mono {
            return if s >= Severity::High {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
        }
        match s {
            Severity::Critical => Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            Severity::High => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Medium => Style::default().fg(Color::Yellow),
            Severity::Low => Style::default().fg(Color::Blue),
            Severity::Info => Style::default().fg(Color::DarkGray),
        }
    }

    pub fn grade(&self, grade: Option<char>) -> Style {
        match grade {
            Some('A' | 'B') => self.good,
            Some('E' | 'F') => self.bad,
            _ => self.base,
        }
    }
}
