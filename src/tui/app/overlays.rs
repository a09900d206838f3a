//! Keys while text is typed (command, filter, reason) or an overlay (help, export) is open.

use super::{App, Effect, ExportFormat, ExportScope, Input, Overlay};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(super) fn on_input_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let input = std::mem::replace(&mut self.input, Input::None);
        match (input, key.code) {
            (Input::Filter(_), KeyCode::Esc) => {
                // Esc while filtering drops the filter, as k9s does.
                if let Some(p) = self.active_pane() {
                    self.pane_mut(p).filter.clear();
                    self.refresh(p);
                }
                None
            }
            (_, KeyCode::Esc) => None,
            (Input::Decide(form), _) => self.on_decision_key(*form, key),
            (Input::Filter(mut text), code) => {
                let done = matches!(code, KeyCode::Enter);
                match code {
                    KeyCode::Backspace => {
                        text.pop();
                    }
                    KeyCode::Char(c) => text.push(c),
                    _ => {}
                }
                if let Some(p) = self.active_pane() {
                    self.pane_mut(p).filter = text.clone();
                    self.pane_mut(p).selected = 0;
                    self.refresh(p);
                }
                if !done {
                    self.input = Input::Filter(text);
                }
                None
            }
            (Input::Command(mut text), code) => match code {
                KeyCode::Enter => self.run_command(text.trim()),
                KeyCode::Tab => {
                    text = self.complete(&text);
                    self.input = Input::Command(text);
                    None
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.input = Input::Command(text);
                    None
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.input = Input::Command(text);
                    None
                }
                _ => {
                    self.input = Input::Command(text);
                    None
                }
            },
            (Input::Reason { finding, mut text }, code) => match code {
                KeyCode::Enter if !text.trim().is_empty() => Some(Effect::Suppress {
                    finding,
                    reason: text.trim().to_string(),
                }),
                KeyCode::Enter => {
                    self.status = Some("a reason is required to suppress a finding".into());
                    self.input = Input::Reason { finding, text };
                    None
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.input = Input::Reason { finding, text };
                    None
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.input = Input::Reason { finding, text };
                    None
                }
                _ => {
                    self.input = Input::Reason { finding, text };
                    None
                }
            },
            (Input::None, _) => None,
        }
    }

    pub(super) fn on_overlay_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match (&mut self.overlay, key.code) {
            (_, KeyCode::Esc) | (Overlay::Help { .. }, KeyCode::Char('?' | 'q')) => {
                self.overlay = Overlay::None;
                None
            }
            (Overlay::Help { scroll }, KeyCode::Down | KeyCode::Char('j')) => {
                *scroll = (*scroll + 1).min(help_max_scroll(&self.theme, self.size));
                None
            }
            (Overlay::Help { scroll }, KeyCode::End | KeyCode::Char('G')) => {
                // The last screenful, so `k` then moves at once.
                *scroll = help_max_scroll(&self.theme, self.size);
                None
            }
            (Overlay::Help { scroll }, KeyCode::Home | KeyCode::Char('g')) => {
                *scroll = 0;
                None
            }
            (Overlay::Help { scroll }, KeyCode::Up | KeyCode::Char('k')) => {
                *scroll = scroll.saturating_sub(1);
                None
            }
            (
                Overlay::Export { field, .. },
                KeyCode::Tab | KeyCode::Down | KeyCode::Up | KeyCode::BackTab,
            ) => {
                *field = 1 - *field;
                None
            }
            (
                Overlay::Export {
                    format,
                    scope,
                    field,
                },
                KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l'),
            ) => {
                let forward = matches!(key.code, KeyCode::Right | KeyCode::Char('l'));
                if *field == 0 {
                    *format = cycle(&ExportFormat::ALL, *format, forward);
                } else {
                    *scope = cycle(&ExportScope::ALL, *scope, forward);
                }
                None
            }
            (Overlay::Export { format, scope, .. }, KeyCode::Enter) => {
                let (format, scope) = (*format, *scope);
                self.overlay = Overlay::None;
                let findings = match scope {
                    ExportScope::Everything => None,
                    ExportScope::ThisView => Some(self.view_findings(false)),
                    ExportScope::ThisFilter => Some(self.view_findings(true)),
                };
                Some(Effect::Export {
                    format,
                    findings,
                    scope,
                })
            }
            _ => None,
        }
    }
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: T, forward: bool) -> T {
    let i = all.iter().position(|x| *x == current).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

/// How far the help scrolls: its last screenful at the top (the popup fills the view's
/// area, borders included).
fn help_max_scroll(theme: &crate::tui::theme::Theme, size: (u16, u16)) -> u16 {
    let lines = crate::tui::views::overlays::help_lines(theme).len();
    super::max_scroll(lines, super::text_area(size).1)
}
