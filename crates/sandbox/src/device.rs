//! What the sandbox answers, poll by poll, to a device-code sign-in: by default the admin
//! "approves" between the first and the second poll; tests script declines, expiry and
//! `slow_down` to drive the client's handling of each over real HTTP.

/// The token endpoint's answer to one poll of the device-code grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicePoll {
    /// `authorization_pending`: keep polling.
    Pending,
    /// `slow_down`: keep polling, 5 s slower.
    SlowDown,
    /// The tokens.
    Approved,
    /// `authorization_declined`: the user said no.
    Declined,
    /// `expired_token`: the code ran out before anyone approved it.
    Expired,
}

impl DevicePoll {
    /// Ends the flow: the code is spent and later polls find nothing.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Declined | Self::Expired)
    }
}

/// Answers for the 1st, 2nd, ... poll of every device code; polls past the end get the last
/// answer again (so a script ending in `Pending` never approves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodeScript {
    answers: Vec<DevicePoll>,
}

impl Default for DeviceCodeScript {
    /// Approved after the first poll, which is answered `authorization_pending`.
    fn default() -> Self {
        Self::approve_after(1)
    }
}

impl DeviceCodeScript {
    /// `pending` polls answered `authorization_pending`, then the tokens.
    pub fn approve_after(pending: usize) -> Self {
        Self::pending_then(pending, DevicePoll::Approved)
    }

    /// `pending` polls answered `authorization_pending`, then `authorization_declined`.
    pub fn decline_after(pending: usize) -> Self {
        Self::pending_then(pending, DevicePoll::Declined)
    }

    /// `pending` polls answered `authorization_pending`, then `expired_token`.
    pub fn expire_after(pending: usize) -> Self {
        Self::pending_then(pending, DevicePoll::Expired)
    }

    /// One `slow_down`, one `authorization_pending`, then the tokens.
    pub fn slow_down_then_approve() -> Self {
        Self::answers([
            DevicePoll::SlowDown,
            DevicePoll::Pending,
            DevicePoll::Approved,
        ])
    }

    /// Any sequence; an empty one behaves like the default.
    pub fn answers(answers: impl IntoIterator<Item = DevicePoll>) -> Self {
        let answers: Vec<DevicePoll> = answers.into_iter().collect();
        if answers.is_empty() {
            Self::default()
        } else {
            Self { answers }
        }
    }

    fn pending_then(pending: usize, last: DevicePoll) -> Self {
        let mut answers = vec![DevicePoll::Pending; pending];
        answers.push(last);
        Self { answers }
    }

    /// The answer to poll number `n` (1-based).
    pub fn answer(&self, n: u32) -> DevicePoll {
        let i = (n.max(1) - 1) as usize;
        self.answers
            .get(i)
            .or(self.answers.last())
            .copied()
            .unwrap_or(DevicePoll::Approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_answer_poll_by_poll_and_repeat_the_last() {
        let d = DeviceCodeScript::default();
        assert_eq!(d.answer(1), DevicePoll::Pending);
        assert_eq!(d.answer(2), DevicePoll::Approved);
        let s = DeviceCodeScript::decline_after(2);
        assert_eq!(
            (1..=4).map(|n| s.answer(n)).collect::<Vec<_>>(),
            [
                DevicePoll::Pending,
                DevicePoll::Pending,
                DevicePoll::Declined,
                DevicePoll::Declined
            ]
        );
        assert_eq!(
            DeviceCodeScript::expire_after(0).answer(1),
            DevicePoll::Expired
        );
        assert_eq!(
            DeviceCodeScript::slow_down_then_approve().answer(1),
            DevicePoll::SlowDown
        );
        assert_eq!(DeviceCodeScript::answers([]), DeviceCodeScript::default());
        let never = DeviceCodeScript::answers([DevicePoll::Pending]);
        assert_eq!(never.answer(100), DevicePoll::Pending);
        assert!(!DevicePoll::SlowDown.is_final() && DevicePoll::Expired.is_final());
    }
}
