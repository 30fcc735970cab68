//! The dialogs over the table: one module per modal, each with its state (and, as they move
//! here, its keys).

pub mod progress;
pub mod purge;
pub mod restore;
pub mod result;

pub use progress::{JobStatus, ProgressLine, ProgressState};
pub use purge::PurgeState;
pub use restore::{CONFIRM_OVER, Field, Preflight, RestoreForm, Target, Verdict};
pub use result::{PasswordPrompt, ResultButton, ResultState, retryable};

pub enum Modal {
    Restore(Box<RestoreForm>),
    Progress(ProgressState),
    Result(Box<ResultState>),
    Purge(PurgeState),
    Help { scroll: usize },
}
