//! The one keymap table: key dispatch, the footer's hints and the `?` help all read it, so
//! they never drift apart. Keys follow k9s where k9s has a key for the job.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does, independent of which key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Back,
    Previous,
    NextView,
    PrevView,
    Command,
    Filter,
    Help,
    Yaml,
    Export,
    Suppress,
    Decide,
    SortSeverity,
    SortRule,
    SortNamespace,
    SortObject,
    ToggleGroup,
    CycleVersion,
    ToggleWorkloads,
    /// The image page: the vulnerability table's next order.
    SortVulnerabilities,
    /// The image page: only vulnerabilities with a fix, or all.
    FixableOnly,
    /// The lab: write the task's scenario into its work folder.
    LabStart,
    /// The lab: grade the task's work folder.
    LabCheck,
    /// The lab: show or hide the task's hint.
    LabHint,
    /// The lab: the findings of the task's rules in the audit on screen.
    LabFindings,
    /// The lab: the rules the task exercises.
    LabRules,
    Reload,
    Quit,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere.
    Global,
    /// Views that show a table.
    Table,
    /// The findings view.
    Findings,
    /// A finding's detail.
    Detail,
    /// The pod security view.
    Pss,
    /// An image's page.
    Image,
    /// The lab's task table and a task's page.
    Lab,
    /// Views that list but do not filter: the dashboard, the audit log, signatures.
    Summary,
    /// A rule's page.
    Rule,
}

/// Every scope with its title in `?` and its name in the README's key table, in the order
/// both list them.
pub const SCOPES: [(Scope, &str, &str); 9] = [
    (Scope::Global, "Everywhere", "everywhere"),
    (Scope::Table, "Tables", "tables"),
    (
        Scope::Summary,
        "Dashboard, audit log, signatures",
        "summary views",
    ),
    (Scope::Findings, "Findings", "findings"),
    (Scope::Detail, "Finding detail", "finding detail"),
    (Scope::Rule, "Rule", "rule"),
    (Scope::Pss, "Pod security", "pod security"),
    (Scope::Image, "Image", "image"),
    (Scope::Lab, "Lab", "lab"),
];

pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    /// As shown in the footer and help.
    pub label: &'static str,
    pub scope: Scope,
    pub action: Action,
    pub help: &'static str,
    /// Short text for the footer; empty keeps the key out of the footer (it is in `?`).
    pub tip: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn b(
    code: KeyCode,
    modifiers: KeyModifiers,
    label: &'static str,
    scope: Scope,
    action: Action,
    help: &'static str,
    tip: &'static str,
) -> Binding {
    Binding {
        code,
        modifiers,
        label,
        scope,
        action,
        help,
        tip,
    }
}

use Action as A;
use KeyCode::{
    BackTab, Char, Down, End, Enter, Esc, Home, PageDown as PgDn, PageUp as PgUp, Tab, Up,
};
use Scope::{Detail, Findings, Global, Image, Lab, Pss, Rule, Summary, Table};

pub static KEYMAP: &[Binding] = &[
    b(
        Enter,
        NONE,
        "enter",
        Table,
        A::Enter,
        "open the selected row",
        "open",
    ),
    b(
        Enter,
        NONE,
        "enter",
        Summary,
        A::Enter,
        "open the selected finding, or list the view's findings",
        "open",
    ),
    b(
        Enter,
        NONE,
        "enter",
        Rule,
        A::Enter,
        "list the rule's findings",
        "findings",
    ),
    b(
        Char('/'),
        NONE,
        "/",
        Table,
        A::Filter,
        "filter rows as you type (fuzzy)",
        "filter",
    ),
    b(
        Char('S'),
        SHIFT,
        "S",
        Findings,
        A::SortSeverity,
        "sort by severity",
        "sort sev",
    ),
    b(
        Char('R'),
        SHIFT,
        "R",
        Findings,
        A::SortRule,
        "sort by rule",
        "sort rule",
    ),
    b(
        Char('N'),
        SHIFT,
        "N",
        Findings,
        A::SortNamespace,
        "sort by namespace",
        "sort ns",
    ),
    b(
        Char('O'),
        SHIFT,
        "O",
        Findings,
        A::SortObject,
        "sort by object",
        "",
    ),
    b(
        Char('t'),
        NONE,
        "t",
        Findings,
        A::ToggleGroup,
        "group findings by rule / flat list",
        "group",
    ),
    b(
        Char('s'),
        NONE,
        "s",
        Findings,
        A::Suppress,
        "suppress the finding with a reason (again: undo)",
        "suppress",
    ),
    b(
        Char('s'),
        NONE,
        "s",
        Detail,
        A::Suppress,
        "suppress the finding with a reason (again: undo)",
        "suppress",
    ),
    b(
        Char('m'),
        NONE,
        "m",
        Findings,
        A::Decide,
        "triage: accepted risk, false positive, will fix",
        "mark",
    ),
    b(
        Char('m'),
        NONE,
        "m",
        Detail,
        A::Decide,
        "triage: accepted risk, false positive, will fix",
        "mark",
    ),
    b(
        Char('y'),
        NONE,
        "y",
        Findings,
        A::Yaml,
        "the object's YAML with the offending fields marked",
        "yaml",
    ),
    b(
        Char('y'),
        NONE,
        "y",
        Detail,
        A::Yaml,
        "jump to the offending field in the YAML",
        "yaml",
    ),
    b(
        Enter,
        NONE,
        "enter",
        Image,
        A::Enter,
        "the image's findings",
        "findings",
    ),
    b(
        Char('s'),
        NONE,
        "s",
        Image,
        A::SortVulnerabilities,
        "order the vulnerabilities: severity, fixable first, package",
        "sort",
    ),
    b(
        Char('f'),
        NONE,
        "f",
        Image,
        A::FixableOnly,
        "only the vulnerabilities with a fix / all",
        "fixable",
    ),
    b(
        Char('v'),
        NONE,
        "v",
        Pss,
        A::CycleVersion,
        "next policy version (latest, v1.37 ... v1.0)",
        "version",
    ),
    b(
        Char('w'),
        NONE,
        "w",
        Pss,
        A::ToggleWorkloads,
        "namespaces / workloads x level",
        "workloads",
    ),
    b(
        Char('s'),
        NONE,
        "s",
        Lab,
        A::LabStart,
        "start the task: write its scenario into its work folder",
        "start",
    ),
    b(
        Char('c'),
        NONE,
        "c",
        Lab,
        A::LabCheck,
        "check the task's work folder (in the background)",
        "check",
    ),
    b(
        Char('h'),
        NONE,
        "h",
        Lab,
        A::LabHint,
        "show / hide the task's hint",
        "hint",
    ),
    b(
        Char('f'),
        NONE,
        "f",
        Lab,
        A::LabFindings,
        "the findings of the task's rules in this audit",
        "findings",
    ),
    b(
        Char('r'),
        NONE,
        "r",
        Lab,
        A::LabRules,
        "the rules the task exercises",
        "rules",
    ),
    b(
        Char(':'),
        NONE,
        ":",
        Global,
        A::Command,
        "command: :images :pss :findings :audit :sig :rules :lab :ns :ctx :q",
        "cmd",
    ),
    b(
        Char('e'),
        NONE,
        "e",
        Global,
        A::Export,
        "export a report (md, json, sarif, junit, html, csv)",
        "export",
    ),
    b(Char('?'), NONE, "?", Global, A::Help, "help", "help"),
    b(Tab, NONE, "tab", Global, A::NextView, "next view", ""),
    b(
        BackTab,
        SHIFT,
        "shift-tab",
        Global,
        A::PrevView,
        "previous tab",
        "",
    ),
    b(
        Esc,
        NONE,
        "esc",
        Global,
        A::Back,
        "back / clear filter / close",
        "",
    ),
    b(
        Char('-'),
        NONE,
        "-",
        Global,
        A::Previous,
        "previous view",
        "",
    ),
    b(Char('j'), NONE, "j", Global, A::Down, "down", ""),
    b(Down, NONE, "down", Global, A::Down, "down", ""),
    b(Char('k'), NONE, "k", Global, A::Up, "up", ""),
    b(Up, NONE, "up", Global, A::Up, "up", ""),
    b(PgDn, NONE, "pgdn", Global, A::PageDown, "page down", ""),
    b(
        Char('f'),
        CTRL,
        "ctrl-f",
        Global,
        A::PageDown,
        "page down",
        "",
    ),
    b(PgUp, NONE, "pgup", Global, A::PageUp, "page up", ""),
    b(Char('b'), CTRL, "ctrl-b", Global, A::PageUp, "page up", ""),
    b(Home, NONE, "home", Global, A::Top, "first row", ""),
    b(Char('g'), NONE, "g", Global, A::Top, "first row", ""),
    b(End, NONE, "end", Global, A::Bottom, "last row", ""),
    b(Char('G'), SHIFT, "G", Global, A::Bottom, "last row", ""),
    b(
        Char('r'),
        CTRL,
        "ctrl-r",
        Global,
        A::Reload,
        "re-read the source (a live cluster is listed again)",
        "",
    ),
    b(Char('q'), NONE, "q", Global, A::Quit, "quit", "quit"),
    b(Char('c'), CTRL, "ctrl-c", Global, A::Quit, "quit", ""),
];

/// The action a key has in the given scopes (most specific first).
pub fn lookup(key: &KeyEvent, scopes: &[Scope]) -> Option<Action> {
    // Shifted letters arrive as uppercase chars; compare modifiers without SHIFT for chars.
    let mods = match key.code {
        KeyCode::Char(_) => key.modifiers - SHIFT,
        _ => key.modifiers,
    };
    scopes
        .iter()
        .find_map(|scope| {
            KEYMAP.iter().find(|bd| {
                let bmods = match bd.code {
                    KeyCode::Char(_) => bd.modifiers - SHIFT,
                    _ => bd.modifiers,
                };
                bd.scope == *scope && bd.code == key.code && bmods == mods
            })
        })
        .map(|bd| bd.action)
}

/// Footer hints for the given scopes, in table order, one per action.
pub fn hints(scopes: &[Scope]) -> Vec<(&'static str, &'static str)> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for scope in scopes {
        for bd in KEYMAP
            .iter()
            .filter(|bd| bd.scope == *scope && !bd.tip.is_empty())
        {
            if !seen.contains(&bd.action) {
                seen.push(bd.action);
                out.push((bd.label, bd.tip));
            }
        }
    }
    out
}

fn scope_name(scope: Scope) -> &'static str {
    SCOPES
        .iter()
        .find(|(s, _, _)| *s == scope)
        .map_or("", |(_, _, name)| name)
}

/// The keymap as a Markdown table, for the README (`kaudit keys`).
pub fn markdown() -> String {
    let mut out = String::from("| keys | where | what |\n| --- | --- | --- |\n");
    let mut done: Vec<(&str, &str)> = Vec::new();
    for bd in KEYMAP {
        let scope = scope_name(bd.scope);
        if done.contains(&(scope, bd.help)) {
            continue;
        }
        done.push((scope, bd.help));
        let keys: Vec<String> = KEYMAP
            .iter()
            .filter(|x| x.scope == bd.scope && x.help == bd.help)
            .map(|x| format!("`{}`", x.label))
            .collect();
        out.push_str(&format!(
            "| {} | {scope} | {} |\n",
            keys.join(" "),
            bd.help.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_lookup_prefers_the_view() {
        let key = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE);
        assert_eq!(
            lookup(&key, &[Scope::Findings, Scope::Table, Scope::Global]),
            Some(Action::Suppress)
        );
        assert_eq!(lookup(&key, &[Scope::Table, Scope::Global]), None);
        let shifted = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(&shifted, &[Scope::Findings, Scope::Global]),
            Some(Action::SortSeverity)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&ctrl_c, &[Scope::Global]), Some(Action::Quit));
        assert_eq!(
            lookup(
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE),
                &[Scope::Global]
            ),
            None
        );
    }

    #[test]
    fn every_scope_has_a_title_and_a_name() {
        for bd in KEYMAP {
            assert!(!scope_name(bd.scope).is_empty(), "{:?}", bd.scope);
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for bd in &KEYMAP[i + 1..] {
                assert!(
                    !(a.scope == bd.scope && a.code == bd.code && a.modifiers == bd.modifiers),
                    "{} bound twice",
                    a.label
                );
            }
        }
    }
}
