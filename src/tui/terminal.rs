//! The terminal: raw mode and the alternate screen, restored whatever happens (also on a
//! panic), and the thread that turns terminal input into events.

use super::app::Event;
use crossterm::event::{
    self as term_event, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, KeyCode,
    KeyEvent, KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::sync::mpsc::Sender;

/// Restores the terminal when dropped, whatever happened.
pub struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

fn restore(mouse: bool) {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
}

/// Takes the terminal: raw mode, the alternate screen, the mouse when asked; a panic
/// restores it before its message is printed.
pub fn take(
    mouse: bool,
) -> Result<(Terminal<CrosstermBackend<std::io::Stdout>>, TerminalGuard), String> {
    enable_raw_mode().map_err(|e| format!("cannot use the terminal: {e}"))?;
    let guard = TerminalGuard { mouse };
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(mouse);
        previous_hook(info);
    }));
    let mut stdout = std::io::stdout();
    execute!(stdout, EnterAlternateScreen).map_err(|e| e.to_string())?;
    if mouse {
        execute!(stdout, EnableMouseCapture).map_err(|e| e.to_string())?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(stdout)).map_err(|e| e.to_string())?;
    Ok((terminal, guard))
}

/// Reads terminal input on its own thread and sends it as events.
pub fn spawn_input(tx: Sender<Event>) {
    std::thread::spawn(move || {
        loop {
            let event = match term_event::read() {
                Ok(TermEvent::Key(k)) if k.kind != crossterm::event::KeyEventKind::Release => {
                    Event::Key(k)
                }
                Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                // With --mouse, the wheel scrolls like j/k.
                Ok(TermEvent::Mouse(m)) => match m.kind {
                    MouseEventKind::ScrollDown => {
                        Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))
                    }
                    MouseEventKind::ScrollUp => {
                        Event::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE))
                    }
                    _ => continue,
                },
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
}
