//! The live password checklist and the directory's verdict on a typed password, drawn the
//! same way by the restore dialog and the result screen's `p` prompt.

use ratatui::text::{Line, Span};

use super::text::wrap;
use super::theme::Theme;
use crate::app::modal::restore::Verdict;
use crate::password;
use crate::restore::PasswordCheck;
use crate::text::width;

/// The checklist of `check` (the policy's rules, then the names Entra bans), wrapped to `w`
/// columns after `indent` spaces: every rule is seen, none cut.
pub fn checklist(
    check: &PasswordCheck,
    indent: usize,
    w: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut row: Vec<Span<'static>> = vec![Span::raw(" ".repeat(indent))];
    let mut used = indent;
    let rules = password::rules()
        .into_iter()
        .map(|(label, ok)| (label, ok(&check.policy)))
        .chain(std::iter::once((
            "no tenant or user name",
            check.contains_name.is_none(),
        )));
    for (label, met) in rules {
        let item = format!("{} {label}   ", if met { "✓" } else { "✗" });
        let iw = width(&item);
        if used + iw > w && used > indent {
            lines.push(Line::from(std::mem::take(&mut row)));
            row.push(Span::raw(" ".repeat(indent)));
            used = indent;
        }
        used += iw;
        row.push(Span::styled(
            item,
            if met { theme.ok() } else { theme.danger() },
        ));
    }
    lines.push(Line::from(row));
    lines
}

/// The directory's verdict, wrapped to `w` columns after `indent` spaces; nothing before it
/// was asked.
pub fn verdict(verdict: &Verdict, indent: usize, w: usize, theme: &Theme) -> Vec<Line<'static>> {
    let (text, style) = match verdict {
        Verdict::None => return Vec::new(),
        Verdict::Asking { .. } => ("… asking the directory".to_string(), theme.dim()),
        Verdict::Valid => ("✓ the directory accepts it".to_string(), theme.ok()),
        Verdict::Refused(why) => (
            format!("✗ the directory refuses it: {}", why.join("; ")),
            theme.danger(),
        ),
        Verdict::Unavailable(why) => (
            format!("ⓘ The tenant could not be asked: {why}. The rules above decide."),
            theme.dim(),
        ),
    };
    wrap(&format!("{}{text}", " ".repeat(indent)), w)
        .into_iter()
        .map(|chunk| Line::from(Span::styled(chunk, style)))
        .collect()
}
