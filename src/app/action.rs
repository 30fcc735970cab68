//! Named intents. The keymap turns keys into these; `update` acts on them.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // Moving in a list.
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    // The table.
    Filter,
    SortNext,
    SortReverse,
    ToggleMark,
    MarkAllShown,
    ClearMarks,
    Restore,
    Details,
    DetailsDown,
    DetailsUp,
    Purge,
    Refresh,
    Help,
    RequestLog,
    FinishUnfinished,
    /// Copy the selected user's user name (OSC 52).
    CopyUpn,
    /// Copy the selected user's object id (OSC 52).
    CopyId,
    /// The deleted users (home).
    ViewDeleted,
    /// The users restored in this directory.
    ViewRestored,
    /// Show only the users in conflict (or everyone again).
    OnlyConflicts,
    /// Show only the marked users (or everyone again).
    OnlyMarked,
    /// The tenants pane of a run on several tenants (its own key closes it).
    Tenants,
    /// Every open tenant's deleted users in one table (the tenants pane's `a`).
    AllTenants,
    Quit,
    ForceQuit,
    // Dialogs.
    NextField,
    PrevField,
    Toggle,
    Submit,
    Cancel,
    Reveal,
    Copy,
    Yes,
    No,
    // The result screen.
    SetPassword,
    Retry,
    ShowError,
    /// The selected user's sign-in mail, which may have gone out, arrived: close it (asks).
    MailArrived,
}
